import CLibSSH2

/// Opens a session channel and closes it again, unused. Waiting for the
/// server's answers makes libssh2 read the transport, which consumes the
/// keepalive replies that pile up unread while a connection is idle, so
/// they never fill the socket's buffer.
// @unchecked: touched only on the driver thread.
final class TransportDrainOperation: DriverOperation, @unchecked Sendable {
    private enum Phase { case open, close, waitClosed, free }
    private var phase = Phase.open
    private var channel: OpaquePointer?

    func fail(_ error: SSHError) { channel = nil }

    func step(_ driver: SessionDriver) -> StepResult {
        switch phase {
        case .open:
            guard driver.setupTurn.acquire(self) else { return .blocked }
            guard let opened = libssh2_channel_open_ex(driver.session, "session", 7, 32768, 32768, nil, 0) else {
                if driver.lastCallWouldBlock { return .blocked }
                driver.setupTurn.release(self)
                // A refusal (MaxSessions) still came as a packet read: drained.
                // A lost connection is reported like any other.
                _ = driver.failure(for: Int(libssh2_session_last_errno(driver.session)), during: "reading keepalive replies")
                return .finished
            }
            driver.setupTurn.release(self)
            channel = opened
            phase = .close
        case .close:
            if libssh2_channel_close(channel) == LIBSSH2_ERROR_EAGAIN { return .blocked }
            phase = .waitClosed
        case .waitClosed:
            if libssh2_channel_wait_closed(channel) == LIBSSH2_ERROR_EAGAIN { return .blocked }
            phase = .free
        case .free:
            if libssh2_channel_free(channel) == LIBSSH2_ERROR_EAGAIN { return .blocked }
            channel = nil
            return .finished
        }
        return .progressed
    }
}
