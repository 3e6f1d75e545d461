import Foundation
import JobRuntime
import SecureShell
import SiteTestSupport
import Testing

@Suite(.enabled(if: LocalSite.isExpected, "\(LocalSite.howToStart)"))
struct ConnectionManagerTests {
    /// The follower and the poller notice one drop at the same moment: they
    /// must end up on one new connection, not open one each.
    @Test func concurrentCallersShareOneConnectionAndOneReconnect() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        let manager = ConnectionManager(settings: session.config.connectionSettings(sshConfig: SSHConfigFile(text: "")),
                                        interaction: NonInteractive())
        let first = try await withThrowingTaskGroup(of: SSHConnection.self) { group in
            for _ in 0..<5 { group.addTask { try await manager.connection() } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(first.map(ObjectIdentifier.init)).count == 1)
        let old = try #require(first.first)
        try session.site.killServerSide(ofLocalPort: try #require(old.localPort))
        for _ in 0..<100 where old.isOpen {
            _ = try? await old.run(["true"])
            try await Task.sleep(for: .milliseconds(50))
        }
        let replaced = try await withThrowingTaskGroup(of: SSHConnection.self) { group in
            for index in 0..<4 {
                group.addTask { index.isMultiple(of: 2) ? try await manager.replace(old) : try await manager.connection() }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(replaced.map(ObjectIdentifier.init)).count == 1)
        #expect(replaced.first !== old)
        #expect(await manager.reconnects == 1)
        await manager.close()
    }
}

/// A first connection that cannot be made is reported at once; only one
/// that worked before is retried (the TUI used to take 35 s on a closed port).
struct FirstConnectionTests {
    @Test func aRefusedPortIsOneAttempt() async throws {
        let port = try FreePort.find(ipv6: false)
        let settings = ConnectionSettings(host: "127.0.0.1", port: port, user: "nobody", useAgent: false)
        let manager = ConnectionManager(settings: settings, interaction: NonInteractive(), maxAttempts: 3)
        await #expect {
            _ = try await manager.connection()
        } throws: { error in
            guard case SSHError.connect = error else { return false }
            return "\(error)".contains("port \(port)")
        }
        #expect(await manager.attempts == 1)
    }
}
