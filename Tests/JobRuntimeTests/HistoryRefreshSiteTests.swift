import Foundation
import History
import JobPreparation
import JobRuntime
import SecureShell
import SiteTestSupport
import Slurm
import Testing

/// History's unfinished jobs on the real Slurm: found by cluster, their
/// states asked for in one round trip, written to the records; records of
/// another cluster, and final ones, are left alone.
@Suite(.enabled(if: LocalSite.isExpected, "\(LocalSite.howToStart)"))
struct HistoryRefreshSiteTests {
    @Test func unfinishedJobsOfThisClusterGetTheirStates() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        let folder = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try HistoryStore(url: folder.appendingPathComponent("history.sqlite"))
        let settings = session.ssh.settings
        func record(_ id: String, jobID: String, host: String, state: String?) -> SubmissionRecord {
            var record = SubmissionRecord(id: id, clusterHost: host, clusterPort: settings.port, clusterUser: settings.user,
                                          configPath: "/c.conf", appInfoPath: "/a", dataInfoPath: "/d",
                                          spec: JobSpec(jobName: "r", partition: "p", time: .minutes(1), nodelist: "n", workdir: "/w"))
            record.jobID = jobID
            record.state = state
            return record
        }
        var jobs: [String] = []
        for _ in 0..<2 {
            let submitted = try await session.ssh.run(RemoteCommand(script: "sbatch --parsable -p \(session.site.partition) -t 1 -o /dev/null --wrap true"))
            jobs.append(submitted.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        try store.insert(contentsOf: [
            record("20261130-000000-00000001", jobID: jobs[0], host: settings.host, state: nil),
            record("20261130-000000-00000002", jobID: jobs[1], host: settings.host, state: "PENDING"),
            record("20261130-000000-00000003", jobID: jobs[0], host: "other.example.org", state: "RUNNING"),
            record("20261130-000000-00000004", jobID: "1", host: settings.host, state: "COMPLETED"),
        ])
        let unfinished = try store.unfinished(host: settings.host, port: settings.port, user: settings.user)
        #expect(Set(unfinished.map(\.id)) == ["20261130-000000-00000001", "20261130-000000-00000002"])
        var final = false
        for _ in 0..<60 where !final {
            let refreshed = try await store.refresh(try store.unfinished(host: settings.host, port: settings.port, user: settings.user),
                                                    on: session.ssh)
            final = refreshed.isEmpty || refreshed.allSatisfy { $0.state.flatMap { JobState(slurm: $0) }?.isTerminal == true }
            if !final { try await Task.sleep(for: .seconds(1)) }
        }
        #expect(try store.record("20261130-000000-00000001")?.state == "COMPLETED")
        #expect(try store.record("20261130-000000-00000002")?.exitCode == 0)
        #expect(try store.record("20261130-000000-00000003")?.state == "RUNNING", "another cluster's record is not touched")
        #expect(try store.unfinished(host: settings.host, port: settings.port, user: settings.user).isEmpty)
    }
}
