import CLibSSH2
import Foundation
import Synchronization

/// One step of work on the session. Operations run only on the driver's
/// thread; each is a small state machine advanced until it finishes.
/// Sendable only to cross into the driver's inbox: implementations keep
/// their state to the driver thread (hence `@unchecked`).
protocol DriverOperation: AnyObject, Sendable {
    /// Advances as far as libssh2 allows without blocking.
    func step(_ driver: SessionDriver) -> StepResult
    /// Ends the operation with an error (connection lost, driver closing).
    func fail(_ error: SSHError)
    /// A descriptor besides the SSH socket to wait on (port forwarding).
    var extraPoll: (fd: Int32, events: Int16)? { get }
    /// False while the operation could not take input if it came (a stream
    /// whose consumer is behind): the loop then does not wake for it.
    var wantsInput: Bool { get }
    /// True when input for it waits inside libssh2, already taken from the
    /// socket (by a call made for another operation or stream), so the
    /// socket will not wake the loop for it.
    func hasBufferedInput(_ driver: SessionDriver) -> Bool
}

extension DriverOperation {
    var extraPoll: (fd: Int32, events: Int16)? { nil }
    var wantsInput: Bool { true }
    func hasBufferedInput(_ driver: SessionDriver) -> Bool { false }
}

/// Bytes libssh2 holds for a channel that its reader has not taken yet.
func bufferedBytes(_ channel: OpaquePointer?) -> UInt {
    guard let channel else { return 0 }
    var available: UInt = 0
    _ = libssh2_channel_window_read_ex(channel, &available, nil)
    return available
}

enum StepResult {
    case finished
    case progressed
    case blocked
}

/// Lets one operation at a time use a part of libssh2 that keeps a single
/// request state; held weakly, so an operation that is gone blocks no one.
/// Driver thread only.
struct OperationTurn {
    private weak var holder: DriverOperation?

    /// True if `operation` holds the turn now (taking it when free).
    mutating func acquire(_ operation: DriverOperation) -> Bool {
        if let holder { return holder === operation }
        holder = operation
        return true
    }

    func isHeld(by operation: DriverOperation) -> Bool { holder === operation }

    mutating func release(_ operation: DriverOperation) {
        if holder === operation { holder = nil }
    }
}

/// Owns one libssh2 session and drives it from a single thread, as libssh2
/// requires: non-blocking calls multiplexed with `poll()`, so a log stream,
/// status commands and transfers share one connection without any caller
/// ever blocking. Async callers enqueue operations and await their results.
final class SessionDriver: @unchecked Sendable {
    struct Inbox {
        var pending: [DriverOperation] = []
        var closing = false
        var failure: SSHError?
    }

    // Touched only on the driver thread.
    var session: OpaquePointer?
    var socket: Int32 = -1
    var sftp: OpaquePointer?
    /// Who may call into libssh2's SFTP layer.
    var sftpTurn = OperationTurn()
    /// The operation currently allowed to open a channel or start its command.
    /// libssh2 1.10 fails such a wait with -1 when another channel's reply of
    /// the same kind arrives meanwhile (it finds the packet type but not its
    /// channel), so channels are set up one at a time.
    var setupTurn = OperationTurn()
    private var active: [DriverOperation] = []
    /// Unread bytes in the socket at the last liveness check.
    private var unreadBytesSeen = 0
    private var lastIdleDrain = ContinuousClock.now
    /// Rounds in a row that went on without waiting for buffered input.
    private var bufferedRounds = 0
    /// How many idle drains ran, and how many times the loop woke (read by
    /// tests, from any thread: an idle connection must not spin).
    let idleDrains = Atomic<Int>(0)
    let wakeups = Atomic<Int>(0)
    let context: SessionContext
    let label: String
    private let keepaliveInterval: Int
    private let keepaliveCountMax: Int

    private let inbox = Mutex(Inbox())
    let socketForQueries = Atomic<Int32>(-1)
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)
    /// Resources to release when the loop ends (e.g. the jump connection).
    var onClose: [@Sendable () -> Void] = []

    init(label: String, context: SessionContext, keepaliveInterval: Int, keepaliveCountMax: Int) {
        self.label = label
        self.context = context
        self.keepaliveInterval = max(1, keepaliveInterval)
        self.keepaliveCountMax = max(1, keepaliveCountMax)
        var fds: [Int32] = [0, 0]
        if pipe(&fds) != 0 { fds = [-1, -1] }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        _ = fcntl(wakeRead, F_SETFL, O_NONBLOCK)
        _ = fcntl(wakeWrite, F_SETFL, O_NONBLOCK)
    }

    deinit {
        close(wakeRead)
        close(wakeWrite)
    }

    /// Starts the thread; `setup` runs first on it (blocking connect + auth).
    func start(setup: @escaping @Sendable (SessionDriver) -> Void) {
        LiveDrivers.add(self)
        let thread = Thread { [self] in
            setup(self)
            self.loop()
            LiveDrivers.remove(self)
            self.finished.signal()
        }
        thread.name = "ssh-\(label)"
        thread.stackSize = 1 << 20
        self.thread = thread
        thread.start()
    }

    var isClosed: Bool { inbox.withLock { $0.closing } }
    var failure: SSHError? { inbox.withLock { $0.failure } }

    /// Queues an operation; fails it at once if the connection is gone.
    func submit(_ operation: DriverOperation) {
        let refused: SSHError? = inbox.withLock { box in
            if let failure = box.failure { return failure }
            if box.closing { return SSHError.disconnected("the connection was closed") }
            box.pending.append(operation)
            return nil
        }
        if let refused { operation.fail(refused) } else { wake() }
    }

    func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    /// Asks the loop to finish: operations in flight fail with `disconnected`.
    func shutdown() {
        inbox.withLock { $0.closing = true }
        wake()
    }

    /// Shuts down and waits (bounded) until the session is freed, so nothing
    /// of libssh2 outlives its caller (e.g. a process exiting right after).
    func shutdownAndWait() {
        shutdown()
        if Thread.current !== thread { _ = finished.wait(timeout: .now() + 5) }
    }

    /// Ends the connection with an error delivered to every operation.
    func fatal(_ error: SSHError) {
        inbox.withLock { box in
            if box.failure == nil { box.failure = error }
            box.closing = true
        }
    }

    private func loop() {
        defer { teardown() }
        guard session != nil else { return }
        libssh2_session_set_blocking(session, 0)
        libssh2_keepalive_config(session, 1, UInt32(keepaliveInterval))
        var idleWait = Int32(keepaliveInterval * 1000)
        while true {
            let (newOperations, closing) = inbox.withLock { box -> ([DriverOperation], Bool) in
                let taken = box.pending
                box.pending.removeAll()
                return (taken, box.closing)
            }
            active += newOperations
            if closing { return }

            var rounds = 0
            var progressed = true
            while progressed, rounds < 64, !isClosed {
                progressed = false
                rounds += 1
                var index = 0
                while index < active.count {
                    switch active[index].step(self) {
                    case .finished: active.remove(at: index); progressed = true
                    case .progressed: index += 1; progressed = true
                    case .blocked: index += 1
                    }
                }
            }
            if isClosed { return }
            if checkLiveness() == false { return }
            drainIfIdleTooLong()
            var next: Int32 = 0
            if libssh2_keepalive_send(session, &next) == 0 {
                idleWait = max(100, min(Int32(keepaliveInterval * 1000), next * 1000))
            }
            // Reading one stream makes libssh2 take every packet in the socket,
            // other channels' too: those wait in its buffers, and polling the
            // socket for them would sleep until the next keepalive (a stall
            // seen mid-stream). Go round again instead (a few times at most,
            // should an operation not take what is buffered).
            let buffered = !progressed && active.contains { $0.hasBufferedInput(self) }
            bufferedRounds = buffered ? bufferedRounds + 1 : 0
            waitForActivity(timeout: progressed || buffered && bufferedRounds <= 3 ? 0 : idleWait)
        }
    }

    /// While idle, every few keepalive intervals with replies left unread,
    /// has libssh2 read them (see TransportDrainOperation).
    private func drainIfIdleTooLong() {
        guard active.isEmpty, unreadBytesSeen > 0 else { return }
        let now = ContinuousClock.now
        guard now - lastIdleDrain >= .seconds(keepaliveInterval * 8) else { return }
        lastIdleDrain = now
        idleDrains.add(1, ordering: .relaxed)
        active.append(TransportDrainOperation())
    }

    /// Fails the connection when nothing has arrived for interval × countMax.
    /// While idle nobody asks libssh2 to read, so keepalive replies wait in
    /// the socket: bytes piling up there count as the server answering.
    private func checkLiveness() -> Bool {
        let unread = Int(hpcs_socket_unread_bytes(socket))
        if unread > unreadBytesSeen { context.lastReceived = .now }
        unreadBytesSeen = unread
        let silent = ContinuousClock.now - context.lastReceived
        let limit = Duration.seconds(keepaliveInterval * (keepaliveCountMax + 1))
        if silent > limit {
            fatal(.disconnected("no answer from the server for \(silent.components.seconds) s (keepalive)"))
            return false
        }
        return true
    }

    private func waitForActivity(timeout: Int32) {
        var fds: [pollfd] = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
        let directions = libssh2_session_block_directions(session)
        // The socket is waited on only when an operation can go on. Otherwise
        // (idle: keepalive replies; a consumer behind) its input is left
        // unread until one can, and libssh2's block directions may be stale:
        // polling would return at once, over and over. The timeout still
        // brings the next keepalive.
        // A closed connection is noticed even then.
        var socketEvents = hpcs_pollrdhup()
        if active.contains(where: \.wantsInput) {
            socketEvents |= Int16(POLLIN)
            if directions & LIBSSH2_SESSION_BLOCK_OUTBOUND != 0 { socketEvents |= Int16(POLLOUT) }
        }
        fds.append(pollfd(fd: socket, events: socketEvents, revents: 0))
        for operation in active {
            if let extra = operation.extraPoll { fds.append(pollfd(fd: extra.fd, events: extra.events, revents: 0)) }
        }
        _ = poll(&fds, nfds_t(fds.count), timeout)
        wakeups.add(1, ordering: .relaxed)
        let closed = Int16(POLLHUP | POLLERR) | hpcs_pollrdhup()
        if fds[1].revents & closed != 0, active.isEmpty {
            // Idle, nobody asks libssh2, which would find out by reading: the
            // server hung up. (With a stream waiting on its consumer, the
            // bytes before the hang-up are read first, then libssh2 sees it.)
            fatal(.disconnected("the server closed the connection"))
        }
        if fds[0].revents != 0 {
            var buffer = [UInt8](repeating: 0, count: 256)
            while read(wakeRead, &buffer, buffer.count) > 0 {}
        }
    }

    private func teardown() {
        let error = inbox.withLock { box -> SSHError in
            box.closing = true
            return box.failure ?? .disconnected("the connection was closed")
        }
        let leftovers = active + inbox.withLock { box -> [DriverOperation] in
            let taken = box.pending
            box.pending.removeAll()
            return taken
        }
        active.removeAll()
        for operation in leftovers { operation.fail(error) }
        if let sftp {
            libssh2_session_set_blocking(session, 1)
            libssh2_session_set_timeout(session, 2000)
            libssh2_sftp_shutdown(sftp)
            self.sftp = nil
        }
        if let session {
            libssh2_session_set_blocking(session, 1)
            libssh2_session_set_timeout(session, 2000)
            if failure == nil || failure == .disconnected("the connection was closed") {
                libssh2_session_disconnect_ex(session, SSH_DISCONNECT_BY_APPLICATION, "hpcs-job closing", "")
            }
            libssh2_session_free(session)
            self.session = nil
        }
        socketForQueries.store(-1, ordering: .relaxed)
        if socket >= 0 { close(socket) }
        socket = -1
        context.release()
        for action in onClose { action() }
    }

    // MARK: - Error helpers (driver thread only)

    /// The session's last error as a typed error.
    func lastError(during: String) -> SSHError {
        guard let session else { return .disconnected("no session") }
        var message: UnsafeMutablePointer<CChar>?
        var length: Int32 = 0
        let code = libssh2_session_last_error(session, &message, &length, 0)
        let text = message.map { String(cString: $0) } ?? "unknown error"
        switch code {
        case LIBSSH2_ERROR_SOCKET_DISCONNECT, LIBSSH2_ERROR_SOCKET_RECV, LIBSSH2_ERROR_SOCKET_SEND,
             LIBSSH2_ERROR_SOCKET_TIMEOUT:
            return .disconnected(text)
        case LIBSSH2_ERROR_TIMEOUT:
            return .timeout("\(during): \(text)")
        default:
            return .libssh2(code: code, message: text, during: during)
        }
    }

    /// Classifies a negative return code; nil when it only means "try again".
    func failure(for code: Int, during: String) -> SSHError? {
        if code == Int(LIBSSH2_ERROR_EAGAIN) { return nil }
        let error = lastError(during: during)
        if error.isConnectionLost { fatal(error) }
        return error
    }

    /// Set once the socket is connected; read from any thread.
    var localPort: Int? {
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = socketForQueries.load(ordering: .relaxed)
        guard fd >= 0, withUnsafeMutablePointer(to: &address, {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }) == 0 else { return nil }
        switch Int32(address.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) } }
        case AF_INET6:
            return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) } }
        default:
            return nil
        }
    }

    /// True when the last NULL-returning call only wants to be retried.
    var lastCallWouldBlock: Bool { libssh2_session_last_errno(session) == LIBSSH2_ERROR_EAGAIN }
}

/// State reachable from libssh2's C callbacks through the session's
/// `abstract` pointer.
final class SessionContext: @unchecked Sendable {
    /// Written only on the driver thread (receive callback), read there too.
    var lastReceived = ContinuousClock.now
    /// Answers for keyboard-interactive prompts, set around the auth call.
    var keyboardInteractive: ((KeyboardInteractiveChallenge) -> [String]?)?
    private var retained: Unmanaged<SessionContext>?

    /// An unretained-at-use pointer for libssh2; balanced by ``release()``.
    func abstractPointer() -> UnsafeMutableRawPointer {
        let unmanaged = Unmanaged.passRetained(self)
        retained = unmanaged
        return unmanaged.toOpaque()
    }

    func release() {
        retained?.release()
        retained = nil
        keyboardInteractive = nil
    }

    static func from(_ abstract: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> SessionContext? {
        guard let raw = abstract?.pointee else { return nil }
        return Unmanaged<SessionContext>.fromOpaque(raw).takeUnretainedValue()
    }
}
