import Foundation
import JobRuntime
import SecureShell
import SiteTestSupport
import Slurm
import Synchronization
import Testing

/// After a log is shown from its end, the local copy still ends up the
/// whole log, byte for byte, in order.
@Suite(.enabled(if: LocalSite.isExpected, "\(LocalSite.howToStart)"))
struct WholeLogTests {
    func sha256(local url: URL) throws -> String {
        let result = try Tool.run("/usr/bin/sha256sum", [url.path])
        return String(result.out.prefix(64))
    }

    @Test func aLogOpenedAtItsEndAndFollowedToTheJobsEndIsCopiedWhole() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        let dir = session.workdir("whole")
        try await session.ssh.makeDirectories(dir)
        let log = dir + "/job.out", stop = dir + "/stop"
        // 24 MB at once, then lines until the test says stop.
        let script = "head -c 18000000 /dev/urandom | base64; i=0; while [ ! -e \(stop) ] && [ $i -lt 3000 ]; do "
            + "i=$((i+1)); echo \"late line $i\"; sleep 0.05; done; echo last line"
        let jobID = try await session.sbatchWrap(script, name: "st_whole", extra: ["-o", log])
        // Until the job has written its first part, however long it waits its turn (bounded).
        var size: Int64 = 0
        let deadline = ContinuousClock.now + .seconds(150)
        while size < 24_000_000, ContinuousClock.now < deadline {
            size = Int64(try await session.ssh.stat(log)?.size ?? 0)
            if size < 24_000_000 { try await Task.sleep(for: .milliseconds(100)) }
        }
        try #require(size >= 24_000_000, "job \(jobID) did not write its first part within 150 s")
        let end = try await LogTail.read(path: log, lines: 20, on: session.ssh)
        let manager = ConnectionManager(settings: session.config.connectionSettings(sshConfig: SSHConfigFile(text: "")),
                                        interaction: NonInteractive())
        let local = session.paths.logs.appendingPathComponent("whole.log")
        let follower = LogFollower(remotePath: log, localFile: local, connections: manager, startingAt: end.size)
        let streamed = Mutex<Int64>(0)
        let ssh = session.ssh
        let stopper = Task {
            // Stop the job once some late lines came through the stream.
            while streamed.withLock({ $0 }) < 200 { try await Task.sleep(for: .milliseconds(100)) }
            _ = try await ssh.run(["touch", stop])
        }
        try await follower.run(isFinal: {
            (try? await StatusPoller.poll(jobIDs: [jobID], on: ssh)[jobID]?.state.isTerminal) ?? false
        }, onBytes: { data in streamed.withLock { $0 += Int64(data.count) } })
        stopper.cancel()
        await manager.close()
        let remoteSize = Int64(try await session.ssh.stat(log)?.size ?? 0)
        let remoteSum = try await session.ssh.run(["sha256sum", log]).stdoutText.prefix(64)
        #expect(streamed.withLock { $0 } == remoteSize - end.size, "the stream brought only what came after the shown end")
        #expect(follower.localBytes == remoteSize)
        #expect(try sha256(local: local) == String(remoteSum), "the local copy is the remote log, byte for byte")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: session.paths.logs.path).filter { $0 != "whole.log" }
        #expect(leftovers.isEmpty, "no side file is left: \(leftovers)")
        _ = try await session.ssh.run(["rm", "-rf", dir])
    }

    /// A remote log shorter than the copy (written again, a requeued job):
    /// a clear error naming the copy and what to do, the copy untouched.
    @Test func aLogWrittenAgainFromTheStartIsRefusedAndTheCopyKept() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        let dir = session.workdir("rewritten")
        try await session.ssh.makeDirectories(dir)
        let log = dir + "/job.out"
        _ = try await session.ssh.run(RemoteCommand(script: "echo second run > \(ShellQuote.quote(log))"))
        let local = session.paths.logs.appendingPathComponent("rewritten.log")
        try FileManager.default.createDirectory(at: session.paths.logs, withIntermediateDirectories: true)
        let earlier = Data("first run, line one\nfirst run, line two\n".utf8)
        try earlier.write(to: local)
        let manager = ConnectionManager(settings: session.config.connectionSettings(sshConfig: SSHConfigFile(text: "")),
                                        interaction: NonInteractive())
        let follower = LogFollower(remotePath: log, localFile: local, connections: manager)
        do {
            try await follower.run(isFinal: { true })
            Issue.record("a shorter log was followed on")
        } catch let rewritten as LogFollower.Rewritten {
            #expect(rewritten.description.contains(log) && rewritten.description.contains(local.path)
                    && rewritten.description.contains("move it away"), "\(rewritten)")
        }
        await manager.close()
        #expect(try Data(contentsOf: local) == earlier, "the earlier run's copy is kept as it was")
        _ = try await session.ssh.run(["rm", "-rf", dir])
    }
}
