import Foundation
import SecureShell
import SiteTestSupport
import Testing

@Suite(.enabled(if: LocalSite.isExpected, "\(LocalSite.howToStart)"))
struct SFTPTests {
    func remoteScratch(_ ssh: SSHConnection) async throws -> String {
        let home = try await ssh.run(RemoteCommand(script: "printf %s \"$HOME\"")).stdoutText
        let dir = "\(home)/sftp-tests/\(UUID().uuidString)"
        try await ssh.makeDirectories(dir)
        return dir
    }

    @Test func statListMkdirAndRemove() async throws {
        let site = try LocalSite.require()
        let ssh = try await site.connect()
        defer { ssh.close() }
        let dir = try await remoteScratch(ssh)
        try await ssh.makeDirectories(dir + "/a/b/c", mode: 0o700)
        try await ssh.makeDirectories(dir + "/a/b/c") // existing: fine
        try await ssh.writeFileAtomically(dir + "/a/x.info.yaml", data: Data("hello".utf8), mode: 0o640)
        let entries = try await ssh.list(dir + "/a")
        #expect(entries.map(\.name) == ["b", "x.info.yaml"])
        #expect(entries.first?.kind == .directory)
        #expect(entries.last?.kind == .file && entries.last?.size == 5 && entries.last?.permissions == 0o640)
        #expect(try await ssh.stat(dir + "/missing") == nil)
        #expect(try await ssh.readFile(dir + "/a/x.info.yaml") == Data("hello".utf8))
        await #expect {
            _ = try await ssh.readFile(dir + "/missing")
        } throws: { error in
            guard case let SSHError.sftp(status, path, _) = error else { return false }
            return status == 2 && path == dir + "/missing"
        }
        // Remove through SFTP: a file, then the folders it leaves empty.
        try await ssh.removeFile(dir + "/a/x.info.yaml")
        #expect(try await ssh.stat(dir + "/a/x.info.yaml") == nil)
        await #expect { try await ssh.removeDirectory(dir + "/a") } throws: { error in
            guard case SSHError.sftp = error else { return false }
            return true // not empty: refused, as rmdir would
        }
        for folder in ["/a/b/c", "/a/b", "/a"] { try await ssh.removeDirectory(dir + folder) }
        #expect(try await ssh.stat(dir + "/a") == nil)
        _ = try await ssh.run(["rm", "-rf", "--", dir])
    }

    @Test func atomicWriteReplacesAnExistingFile() async throws {
        let site = try LocalSite.require()
        let ssh = try await site.connect()
        defer { ssh.close() }
        let dir = try await remoteScratch(ssh)
        try await ssh.writeFileAtomically(dir + "/f", data: Data("one".utf8))
        try await ssh.writeFileAtomically(dir + "/f", data: Data("two".utf8), mode: 0o600)
        #expect(try await ssh.readFile(dir + "/f") == Data("two".utf8))
        #expect(try await ssh.list(dir).map(\.name) == ["f"], "no temporary file left")
        _ = try await ssh.run(["rm", "-rf", "--", dir])
    }

    @Test func sixtyFourMiBUpAndDownKeepTheirSHA256() async throws {
        let site = try LocalSite.require()
        let ssh = try await site.connect()
        defer { ssh.close() }
        let dir = try await remoteScratch(ssh)
        let local = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: local) }
        let source = local.appendingPathComponent("random.bin")
        _ = try Tool.run("/usr/bin/head", ["-c", "\(64 << 20)", "/dev/urandom"]).stdout.write(to: source)
        let reports = ProgressCounter()
        try await ssh.upload(source, to: dir + "/random.bin", progress: { done, _ in reports.record(done) })
        #expect(reports.last == 64 << 20)
        let back = local.appendingPathComponent("back.bin")
        try await ssh.download(dir + "/random.bin", to: back)
        let localSum = try Tool.run("/usr/bin/sha256sum", [source.path]).out.prefix(64)
        let remoteSum = try await ssh.run(["sha256sum", dir + "/random.bin"]).stdoutText.prefix(64)
        let backSum = try Tool.run("/usr/bin/sha256sum", [back.path]).out.prefix(64)
        #expect(localSum == remoteSum && localSum == backSum)
        _ = try await ssh.run(["rm", "-rf", "--", dir])
    }

    @Test func killedConnectionMidUploadLeavesNoTargetFile() async throws {
        let site = try LocalSite.require()
        let ssh = try await site.connect()
        defer { ssh.close() }
        let dir = try await remoteScratch(ssh)
        let observer = try await site.connect()
        defer { observer.close() }
        let port = try #require(ssh.localPort)
        let big = Data(count: 256 << 20)
        let killer = ProgressCounter()
        await #expect(throws: SSHError.self) {
            try await ssh.writeFileAtomically(dir + "/target.bin", data: big, progress: { done, _ in
                if done > 8 << 20, killer.record(done, once: true) { try? site.killServerSide(ofLocalPort: port) }
            })
        }
        #expect(try await observer.stat(dir + "/target.bin") == nil)
        _ = try await observer.run(["rm", "-rf", "--", dir])
    }
}

final class ProgressCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [UInt64] = []
    private var fired = false

    @discardableResult
    func record(_ value: UInt64, once: Bool = false) -> Bool {
        lock.withLock {
            values.append(value)
            if once { defer { fired = true }; return !fired }
            return true
        }
    }

    var last: UInt64? { lock.withLock { values.last } }
}
