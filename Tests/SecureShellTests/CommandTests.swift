import Foundation
import SecureShell
import SiteTestSupport
import Testing

@Suite(.enabled(if: LocalSite.isExpected, "\(LocalSite.howToStart)"))
struct CommandTests {
    /// Strings that break naive command pasting.
    static let hostile: [[UInt8]] = [
        "", " ", "two words", "it's", "\"double\"", "$(touch /tmp/pwned)", "`id`", "a;rm -rf ~", "line\nbreak",
        "-n", "--help", "*", "~", "$HOME", "\\", "'", "''", "tab\there", "😀 ünïcödé", "a|b&c>d<e", "#comment",
        "!event", "{a,b}", "%s%n",
    ].map { Array($0.utf8) } + [[0xff, 0xfe, 0x80], [0xc3], [0x01, 0x1b, 0x5b, 0x33, 0x31, 0x6d]]

    @Test func hostileArgumentsArriveByteForByte() async throws {
        let site = try LocalSite.require()
        let ssh = try await site.connect()
        defer { ssh.close() }
        for value in Self.hostile {
            let result = try await ssh.run(RemoteCommand(argumentBytes: [Array("printf".utf8), Array("%s".utf8), value]))
            #expect(Array(result.stdout) == value, "value \(value)")
            #expect(result.status.succeeded)
        }
    }

    @Test func stdoutStderrAndExitStatusAreSeparate() async throws {
        let site = try LocalSite.require()
        let ssh = try await site.connect()
        defer { ssh.close() }
        let result = try await ssh.run(RemoteCommand(script: "echo out; echo err >&2; exit 3"))
        #expect(result.stdoutText == "out\n")
        #expect(result.stderrText == "err\n")
        #expect(result.status == RemoteExitStatus(code: 3, signal: nil))
        let warned = try await ssh.run(RemoteCommand(script: "echo warning >&2; echo fine"))
        #expect(warned.status.succeeded && warned.stdoutText == "fine\n")
        let killed = try await ssh.run(RemoteCommand(script: "kill -TERM $$"))
        #expect(killed.status.signal == "TERM")
    }

    @Test func streamingDeliversBytesThenTheExitStatus() async throws {
        let site = try LocalSite.require()
        let ssh = try await site.connect()
        defer { ssh.close() }
        // "é" (c3 a9) written in two separate writes: the stream must not split-decode it.
        let script = "printf '\\303'; sleep 0.2; printf '\\251\\n'; echo done >&2; exit 4"
        var stdout = Data(), stderr = Data()
        var exit: RemoteExitStatus?
        for try await chunk in ssh.stream(RemoteCommand(script: script)) {
            switch chunk {
            case let .stdout(data): stdout.append(data)
            case let .stderr(data): stderr.append(data)
            case let .exit(status): exit = status
            }
        }
        #expect(String(decoding: stdout, as: UTF8.self) == "é\n")
        #expect(String(decoding: stderr, as: UTF8.self) == "done\n")
        #expect(exit == RemoteExitStatus(code: 4, signal: nil))
    }

    @Test func cancellingAStreamClosesItsChannel() async throws {
        let site = try LocalSite.require()
        let ssh = try await site.connect()
        defer { ssh.close() }
        let marker = "hpcs-cancel-\(UUID().uuidString.prefix(8))"
        let task = Task {
            var received = 0
            for try await chunk in ssh.stream(RemoteCommand(script: "while true; do echo \(marker); sleep 0.1; done")) {
                if case .stdout = chunk { received += 1 }
                if received >= 3 { break }
            }
            return received
        }
        #expect(try await task.value >= 3)
        // The connection stays usable and the remote loop goes away.
        var alive = true
        for _ in 0..<50 {
            let check = try await ssh.run(["pgrep", "-f", "echo \(marker)"])
            alive = check.status.succeeded
            if !alive { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(!alive)
    }

    @Test func oneConnectionCarriesAStreamAndTwentyCommandsAtOnce() async throws {
        let site = try LocalSite.require()
        let ssh = try await site.connect()
        defer { ssh.close() }
        async let streamed: Int = {
            var lines = 0
            for try await chunk in ssh.stream(RemoteCommand(script: "for i in $(seq 1 20); do echo $i; sleep 0.05; done")) {
                if case let .stdout(data) = chunk { lines += data.filter { $0 == 0x0A }.count }
            }
            return lines
        }()
        let outputs = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<20 {
                group.addTask { try await ssh.run(["echo", "command \(index)"]).stdoutText }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(outputs == Set((0..<20).map { "command \($0)\n" }))
        #expect(try await streamed == 20)
    }

    /// Many channels opened and started together, with SFTP beside them:
    /// replies for one channel arriving while another waits must not fail it.
    @Test func manyChannelsSetUpAtOnceAllSucceed() async throws {
        let site = try LocalSite.require()
        let ssh = try await site.connect()
        defer { ssh.close() }
        let home = "/home/\(site.user)"
        for round in 0..<3 {
            let outputs = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        if index.isMultiple(of: 8) { return try await ssh.stat(home) != nil ? "stat\n" : "missing\n" }
                        return try await ssh.run(["echo", "\(round)-\(index)"]).stdoutText
                    }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(outputs.count == 40)
            #expect(outputs.filter { $0 == "stat\n" }.count == 5)
        }
    }

    @Test func serverDisappearingMidCommandIsDisconnected() async throws {
        let site = try LocalSite.require()
        let ssh = try await site.connect(site.settings(keepalive: 2))
        defer { ssh.close() }
        let port = try #require(ssh.localPort)
        // The command is known to run once its first line arrives (no sleep-and-hope).
        var iterator = ssh.stream(RemoteCommand(script: "echo started; sleep 60")).makeAsyncIterator()
        _ = try await iterator.next()
        let started = ContinuousClock.now
        try site.killServerSide(ofLocalPort: port)
        await #expect {
            while try await iterator.next() != nil {}
        } throws: { error in
            guard let error = error as? SSHError else { return false }
            return error.isConnectionLost
        }
        // Noticed from the closed socket, not from the command's end at 60 s
        // (generous: under the full suite an async test may wait for a thread).
        #expect(ContinuousClock.now - started < .seconds(55))
        #expect(!ssh.isOpen)
        await #expect(throws: SSHError.self) { _ = try await ssh.run(["true"]) }
    }

    /// A peer that stops answering without closing the TCP connection (a
    /// frozen login node, a dead NAT entry) is found by keepalives.
    @Test func silentServerIsFoundByKeepalives() async throws {
        let site = try LocalSite.require()
        let ssh = try await site.connect(site.settings(keepalive: 1))
        defer { ssh.close() }
        let port = try #require(ssh.localPort)
        // A first command makes sure sshd's per-user child exists to be stopped too.
        _ = try await ssh.run(["true"])
        let stopped = try site.signalServerSide(ofLocalPort: port, signal: "STOP")
        // Once our side gave up, the connection is no longer listed: kill by pid.
        defer { for pid in stopped { _ = try? Tool.run("/bin/kill", ["-KILL", pid]) } }
        let started = ContinuousClock.now
        await #expect {
            _ = try await ssh.run(["sleep", "60"])
        } throws: { error in
            (error as? SSHError)?.isConnectionLost == true
        }
        // Interval 1 s, three unanswered: before the 60 s the command would take
        // (generous: under the full suite an async test may wait for a thread).
        #expect(ContinuousClock.now - started < .seconds(55))
        #expect(!ssh.isOpen)
    }
}
