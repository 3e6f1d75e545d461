import Foundation
import History
import JobPreparation
import JobRuntime
import SecureShell
import SiteTestSupport
import Slurm
import Synchronization
import Testing

@Suite(.enabled(if: LocalSite.isExpected, "\(LocalSite.howToStart)"))
struct MonitoringTests {
    @Test func finalStatesComeWithTheirExitCodes() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        let ok = try await session.sbatchWrap("echo fine", name: "st_ok")
        let three = try await session.sbatchWrap("exit 3", name: "st_three")
        let cancelled = try await session.sbatchWrap("sleep 300", name: "st_cancel")
        try await Task.sleep(for: .seconds(1))
        try await JobCanceller.cancel(jobID: cancelled, on: session.ssh)
        #expect(try await session.waitFinal(ok) == JobStatusSnapshot(state: "COMPLETED", exitCode: 0))
        #expect(try await session.waitFinal(three) == JobStatusSnapshot(state: "FAILED", exitCode: 3))
        #expect(try await session.waitFinal(cancelled).state == "CANCELLED")
        // One poll answers for all of them.
        let all = try await StatusPoller.poll(jobIDs: [ok, three, cancelled], on: session.ssh)
        #expect(Set(all.keys) == [ok, three, cancelled])
        await #expect(throws: JobCanceller.Refused.self) { try await JobCanceller.cancel(jobID: "99999999", on: session.ssh) }
    }

    @Test func aJobOutlivingItsLimitEndsTimeout() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        let job = try await session.sbatchWrap("sleep 600", name: "st_timeout", extra: ["-t", "1"])
        #expect(try await session.waitFinal(job, timeout: .seconds(200)).state == "TIMEOUT")
    }

    @Test func logIsFollowedToCompletionThroughFiveKilledConnections() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        let dir = session.workdir("follow")
        try await session.ssh.makeDirectories(dir)
        let log = dir + "/job.out"
        // Lines with multi-byte characters and colour, until the test has
        // killed five connections and says stop (no bet on how long that takes;
        // capped at ten minutes).
        let stop = dir + "/stop"
        let script = "i=0; while [ ! -e \(stop) ] && [ $i -lt 6000 ]; do i=$((i+1)); "
            + "printf '\\033[32mline %04d ✓ ünï\\033[0m %s\\n' $i $(head -c 40 /dev/urandom | base64 -w0); sleep 0.1; done; echo last line"
        let jobID = try await session.sbatchWrap(script, name: "st_follow", extra: ["-o", log])
        let manager = ConnectionManager(settings: session.config.connectionSettings(sshConfig: SSHConfigFile(text: "")),
                                        interaction: NonInteractive())
        let local = session.paths.logs.appendingPathComponent("follow.log")
        let follower = LogFollower(remotePath: log, localFile: local, connections: manager)
        let ssh = session.ssh
        let site = session.site
        let kills = Mutex(0)
        let timeline = Timeline()
        let killer = Task {
            // Kill each connection once, only while the follower is streaming,
            // and only after the previous kill was noticed and replaced.
            var killedPorts: Set<Int> = []
            var bytesAtLastKill: Int64 = 0
            while kills.withLock({ $0 }) < 5 {
                try await Task.sleep(for: .milliseconds(400))
                // Each kill lands mid-stream: the log moved on since the last one.
                guard follower.receivedBytes > bytesAtLastKill else { continue }
                let connection = try await manager.connection()
                guard let port = connection.localPort, !killedPorts.contains(port) else { continue }
                bytesAtLastKill = follower.receivedBytes
                try site.killServerSide(ofLocalPort: port)
                timeline.note("killed the connection from port \(port) at byte \(follower.receivedBytes)")
                killedPorts.insert(port)
                kills.withLock { $0 += 1 }
            }
            _ = try await ssh.run(["touch", stop])
            timeline.note("asked the job to stop")
        }
        let reconnects = Mutex(0)
        try await follower.run(isFinal: {
            (try? await StatusPoller.poll(jobIDs: [jobID], on: ssh)[jobID]?.state.isTerminal) ?? false
        }, onReconnect: { count in reconnects.withLock { $0 = count }; timeline.note("reconnect \(count)") })
        killer.cancel()
        timeline.note("follower done at byte \(follower.receivedBytes)")
        #expect(kills.withLock { $0 } == 5, "the job ended before five connections were killed: \(timeline.events)")
        #expect(try await session.waitFinal(jobID).state == "COMPLETED")
        #expect(reconnects.withLock { $0 } >= 5)
        let remote = try await session.ssh.readFile(log)
        let copy = try Data(contentsOf: local)
        #expect(copy.count == remote.count)
        #expect(copy == remote, "the local copy equals the remote file byte for byte")
        await manager.close()
    }
}

@Suite(.enabled(if: LocalSite.isExpected, "\(LocalSite.howToStart)"))
struct ResultsTests {
    /// A submitted-looking record whose job leaves an age-encrypted tarball
    /// made by the real `age` CLI to the job's own public key.
    func recordWithOutput(_ session: SiteSession, tarball: (URL) throws -> Void) async throws -> SubmissionRecord {
        let id = SubmissionPlan.newSubmissionID()
        let (identity, recipient) = try OutputKeys.generate(submissionID: id, paths: session.paths)
        let workdir = session.workdir("results")
        var record = SubmissionRecord(id: id, clusterHost: session.site.host, clusterPort: session.site.port,
                                      clusterUser: session.site.user, configPath: session.site.config,
                                      appInfoPath: session.site.appInfo, dataInfoPath: session.site.dataInfo,
                                      spec: session.spec(workdir: workdir))
        record.identityFile = identity.path
        record.stage = .submitted
        try session.history.insert(record)
        let local = session.root.appendingPathComponent("out.tgz")
        try tarball(local)
        try await session.ssh.makeDirectories(workdir + "/output")
        try await session.ssh.upload(local, to: workdir + "/plain.tgz")
        let job = try await session.sbatchWrap(
            "age -r \(recipient) -o \(workdir)/output/encrypted_output.tgz \(workdir)/plain.tgz && rm \(workdir)/plain.tgz",
            name: "results")
        #expect(try await session.waitFinal(job).state == "COMPLETED")
        return record
    }

    @Test func resultsAreFetchedDecryptedAndUnpacked() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        let record = try await recordWithOutput(session) { local in
            let tree = session.root.appendingPathComponent("tree/sd-container/output")
            try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
            try "result line\n".write(to: tree.appendingPathComponent("stdout"), atomically: true, encoding: .utf8)
            try "".write(to: tree.appendingPathComponent("stderr"), atomically: true, encoding: .utf8)
            try "0\n".write(to: tree.appendingPathComponent("exit_code"), atomically: true, encoding: .utf8)
            _ = try Tool.run("/bin/tar", ["-C", session.root.appendingPathComponent("tree").path, "-czf", local.path, "sd-container"])
        }
        let results = try await ResultsFetcher.fetch(record, from: session.ssh, paths: session.paths)
        #expect(results.stdout == "result line\n")
        #expect(results.exitCode == 0)
        #expect(results.files.contains("sd-container/output/stdout"))
        #expect(FileManager.default.fileExists(atPath: results.encryptedFile.path))
    }

    @Test func craftedArchiveWithDotDotIsRefused() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        let record = try await recordWithOutput(session) { local in
            let python = """
                import io, sys, tarfile
                with tarfile.open(sys.argv[1], "w:gz") as tar:
                    for name in ["sd-container/output/stdout", "../../escaped.txt"]:
                        data = b"gotcha\\n"
                        info = tarfile.TarInfo(name); info.size = len(data)
                        tar.addfile(info, io.BytesIO(data))
                """
            _ = try Tool.run("/usr/bin/python3", ["-c", python, local.path])
        }
        await #expect {
            _ = try await ResultsFetcher.fetch(record, from: session.ssh, paths: session.paths)
        } throws: { error in "\(error)".contains("escaped.txt") }
        #expect(!FileManager.default.fileExists(atPath: session.paths.results.appendingPathComponent("escaped.txt").path))
        #expect(!FileManager.default.fileExists(atPath: session.paths.dataHome.appendingPathComponent("escaped.txt").path))
        // The encrypted download is kept, beside (never over) earlier results.
        #expect(FileManager.default.fileExists(
            atPath: session.paths.results.appendingPathComponent("\(record.id).incomplete/encrypted_output.tgz").path))
        #expect(!FileManager.default.fileExists(atPath: session.paths.results.appendingPathComponent(record.id).path))
    }

    /// `results --output DIR` puts the results in DIR/<id>/ and touches
    /// nothing else of DIR: not its mode, not the user's files, not a
    /// DIR/<id> the user made. A re-fetch replaces only its own copy.
    @Test func resultsIntoAUserFolderChangeNothingOfTheUsers() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        let record = try await recordWithOutput(session) { local in
            let tree = session.root.appendingPathComponent("tree2/sd-container/output")
            try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
            try "fresh\n".write(to: tree.appendingPathComponent("stdout"), atomically: true, encoding: .utf8)
            _ = try Tool.run("/bin/tar", ["-C", session.root.appendingPathComponent("tree2").path, "-czf", local.path, "sd-container"])
        }
        let folder = session.root.appendingPathComponent("my results")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("files"), withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        _ = chmod(folder.path, 0o755)
        try "mine\n".write(to: folder.appendingPathComponent("files/mine.txt"), atomically: true, encoding: .utf8)
        try "notes\n".write(to: folder.appendingPathComponent("encrypted_output.tgz"), atomically: true, encoding: .utf8)

        let first = try await ResultsFetcher.fetch(record, from: session.ssh, paths: session.paths, into: folder)
        #expect(first.directory == folder.appendingPathComponent("\(record.id)/files"))
        #expect(first.stdout == "fresh\n")
        #expect(try String(contentsOf: folder.appendingPathComponent("files/mine.txt"), encoding: .utf8) == "mine\n")
        #expect(try String(contentsOf: folder.appendingPathComponent("encrypted_output.tgz"), encoding: .utf8) == "notes\n")
        #expect((try FileManager.default.attributesOfItem(atPath: folder.path)[.posixPermissions] as? Int) == 0o755)

        // A re-fetch swaps in a complete new copy and leaves nothing half-done beside it.
        try "stale".write(to: first.directory.appendingPathComponent("stale"), atomically: true, encoding: .utf8)
        let second = try await ResultsFetcher.fetch(record, from: session.ssh, paths: session.paths, into: folder)
        #expect(!FileManager.default.fileExists(atPath: second.directory.appendingPathComponent("stale").path))
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)) == ["files", "encrypted_output.tgz", record.id])

        // A folder of that name that hpcs-job did not make is never replaced.
        let other = session.root.appendingPathComponent("other")
        try FileManager.default.createDirectory(at: other.appendingPathComponent(record.id), withIntermediateDirectories: true)
        try "keep".write(to: other.appendingPathComponent("\(record.id)/keep"), atomically: true, encoding: .utf8)
        await #expect { _ = try await ResultsFetcher.fetch(record, from: session.ssh, paths: session.paths, into: other) } throws: {
            "\($0)".contains("was not made by hpcs-job")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: other.appendingPathComponent(record.id).path) == ["keep"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: other.path) == [record.id])
    }

    @Test func wrongKeyAndMissingOutputAreClearErrors() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        var record = try await recordWithOutput(session) { local in
            _ = try Tool.run("/bin/sh", ["-c", "echo x > \(session.root.path)/x && tar -C \(session.root.path) -czf \(local.path) x"])
        }
        let (otherKey, _) = try OutputKeys.generate(submissionID: "other-\(record.id)", paths: session.paths)
        record.identityFile = otherKey.path
        await #expect { _ = try await ResultsFetcher.fetch(record, from: session.ssh, paths: session.paths) } throws: { error in
            "\(error)".contains("another key")
        }
        record.spec.workdir = session.workdir("nothing")
        await #expect { _ = try await ResultsFetcher.fetch(record, from: session.ssh, paths: session.paths) } throws: { error in
            "\(error)".contains("left no")
        }
    }
}

/// What happened when, for a failure message.
final class Timeline: Sendable {
    private let started = ContinuousClock.now
    private let entries = Mutex<[String]>([])
    func note(_ event: String) { entries.withLock { $0.append("\(ContinuousClock.now - started): \(event)") } }
    var events: [String] { entries.withLock { $0 } }
}
