import Foundation
import History
import JobPreparation
import SiteTestSupport
import Synchronization
import Testing

/// `hpcs-job history` over a history it did not write: filters, streamed
/// JSON, and another process writing while it reads. Needs no site.
@Suite(.serialized)
struct HistoryCommandTests {
    let binary = LocalSite.repositoryRoot.appendingPathComponent(".build/debug/hpcs-job").path

    func hpcsJob(_ arguments: [String], home: URL) throws -> ToolResult { try HPCSJobBinary.run(arguments, home: home) }

    func store(_ home: URL) throws -> HistoryStore {
        try HistoryStore(url: home.appendingPathComponent("data/hpcs-job/history.sqlite"))
    }

    func record(_ index: Int, daysAgo: Double = 0) -> SubmissionRecord {
        var record = SubmissionRecord(id: String(format: "20270201-%06d-f00d", index), createdAt: Date(timeIntervalSinceNow: -daysAgo * 86400 + Double(index)),
                                      clusterHost: index % 2 == 0 ? "login0.example.org" : "login1.example.org", clusterPort: 22,
                                      clusterUser: "alice", configPath: "/c.conf", appInfoPath: "/a.info.yaml", dataInfoPath: "/d.info.yaml",
                                      spec: JobSpec(jobName: "sweep_\(index)", partition: "debug", time: .minutes(10), nodelist: "n1", workdir: "/w\(index)"))
        record.jobID = String(7000 + index)
        record.stage = .submitted
        record.state = index % 3 == 0 ? "COMPLETED" : "FAILED"
        return record
    }

    func lines(_ result: ToolResult) throws -> [[String: Any]] {
        try String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    @Test func filtersAndStreamsEveryFormat() throws {
        let home = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        try store(home).insert(contentsOf: (0..<30).map { record($0, daysAgo: $0 < 10 ? 5 : 0) })

        let limited = try hpcsJob(["history", "--jsonl", "--limit", "5"], home: home)
        #expect(limited.status == 0, "\(limited.err)")
        #expect(try lines(limited).map { $0["job_name"] as? String } == ["sweep_29", "sweep_28", "sweep_27", "sweep_26", "sweep_25"])

        let all = try hpcsJob(["history", "--json"], home: home)
        let array = try #require(try JSONSerialization.jsonObject(with: all.stdout) as? [[String: Any]])
        #expect(array.count == 30 && array.first?["cluster"] as? String == "alice@login1.example.org:22")
        let empty = try hpcsJob(["history", "--json", "--search", "no such thing"], home: home)
        #expect((try JSONSerialization.jsonObject(with: empty.stdout) as? [Any])?.isEmpty == true, "an empty history is []")

        #expect(try lines(hpcsJob(["history", "--jsonl", "--state", "completed"], home: home)).count == 10)
        #expect(try lines(hpcsJob(["history", "--jsonl", "--search", "sweep_1"], home: home)).count == 11)
        #expect(try lines(hpcsJob(["history", "--jsonl", "--cluster", "login0.example.org"], home: home)).count == 15)
        #expect(try lines(hpcsJob(["history", "--jsonl", "--since", "2d"], home: home)).count == 20)
        let combined = try lines(hpcsJob(["history", "--jsonl", "--since", "2d", "--state", "FAILED", "--search", "sweep_2"], home: home))
        #expect(combined.compactMap { $0["job_name"] as? String }
            == ["sweep_29", "sweep_28", "sweep_26", "sweep_25", "sweep_23", "sweep_22", "sweep_20"])

        let text = try hpcsJob(["history", "--limit", "1"], home: home)
        #expect(String(decoding: text.stdout, as: UTF8.self).hasPrefix("20270201-000029-f00d\t"))

        let badSince = try hpcsJob(["history", "--since", "yesterday"], home: home)
        #expect(badSince.status == 64 && badSince.err.contains("--since 'yesterday'"))
        let both = try hpcsJob(["history", "--json", "--jsonl"], home: home)
        #expect(both.status == 64)
    }

    /// One process records submissions while hpcs-job lists them: every
    /// listing is whole (parses, no half record) and none goes backwards.
    @Test func readsWhileAnotherProcessWrites() throws {
        let home = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let writer = try store(home)
        // The writer goes on until the reader has listed three times, so the
        // listings overlap the writes however fast or slow this machine is.
        let listed = Mutex(0)
        let finished = Mutex<Int?>(nil)
        let writing = Thread {
            var index = 0
            while listed.withLock({ $0 }) < 3 || index == 0, index < 20_000 {
                try? writer.insert(self.record(index))
                _ = try? writer.advance(self.record(index).id, to: .submitted) { $0.state = "RUNNING" }
                index += 1
                usleep(2000) // a writer, not a CPU hog: the listings run beside it

            }
            finished.withLock { $0 = index }
        }
        writing.start()
        var seen = 0
        while finished.withLock({ $0 }) == nil {
            let listing = try hpcsJob(["history", "--jsonl"], home: home)
            #expect(listing.status == 0, "\(listing.err)")
            let entries = try lines(listing)
            #expect(entries.count >= seen)
            #expect(entries.allSatisfy { $0["submission_id"] is String && $0["job_name"] is String })
            seen = entries.count
            listed.withLock { $0 += 1 }
        }
        let total = finished.withLock { $0 } ?? 0
        #expect(try lines(hpcsJob(["history", "--jsonl"], home: home)).count == total)
        #expect(listed.withLock { $0 } >= 3 && total > 0)
    }
}
