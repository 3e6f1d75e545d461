import Foundation
@testable import SecureShell
import SiteTestSupport
import Synchronization
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

/// Reading one stream makes libssh2 take whatever the socket holds, other
/// streams' data too; the loop must not then sleep on the socket for bytes
/// already inside libssh2. With a keepalive of ten minutes such a wait would
/// last ten minutes: every transfer here must end (bounded at two minutes
/// in all, a guard against the hang, not a speed figure).
@Suite(.enabled(if: LocalSite.isExpected, "\(LocalSite.howToStart)"))
struct BufferedInputTests {
    @Test func streamsNeverWaitOnTheSocketForBytesLibssh2AlreadyHolds() async throws {
        let site = try LocalSite.require()
        var settings = site.settings()
        settings.serverAliveInterval = 600
        let ssh = try await site.connect(settings)
        defer { ssh.close() }
        let file = "buffered-input-\(UUID().uuidString.prefix(8)).txt"
        _ = try await ssh.run(RemoteCommand(script: "head -c 75000000 /dev/urandom | base64 > \(file)"))
        defer { _ = try? site.openSSH("rm -f \(file)") }
        let transfers = Task {
            var totals: [Int] = []
            for round in 0..<16 {
                // In 128 KiB writes, stdout alone or with stderr beside it: a
                // read of one stream pulls in the other's packets.
                let script = round % 2 == 0 ? "dd if=\(file) bs=128K status=none"
                    : "dd if=\(file) bs=128K status=none & head -c 8000000 /dev/zero | dd bs=4K status=none >&2; wait"
                var total = 0
                for try await chunk in ssh.stream(RemoteCommand(script: script)) {
                    switch chunk {
                    case let .stdout(data), let .stderr(data): total += data.count
                    case .exit: break
                    }
                }
                totals.append(total)
            }
            return totals
        }
        let guardTask = Task {
            try await Task.sleep(for: .seconds(120))
            transfers.cancel()
        }
        defer { guardTask.cancel() }
        let totals = try await transfers.value
        let size = 101_315_790 // base64 of 75,000,000 bytes in 76-column lines
        #expect(totals == (0..<16).map { $0 % 2 == 0 ? size : size + 8_000_000 }, "every transfer ended, whole")
    }
}

extension BufferedInputTests {
    /// An operation whose input waits inside libssh2 (what a read for another
    /// stream left there): stepped again at once, not after the keepalive.
    final class HeldInputProbe: DriverOperation, @unchecked Sendable {
        private let stepsToFinish: Int
        private let finished: @Sendable () -> Void
        private var steps = 0
        init(stepsToFinish: Int, finished: @escaping @Sendable () -> Void) {
            self.stepsToFinish = stepsToFinish
            self.finished = finished
        }
        func step(_ driver: SessionDriver) -> StepResult {
            steps += 1
            guard steps >= stepsToFinish else { return .blocked }
            finished()
            return .finished
        }
        func fail(_ error: SSHError) { finished() }
        func hasBufferedInput(_ driver: SessionDriver) -> Bool { true }
        /// It reads nothing from the socket itself (its input is "inside libssh2").
        var wantsInput: Bool { false }
    }

    final class Flag: Sendable {
        private let value = Atomic(false)
        func set() { value.store(true, ordering: .relaxed) }
        var isSet: Bool { value.load(ordering: .relaxed) }
    }

    @Test func anOperationWithInputInsideLibssh2IsSteppedAgainWithoutWaiting() async throws {
        let site = try LocalSite.require()
        var settings = site.settings()
        settings.serverAliveInterval = 600
        let ssh = try await site.connect(settings)
        defer { ssh.close() }
        let finished = Flag()
        ssh.driver.submit(HeldInputProbe(stepsToFinish: 3) { finished.set() })
        // Waited for as an event, bounded: without going round again it would sit out the ten-minute keepalive.
        let deadline = ContinuousClock.now + .seconds(60)
        while !finished.isSet, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let first = finished.isSet
        #expect(first, "the probe was stepped three times without a ten-minute wait")
    }

    /// One that says so forever but never moves does not spin the loop.
    @Test func bufferedInputThatIsNeverTakenDoesNotSpin() async throws {
        let site = try LocalSite.require()
        let ssh = try await site.connect()
        defer { ssh.close() }
        ssh.driver.submit(HeldInputProbe(stepsToFinish: .max) {})
        try await Task.sleep(for: .milliseconds(300))
        let wakeupsBefore = ssh.driver.wakeups.load(ordering: .relaxed)
        try await Task.sleep(for: .seconds(2))
        #expect(ssh.driver.wakeups.load(ordering: .relaxed) - wakeupsBefore < 100)
    }
}
