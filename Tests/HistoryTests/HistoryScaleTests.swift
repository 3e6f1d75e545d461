import Foundation
import Synchronization
import GRDB
@testable import History
import JobPreparation
import Testing

/// The list reads pages and counts from indexes; search goes through the
/// full-text index; the schema grows by migration without touching records.
struct HistoryScaleTests {
    func directory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("hpcs-history-\(UUID().uuidString)")
    }

    func record(_ index: Int, base: Date = Date(timeIntervalSince1970: 1_800_000_000)) -> SubmissionRecord {
        var record = SubmissionRecord(id: String(format: "20270115-%06d-beef", index), createdAt: base.addingTimeInterval(Double(index)),
                                      clusterHost: "login\(index % 2).example.org", clusterPort: 22, clusterUser: "alice",
                                      configPath: "/c.conf", appInfoPath: "/apps/app\(index).info.yaml", dataInfoPath: "/d.info.yaml",
                                      spec: JobSpec(jobName: "sweep_\(index)", partition: "debug", time: .minutes(10), nodelist: "n1",
                                                    workdir: "/scratch/run\(index)", applicationArguments: ["--alpha", "value\(index)"]))
        record.jobID = String(5000 + index)
        record.stage = .submitted
        record.state = index % 2 == 0 ? "COMPLETED" : "RUNNING"
        return record
    }

    @Test func pagesAtBothEndsOfTheList() throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let history = try HistoryStore(url: dir.appendingPathComponent("history.sqlite"))
        try history.insert(contentsOf: (0..<250).map { record($0) })
        #expect(try history.count() == 250)
        #expect(try history.entries(offset: 0, limit: 3).map(\.jobName) == ["sweep_249", "sweep_248", "sweep_247"])
        #expect(try history.entries(offset: 247, limit: 10).map(\.jobName) == ["sweep_2", "sweep_1", "sweep_0"], "the last page is short")
        #expect(try history.entries(offset: 250, limit: 10).isEmpty && history.entries(offset: 9999, limit: 10).isEmpty)
        #expect(try history.entries(offset: -5, limit: 1).map(\.jobName) == ["sweep_249"], "a negative offset reads from the top")
        // Consecutive pages tile the list: nothing skipped, nothing twice.
        let tiled = try stride(from: 0, to: 250, by: 64).flatMap { try history.entries(offset: $0, limit: 64) }
        #expect(tiled.map(\.id) == (0..<250).reversed().map { record($0).id })
        // Ties on the creation time keep one order (newest recorded first).
        try history.insert(contentsOf: [250, 251].map { var tied = record($0); tied.createdAt = record(249).createdAt; return tied })
        #expect(try history.entries(offset: 0, limit: 3).map(\.jobName) == ["sweep_251", "sweep_250", "sweep_249"])
        // Filters page the same way and count without loading.
        let completed = HistoryFilter(state: "completed")
        #expect(try history.count(completed) == 126)
        #expect(try history.entries(completed, offset: 125, limit: 5).map(\.jobName) == ["sweep_0"])
        #expect(try history.count(HistoryFilter(cluster: "login1.example.org")) == 126)
    }

    /// The TUI keeps the selected record selected when newer ones arrive or
    /// a filter changes around it: the store says where it went.
    @Test func positionFollowsARecordAsNewerOnesArrive() throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let history = try HistoryStore(url: dir.appendingPathComponent("history.sqlite"))
        try history.insert(contentsOf: (0..<100).map { record($0) })
        let chosen = record(40).id
        #expect(try history.position(of: chosen) == 59)
        try history.insert(contentsOf: (100..<105).map { record($0) })
        #expect(try history.position(of: chosen) == 64)
        #expect(try history.entries(offset: 64, limit: 1).first?.id == chosen)
        #expect(try history.position(of: chosen, in: HistoryFilter(state: "COMPLETED")) == 32)
        #expect(try history.position(of: chosen, in: HistoryFilter(state: "RUNNING")) == nil, "filtered out")
        #expect(try history.position(of: "no-such-id") == nil)
    }

    @Test func searchFindsEachIndexedField() throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let history = try HistoryStore(url: dir.appendingPathComponent("history.sqlite"))
        try history.insert(contentsOf: (0..<30).map { record($0) })
        try history.update(record(7).id) { record in
            record.remoteDir = "/users/alice/.hpcs-job/remote-seven"
            record.resultsDir = "/home/alice/results/Ωmega"
            record.remoteLog = "/scratch/logs/seven.out"
            record.spec.account = "project_777"
            record.spec.singularityFlags = ["--nv"]
        }
        try history.advance(record(8).id, to: .failed) { $0.failure = "checksum" }
        func found(_ text: String) throws -> [String] { try history.entries(HistoryFilter(text: text), limit: 50).map(\.jobName) }
        #expect(try found("sweep_7") == ["sweep_7"], "name")
        #expect(try found("5007") == ["sweep_7"], "job id")
        #expect(try found(record(7).id) == ["sweep_7"], "submission id")
        #expect(try found("000007-be") == ["sweep_7"], "part of the submission id")
        #expect(try found("login1.example").count == 15, "cluster")
        #expect(try found("alice@login0").count == 15, "cluster as user@host")
        #expect(try found("running").count == 15, "state, any case")
        #expect(try found("not submitted") == ["sweep_8"], "a submission that never reached Slurm")
        #expect(try found("app7.info") == ["sweep_7"], "info file path")
        #expect(try found("/scratch/run7") == ["sweep_7"], "workdir")
        #expect(try found("remote-seven") == ["sweep_7"], "remote dir")
        #expect(try found("Ωmega") == ["sweep_7"], "results dir, not ASCII")
        #expect(try found("logs/seven") == ["sweep_7"], "remote log")
        #expect(try found("value7") == ["sweep_7"], "arguments")
        #expect(try found("project_777") == ["sweep_7"], "account")
        #expect(try found("--nv") == ["sweep_7"], "singularity flags")
        #expect(try found("value2 login0") == ["sweep_28", "sweep_26", "sweep_24", "sweep_22", "sweep_20", "sweep_2"], "every word")
        #expect(try found("9 sweep").count == 3, "a short word with a long one: sweep_9, sweep_19, sweep_29")
        #expect(try found("\"quoted AND OR NEAR(").isEmpty, "query syntax is taken as text")
        #expect(try found("jobName").isEmpty, "stored JSON keys are not searched")
        #expect(try history.count(HistoryFilter(text: "sweep_1")) == 11)
        // Search, state, time and cluster together.
        #expect(try history.entries(HistoryFilter(text: "sweep_1", state: "COMPLETED"), limit: 50).count == 5)
        let since = record(15).createdAt
        #expect(try history.entries(HistoryFilter(since: since), limit: 50).count == 15)
        #expect(try history.entries(HistoryFilter(state: "COMPLETED", since: since), limit: 50).count == 7)
        #expect(try history.entries(HistoryFilter(text: "sweep_1", since: since), limit: 50).map(\.jobName)
            == ["sweep_19", "sweep_18", "sweep_17", "sweep_16", "sweep_15"])
        #expect(try history.entries(HistoryFilter(text: "sweep_1", state: "RUNNING", since: since, cluster: "login1.example.org"),
                                    limit: 50).map(\.jobName) == ["sweep_19", "sweep_17", "sweep_15"])
    }

    /// Rare, common and everywhere words take three different query plans;
    /// each must give the same answer as reading every record would.
    @Test func everyQueryPlanGivesTheSameAnswer() throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Limits lowered so a few hundred records reach every plan.
        let history = try HistoryStore(url: dir.appendingPathComponent("history.sqlite"), searchLimits: .init(sparse: 20, common: 200))
        let count = 400
        try history.insert(contentsOf: (0..<count).map { record($0) })
        // 11 matches (rows by rowid), 111 (a walk against the match set), 400 (a walk checking text), and a short word.
        for text in ["sweep_12", "sweep_1", "sweep", "weep_2 s"] {
            let words = text.split(separator: " ").map(String.init)
            let expected = (0..<count).reversed().filter { index in words.allSatisfy { "sweep_\(index)".contains($0) } }
            #expect(try history.count(HistoryFilter(text: text)) == expected.count, "\(text)")
            let middle = max(0, expected.count / 2 - 5)
            let page = try history.entries(HistoryFilter(text: text), offset: middle, limit: 10).map(\.jobName)
            #expect(page == expected.dropFirst(middle).prefix(10).map { "sweep_\($0)" }, "\(text)")
            let completed = expected.filter { $0 % 2 == 0 }
            #expect(try history.count(HistoryFilter(text: text, state: "COMPLETED")) == completed.count, "\(text)")
        }
    }

    /// A history written before the search index existed: the migration
    /// adds it once, in one transaction, and every record stays as it was.
    @Test func migrationFromTheEarlierSchemaKeepsRecordsAndIndexesThem() throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("history.sqlite")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let old = (0..<40).map { record($0) }
        do {
            let queue = try DatabaseQueue(path: url.path)
            try HistorySchema.migrator.migrate(queue, upTo: "v2: per-submission log and output paths")
            try queue.write { db in for record in old { try record.insert(db) } }
            #expect(try queue.read { db in try db.tableExists("submission_search") } == false)
        }
        let history = try HistoryStore(url: url)
        #expect(try history.list() == old.reversed(), "every record intact")
        #expect(try history.entries(HistoryFilter(text: "sweep_39"), limit: 5).map(\.id) == [old[39].id])
        let reopened = try HistoryStore(url: url)
        #expect(try reopened.count() == 40, "the migration runs once")
    }

    /// Rowids renumbered by a hand-run VACUUM (after deletions) would point
    /// search at the wrong records: the store notices and rebuilds it.
    @Test func searchIsRebuiltWhenRowsWereRenumbered() throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("history.sqlite")
        do {
            let history = try HistoryStore(url: url)
            try history.insert(contentsOf: (0..<20).map { record($0) })
        }
        do {
            let queue = try DatabaseQueue(path: url.path)
            try queue.writeWithoutTransaction { db in
                try db.execute(sql: "DELETE FROM submission WHERE id = ?", arguments: [record(3).id])
                try db.execute(sql: "VACUUM")
                // What VACUUM may do to a table without an INTEGER PRIMARY KEY, made
                // certain: new rowids, which no trigger sees.
                let trigger = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'submission_update_text'") ?? ""
                try db.execute(sql: "DROP TRIGGER submission_update_text")
                try db.execute(sql: "UPDATE submission SET rowid = rowid + 1000")
                try db.execute(sql: trigger)
            }
        }
        let history = try HistoryStore(url: url)
        #expect(try history.entries(HistoryFilter(text: "sweep_19"), limit: 5).map(\.jobName) == ["sweep_19"])
        #expect(try history.count(HistoryFilter(text: "sweep")) == 19)
    }

    /// One hpcs-job records submissions while another lists and searches:
    /// readers never fail or see half a record, and see each commit.
    @Test func oneStoreWritesWhileAnotherReads() async throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("history.sqlite")
        let writer = try HistoryStore(url: url)
        let reader = try HistoryStore(url: url)
        let done = Mutex(false)
        let writing = Task.detached {
            defer { done.withLock { $0 = true } }
            for index in 0..<200 {
                try writer.insert(self.record(index))
                try writer.advance(self.record(index).id, to: .submitted) { $0.state = "PENDING" }
            }
        }
        var lastCount = 0
        var reads = 0
        while !done.withLock({ $0 }) || reads == 0 {
            let count = try reader.count()
            #expect(count >= lastCount, "a reader never goes back in time")
            lastCount = count
            // Read after the count, while the writer goes on: the page holds at least what was counted (up to 20).
            let page = try reader.entries(offset: 0, limit: 20)
            #expect(page.count >= min(20, count), "a page read after a count of \(count) holds \(page.count)")
            _ = try reader.entries(HistoryFilter(text: "sweep_1"), limit: 20)
            reads += 1
        }
        try await writing.value
        #expect(try reader.count() == 200 && reader.count(HistoryFilter(text: "sweep_199")) == 1)
        #expect(reads > 1)
    }

    @Test func databaseAndItsWALFilesAreOwnerOnly() throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("history.sqlite")
        let history = try HistoryStore(url: url)
        try history.insert(record(1))
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: url.path + suffix) {
            let mode = try FileManager.default.attributesOfItem(atPath: url.path + suffix)[.posixPermissions] as? Int
            #expect(mode == 0o600, "history.sqlite\(suffix)")
        }
        #expect(FileManager.default.fileExists(atPath: url.path + "-wal"), "WAL mode")
    }
}
