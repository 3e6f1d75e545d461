import ArgumentParser
import Foundation
import History
import TerminalUI

struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "List past submissions, newest first.",
        discussion: "Output is written as it is read, so a long history starts printing at once and memory stays flat.")

    @Option(name: .long, help: "Only submissions whose name, ids, cluster, state, paths or arguments contain every word of this.")
    var search: String?
    @Option(name: .long, help: .hidden) var filter: String?
    @Option(name: .long, help: "Only this Slurm state (e.g. COMPLETED, FAILED), or not-submitted (never reached Slurm).") var state: String?
    @Option(name: .long, help: "Only submissions to this login node (host name).") var cluster: String?
    @Option(name: .long, help: "Only submissions since then: 30m, 12h, 2d, 1w, or a date (2026-11-01).") var since: String?
    @Option(name: .long, help: "At most this many.") var limit: Int?
    @Flag(name: .long, help: "Print a JSON array.") var json = false
    @Flag(name: .long, help: "Print one JSON object per line.") var jsonl = false

    func validate() throws {
        if json && jsonl { throw ValidationError("--json and --jsonl: choose one") }
        if let limit, limit < 0 { throw ValidationError("--limit takes a count of 0 or more") }
        if let since, SinceParser.date(since) == nil {
            throw ValidationError("--since '\(since)' is neither a duration (30m, 12h, 2d, 1w) nor a date (2026-11-01)")
        }
    }

    func run() async throws {
        let query = HistoryFilter(text: search ?? filter, state: state, since: since.flatMap { SinceParser.date($0) }, cluster: cluster,
                                  limit: limit)
        var output = BufferedOutput()
        if json { output.write("[") }
        var first = true
        try openHistory().forEachEntry(query) { entry in
            if json || jsonl {
                let data = try JSONSerialization.data(withJSONObject: entry.jsonObject, options: [.sortedKeys])
                let line = jsonEscapingInvisibles(String(decoding: data, as: UTF8.self))
                output.write(json ? (first ? "\n  " : ",\n  ") + line : line + "\n")
            } else {
                let state = entry.stage == .failed ? "failed: \(entry.failure ?? "")" : (entry.state ?? entry.stage.rawValue)
                let fields = [entry.id, SinceParser.minute(entry.createdAt), entry.jobName, entry.jobID ?? "-",
                              entry.cluster.description, state, entry.exitCode.map(String.init) ?? "-"]
                output.write(TerminalSanitizer.plainText(fields.joined(separator: "\t")) + "\n")
            }
            first = false
        }
        if json { output.write(first ? "]\n" : "\n]\n") }
        output.flush()
    }
}

/// Standard output in 64 KiB writes instead of one per line.
struct BufferedOutput {
    private var buffer = Data()

    mutating func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        FileHandle.standardOutput.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}

enum SinceParser {
    /// `30m`, `12h`, `2d`, `1w` before now, or a day (`2026-11-01`, local midnight) or an ISO 8601 time.
    static func date(_ text: String, now: Date = Date()) -> Date? {
        let units: [Character: Double] = ["m": 60, "h": 3600, "d": 86400, "w": 604_800]
        if let unit = text.last.flatMap({ units[$0] }), let count = Double(text.dropLast()), count >= 0, count.isFinite {
            return now.addingTimeInterval(-count * unit)
        }
        if let instant = ISO8601DateFormatter().date(from: text) { return instant }
        let day = DateFormatter()
        day.locale = Locale(identifier: "en_US_POSIX")
        day.dateFormat = "yyyy-MM-dd"
        return day.date(from: text)
    }

    /// `2026-11-30T03:32:41Z`, as ISO8601DateFormatter writes it, without building one per entry.
    static func iso8601(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec)
    }

    static func minute(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970)
        var parts = tm()
        localtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02d %02d:%02d", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min)
    }
}

extension HistoryEntry {
    var jsonObject: [String: Any] {
        var object: [String: Any] = [
            "submission_id": id, "job_id": jobID ?? NSNull(), "job_name": jobName,
            "state": state ?? (stage == .failed ? "FAILED_TO_SUBMIT" : NSNull()),
            "stage": stage.rawValue, "created_at": SinceParser.iso8601(createdAt),
            "cluster": cluster.description, "remote_dir": remoteDir ?? NSNull(),
            "exit_code": exitCode ?? NSNull(), "workdir": workdir,
        ]
        if let failure { object["failure"] = failure }
        return object
    }
}
