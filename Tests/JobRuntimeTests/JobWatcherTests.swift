import Foundation
import History
import JobPreparation
import JobRuntime
import SecureShell
import SiteTestSupport
import Slurm
import Testing

/// The watcher the Monitor and `logs -f` share, on real Slurm: states as
/// they change (recorded in History), the whole log, then the end.
@Suite(.enabled(if: LocalSite.isExpected, "\(LocalSite.howToStart)"))
struct JobWatcherTests {
    @Test func aJobIsWatchedToItsEndWithItsWholeLogAndItsStateRecorded() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        let dir = session.workdir("watch")
        try await session.ssh.makeDirectories(dir, mode: 0o700)
        let log = "\(dir)/watched.out"
        let job = try await session.sbatchWrap("for i in $(seq 1 200); do echo line-$i; done; sleep 2; echo last-line; exit 4",
                                               name: "st_watch", extra: ["-o", log, "-t", "7"])
        // Followed as the Jobs view opens a job hpcs-job did not submit: what scontrol says of it.
        let record = try await ForeignJob.record(job, name: "st_watch", on: session.ssh)
        #expect(record.logPath == log && record.spec.time == .minutes(7) && record.clusterPort == session.site.port)
        try session.history.insert(record)
        let manager = ConnectionManager(settings: session.ssh.settings, interaction: NonInteractive(), initial: session.ssh)
        let local = session.root.appendingPathComponent("watched.log")
        var states: [JobState] = []
        var bytes = Data()
        for try await event in JobWatcher(record: record, connections: manager, history: session.history, localLog: local).events() {
            switch event {
            case let .status(status): if states.last != status.state { states.append(status.state) }
            case let .log(data): bytes.append(data)
            case .reconnected, .efficiency: break
            }
        }
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix("line-1\n") && text.hasSuffix("line-200\nlast-line\n"), "\(text.suffix(200))")
        #expect(states.last == .failed, "\(states)")
        #expect(try Data(contentsOf: local) == bytes, "the local copy is what was shown")
        let stored = try #require(try session.history.record(record.id))
        #expect(stored.jobState == .failed && stored.exitCode == 4 && stored.logOffset == Int64(bytes.count))
    }
}
