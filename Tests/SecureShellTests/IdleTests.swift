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
        let started = ContinuousClock.now
        // Wait for the event (the replies were read), not for a fixed time:
        // past interval × (count + 1) = 4 s and at least one idle drain.
        let deadline = started + .seconds(90)
        while ssh.driver.idleDrains.load(ordering: .relaxed) < 1 || ContinuousClock.now - started < .seconds(5) {
            guard ContinuousClock.now < deadline else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(ssh.driver.idleDrains.load(ordering: .relaxed) >= 1, "the keepalive replies were read")
        #expect(ssh.isOpen, "answered keepalives keep the connection up past interval × count")
        // About one wake-up per keepalive second; a poll loop spinning on the
        // unread reply would wake hundreds of thousands of times a second.
        let seconds = max(1, Double((ContinuousClock.now - started).components.seconds))
        #expect(Double(ssh.driver.wakeups.load(ordering: .relaxed) - wakeupsBefore) / seconds < 20)
        let result = try await ssh.run(["echo", "still here"])
        #expect(result.stdoutText == "still here\n")
    }

    /// A stream whose consumer is behind holds the server back (its buffer
    /// is full) without the loop spinning on the input it cannot take.
    @Test func aFullStreamBufferWaitsWithoutSpinning() async throws {
        let site = try LocalSite.require()
        let ssh = try await site.connect()
        defer { ssh.close() }
        let stream = ssh.stream(RemoteCommand(script: "head -c 20000000 /dev/zero"), bufferLimit: 64 * 1024)
        var iterator = stream.makeAsyncIterator()
        _ = try await iterator.next()
        try await Task.sleep(for: .milliseconds(300)) // the buffer fills
        let wakeupsBefore = ssh.driver.wakeups.load(ordering: .relaxed)
        try await Task.sleep(for: .seconds(2))
        #expect(ssh.driver.wakeups.load(ordering: .relaxed) - wakeupsBefore < 100)
        var total = 0
        while let chunk = try await iterator.next() {
            if case let .stdout(data) = chunk { total += data.count }
        }
        #expect(total > 19_000_000, "the rest arrives once the consumer catches up")
    }

    /// An idle connection whose server goes away is closed at once, not
    /// after the keepalive limit, and without spinning meanwhile.
    @Test func idleConnectionNoticesTheServerHangingUp() async throws {
        let site = try LocalSite.require()
        let ssh = try await site.connect()
        defer { ssh.close() }
        _ = try await ssh.run(["true"])
        let port = try #require(ssh.localPort)
        let wakeupsBefore = ssh.driver.wakeups.load(ordering: .relaxed)
        try site.killServerSide(ofLocalPort: port)
        // Waits for the event; the deadline stays well under the 60 s keepalive limit.
        let deadline = ContinuousClock.now + .seconds(30)
        while ssh.isOpen, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!ssh.isOpen, "closed before the keepalive limit (60 s) could have done it")
        #expect(ssh.driver.wakeups.load(ordering: .relaxed) - wakeupsBefore < 100)
    }
}
