import ArgumentParser
import Foundation
import HPCSJobApp
import History
import JobPreparation
import TerminalUI

/// History at scale: a generated history of `--records` submissions of about
/// 12 KB each, opened and searched the way the TUI does it (in a child
/// process, whose peak RSS is measured), and `hpcs-job history --jsonl
/// --limit 50` beside the sqlite3 CLI reading the same 50 rows.
struct HistoryBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "History list, search and CLI with 100,000 records.")
    @Option(help: "Records in the generated history.") var records = 100_000
    @Option(help: "The history database (kept between runs; made when short of records).")
    var database = FileManager.default.temporaryDirectory.appendingPathComponent("hpcs-bench-history/data/hpcs-job/history.sqlite").path
    @Option(help: "The hpcs-job binary to time.") var hpcsJob: String

    func run() throws {
        let url = URL(fileURLWithPath: database)
        let store = try HistoryStore(url: url)
        let existing = try store.count()
        if existing < records {
            let start = ContinuousClock.now
            try generate(store, from: existing, to: records)
            print(String(format: "generated %d records in %.1f s", records - existing, seconds(since: start)))
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: database)[.size] as? Int) ?? 0
        print(String(format: "history: %d records, %.0f MiB of SQLite", records, mib(size)))

        let output = FileManager.default.temporaryDirectory.appendingPathComponent("hpcs-bench-history-worker-\(getpid())").path
        defer { unlink(output) }
        let worker = try Measurement.run([selfPath(), "history-worker", "--database", database], stdout: output)
        print(((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").trimmingCharacters(in: .newlines))
        print(String(format: "TUI history (same update, store and render as the TUI): peak RSS %.1f MiB (target ≤ 64 MiB)",
                     Double(worker.peakRSSKiB) / 1024))

        // XDG_DATA_HOME/hpcs-job/history.sqlite is the database above.
        setenv("XDG_DATA_HOME", url.deletingLastPathComponent().deletingLastPathComponent().path, 1)
        let ours = median(5) { try Measurement.run([hpcsJob, "history", "--jsonl", "--limit", "50"]) }
        let query = "SELECT id, createdAt, json_extract(spec, '$.jobName'), jobID, clusterHost, state FROM submission "
            + "ORDER BY createdAt DESC LIMIT 50"
        let reference = median(5) { try Measurement.run(["sqlite3", "-json", "-readonly", database, query]) }
        print(String(format: "history --jsonl --limit 50: hpcs-job %.0f ms, sqlite3 CLI reading the same rows %.0f ms: ratio %.2f× "
                     + "(target ≤ 100 ms)", ours * 1000, reference * 1000, ours / reference))
    }

    func median(_ runs: Int, _ measure: () throws -> Measurement) -> Double {
        let times = (0..<runs).compactMap { _ in try? measure().seconds }.sorted()
        return times.isEmpty ? .nan : times[times.count / 2]
    }

    func generate(_ store: HistoryStore, from start: Int, to end: Int) throws {
        let script = String(repeating: "#SBATCH --comment=padding-to-the-size-of-a-rendered-hpcs-job-script\n", count: 130)
        let base = Date(timeIntervalSinceNow: -Double(end) * 60)
        let states = ["COMPLETED", "COMPLETED", "FAILED", "RUNNING", "PENDING", "CANCELLED", "TIMEOUT"]
        for batch in stride(from: start, to: end, by: 2000) {
            let records = (batch..<min(end, batch + 2000)).map { index -> SubmissionRecord in
                let id = String(format: "20260101-%06d-%08x", index, UInt32(truncatingIfNeeded: index &* 2_654_435_761))
                var record = SubmissionRecord(
                    id: id, createdAt: base.addingTimeInterval(Double(index) * 60), clusterHost: "login\(index % 3).example.org",
                    clusterPort: 22, clusterUser: "alice", configPath: "/home/alice/.config/hpcs/cluster\(index % 3).conf",
                    appInfoPath: "/users/alice/apps/app\(index % 40).info.yaml", dataInfoPath: "/users/alice/data/set\(index % 500).info.yaml",
                    spec: JobSpec(jobName: "sweep_\(index)", partition: "small", time: .minutes(60), nodelist: "nid00\(index % 8)",
                                  workdir: "/scratch/project_1/alice/run\(index)",
                                  applicationArguments: ["--alpha", "\(Double(index) / 1000)", "--seed", "\(index)"]))
                record.jobID = String(100_000 + index)
                record.stage = .submitted
                record.state = states[index % states.count]
                record.exitCode = record.state == "FAILED" ? 1 : 0
                record.sbatchText = script
                record.appInfo = InfoFile(pathAtRest: "/scratch/enc/app\(index % 40).sif.age", secretPath: "kv/app\(index % 40)",
                                          accessRole: "role-app", checksum: String(repeating: "a", count: 64),
                                          spiffeID: "spiffe://hpcs/app/\(index % 40)")
                record.dataInfo = record.appInfo
                record.remoteDir = "/users/alice/.hpcs-job/\(id)"
                record.remoteLog = "/scratch/project_1/alice/run\(index)/sweep_\(index)-\(id).out"
                return record
            }
            try store.insert(contentsOf: records)
        }
    }
}

/// The child `history` measures: opens the history, shows it, types a
/// search and jumps to the end, timing each step from key to drawn screen.
struct HistoryWorker: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history-worker", shouldDisplay: false)
    @Option var database: String

    func run() throws {
        var start = ContinuousClock.now
        let store = try HistoryStore(url: URL(fileURLWithPath: database))
        let opened = seconds(since: start) * 1000
        var state = HPCSJobAppBenchSupport.historyState(width: 120, height: 40)
        let list = try HPCSJobAppBenchSupport.historyKey(&state, .function(3), store: store) * 1000
        let open = seconds(since: start) * 1000
        print(String(format: "open History: store %.1f ms + first page drawn %.1f ms = %.1f ms (target ≤ 100 ms); with the count "
                     + "and the selected record %.1f ms; %d records", opened, list, opened + list, open,
                     HPCSJobAppBenchSupport.historySummary(state).total))
        try HPCSJobAppBenchSupport.historyKey(&state, .character("/"), store: store)
        var keystrokes: [String] = []
        var worst = 0.0
        var worstWithCount = 0.0
        for character in "sweep_4242" {
            start = ContinuousClock.now
            let list = try HPCSJobAppBenchSupport.historyKey(&state, .character(character), store: store) * 1000
            let counted = seconds(since: start) * 1000
            worst = max(worst, list)
            worstWithCount = max(worstWithCount, counted)
            keystrokes.append(String(format: "%@ %.1f/%.1f (%d)", String(character), list, counted,
                                     HPCSJobAppBenchSupport.historySummary(state).total))
        }
        print("filter keystrokes, ms to the updated list / to its count (matches): " + keystrokes.joined(separator: ", "))
        print(String(format: "filter keystroke worst %.1f ms to the updated list (target ≤ 50 ms), %.1f ms to its count",
                     worst, worstWithCount))
        for _ in 0..<10 { try HPCSJobAppBenchSupport.historyKey(&state, .backspace, store: store) }
        try HPCSJobAppBenchSupport.historyKey(&state, .enter, store: store)
        start = ContinuousClock.now
        try HPCSJobAppBenchSupport.historyKey(&state, .end, store: store)
        let end = seconds(since: start) * 1000
        start = ContinuousClock.now
        try HPCSJobAppBenchSupport.historyKey(&state, .character("s"), store: store)
        let stateFilter = seconds(since: start) * 1000
        print(String(format: "End (to the oldest record): %.1f ms; state filter: %.1f ms", end, stateFilter))
    }
}
