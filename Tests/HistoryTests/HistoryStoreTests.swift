import Foundation
import History
import JobPreparation
import Slurm
import Testing

struct HistoryStoreTests {
    func store() throws -> (HistoryStore, URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hpcs-history-\(UUID().uuidString)")
        return (try HistoryStore(url: dir.appendingPathComponent("history.sqlite")), dir)
    }

    func record(_ id: String, created: Date = Date()) -> SubmissionRecord {
        SubmissionRecord(id: id, createdAt: created, clusterHost: "login.example.org", clusterPort: 22, clusterUser: "alice",
                         configPath: "/c.conf", appInfoPath: "/a.info.yaml", dataInfoPath: "/d.info.yaml",
                         spec: JobSpec(jobName: "job_\(id)", partition: "debug", time: .minutes(10), nodelist: "n1", workdir: "/w"))
    }

    @Test func recordsRoundTripWithEveryField() throws {
        let (history, dir) = try store()
        defer { try? FileManager.default.removeItem(at: dir) }
        try history.insert(record("a"))
        try history.advance("a", to: .submitted) { record in
            record.jobID = "42"
            record.sbatchText = "#!/bin/bash\n"
            record.appInfo = InfoFile(pathAtRest: "/x", secretPath: "s", accessRole: "r", checksum: "c", spiffeID: "spiffe://t/x")
        }
        let back = try #require(try history.record("a"))
        #expect(back.jobID == "42" && back.stage == .submitted && back.appInfo?.pathAtRest == "/x")
        #expect(back.stepTimes.keys.sorted() == ["preparing", "submitted"])
        #expect(back.spec.jobName == "job_a")
        #expect(try history.find("42")?.id == "a")

        // Every field, set to a value of its own, comes back as it was stored.
        let second = Date(timeIntervalSince1970: 1_800_000_000)
        var full = record("b", created: second)
        full.updatedAt = second
        full.appInfo = InfoFile(pathAtRest: "/a.age", secretPath: "kv/a", accessRole: "ra", checksum: "c1", spiffeID: "spiffe://t/a")
        full.dataInfo = InfoFile(pathAtRest: "/d.age", secretPath: "kv/d", accessRole: "rd", checksum: "c2", spiffeID: "spiffe://t/d")
        full.spec.account = "acct"
        full.spec.singularityFlags = ["--cleanenv", "a b"]
        full.spec.applicationArguments = ["--in", "x y"]
        full.sbatchText = "#!/bin/bash\necho\n"
        full.remoteDir = "/home/alice/.hpcs-job/b"
        full.identityFile = "/keys/b.key"
        full.jobID = "43"
        full.stage = .submitted
        full.state = "COMPLETED"
        full.exitCode = 3
        full.failure = "none really"
        full.stepTimes = ["preparing": second, "submitted": second.addingTimeInterval(5)]
        full.logOffset = 1234
        full.resultsDir = "/results/b"
        full.remoteLog = "/w/job_b-b.out"
        full.remoteOutput = "/w/output-b/encrypted_output.tgz"
        try history.insert(full)
        #expect(try history.record("b") == full)
        let mode = try FileManager.default.attributesOfItem(atPath: history.url.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func listIsNewestFirstAndFilters() throws {
        let (history, dir) = try store()
        defer { try? FileManager.default.removeItem(at: dir) }
        for (index, id) in ["old", "mid", "new"].enumerated() {
            try history.insert(record(id, created: Date(timeIntervalSinceNow: Double(index) * 60)))
        }
        try history.update("mid") { $0.state = "COMPLETED" }
        try history.advance("old", to: .failed) { $0.failure = "checksum mismatch" }
        #expect(try history.list().map(\.id) == ["new", "mid", "old"])
        #expect(try history.list(HistoryFilter(state: "completed")).map(\.id) == ["mid"])
        #expect(try history.list(HistoryFilter(state: "failed")).map(\.id) == ["old"])
        #expect(try history.list(HistoryFilter(text: "job_ne")).map(\.id) == ["new"])
        #expect(try history.list(HistoryFilter(limit: 1)).map(\.id) == ["new"])
    }

    /// Search looks at what the user sees (name, ids, cluster, state, paths),
    /// not the stored JSON's key names, and takes %, _ and \ literally.
    @Test func searchMatchesShownFieldsLiterally() throws {
        let (history, dir) = try store()
        defer { try? FileManager.default.removeItem(at: dir) }
        try history.insert(record("20261130-000000-aaaa"))
        var percent = record("20261130-000001-bbbb")
        percent.spec.jobName = "run_100%"
        try history.insert(percent)
        // Key names of the stored spec ("time", "nodes", "partition") match nothing by themselves.
        for word in ["time", "nodes", "nodelist", "jobName"] { #expect(try history.list(HistoryFilter(text: word)).isEmpty, "\(word)") }
        #expect(try history.list(HistoryFilter(text: "debug")).count == 2, "the partition is a shown field")
        #expect(try history.list(HistoryFilter(text: "100%")).map(\.id) == [percent.id])
        #expect(try history.list(HistoryFilter(text: "%")).map(\.id) == [percent.id])
        #expect(try history.list(HistoryFilter(text: "jo__2026")).isEmpty, "_ is not a wildcard (it would match job_2026)")
        #expect(try history.list(HistoryFilter(text: "login.example")).count == 2)
        // Lookup by id prefix: _ and % are literal there too.
        #expect(try history.find("20261130-000001")?.id == percent.id)
        #expect(try history.find("2026113_-000001") == nil)
        #expect(try history.find("%") == nil)
    }

    @Test func reopeningKeepsEverythingAndFindsUnresolved() throws {
        let (history, dir) = try store()
        defer { try? FileManager.default.removeItem(at: dir) }
        try history.insert(record("x", created: Date(timeIntervalSince1970: 1_800_000_000)))
        try history.advance("x", to: .submitting)
        let stored = try #require(try history.record("x"))
        let reopened = try HistoryStore(url: history.url)
        #expect(try reopened.record("x") == stored, "the reopened store has the whole record")
        #expect(try reopened.unresolved().map(\.id) == ["x"])
    }
}

/// One list of final states: History's (and its SQL filter's) is Slurm's own.
struct FinalStateTests {
    @Test func historyFinalStatesAreSlurmsTerminalStates() {
        // Written out as Slurm's documentation lists its final job states (not derived from the code under test).
        let slurmsFinalStates: Set = ["BOOT_FAIL", "CANCELLED", "COMPLETED", "DEADLINE", "FAILED", "NODE_FAIL", "OUT_OF_MEMORY",
                                      "PREEMPTED", "REVOKED", "SPECIAL_EXIT", "TIMEOUT"]
        #expect(SubmissionRecord.finalStates == slurmsFinalStates)
        #expect(Set(JobState.allCases.filter(\.isTerminal).map(\.rawValue)) == slurmsFinalStates)
        #expect(SubmissionRecord.finalStates.contains("SPECIAL_EXIT") && !SubmissionRecord.finalStates.contains("COMPLETING"))
        var record = SubmissionRecord(id: "20261130-000000-00000000", clusterHost: "h", clusterPort: 22, clusterUser: "u",
                                      configPath: "c", appInfoPath: "a", dataInfoPath: "d",
                                      spec: JobSpec(jobName: "j", partition: "p", time: .minutes(5), nodelist: "n", workdir: "/w"))
        record.state = "CANCELLED by 1001"
        #expect(record.jobState == .cancelled && record.isFinished && record.jobState?.isFailure == true)
        record.state = "RUNNING"
        #expect(!record.isFinished && record.jobState?.isFailure == false)
    }
}
