import Foundation
@testable import SecureShell
import SiteTestSupport
import Testing

@Suite(.enabled(if: LocalSite.isExpected, "\(LocalSite.howToStart)"))
struct IdleTests {
    /// Idle, nobody reads: keepalive replies wait in the socket. They must
    /// count as answers (no drop after interval × count), not spin the loop, and
    /// be read now and then so they never fill the socket's buffer.
    @Test func idleConnectionStaysUpAndItsKeepaliveRepliesAreRead() async throws {
        let site = try LocalSite.require()
        let ssh = try await site.connect(site.settings(keepalive: 1))
        defer { ssh.close() }
        let wakeupsBefore = ssh.driver.wakeups.load(ordering: .relaxed)
        try await Task.sleep(for: .seconds(10))
        #expect(ssh.isOpen)
        // About one wake-up per keepalive second; a poll loop spinning on the
        // unread reply would wake hundreds of thousands of times.
        #expect(ssh.driver.wakeups.load(ordering: .relaxed) - wakeupsBefore < 200)
        #expect(ssh.driver.idleDrains.load(ordering: .relaxed) >= 1)
        let result = try await ssh.run(["echo", "still here"])
        #expect(result.stdoutText == "still here\n")
    }
}
