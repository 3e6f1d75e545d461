import CLibSSH2
import Foundation

/// Pumps bytes between a direct-tcpip channel and one end of a socketpair,
/// so a second libssh2 session can run over this one (ProxyJump).
final class ForwardOperation: DriverOperation, @unchecked Sendable {
    private let host: String
    private let port: Int
    private let fd: Int32
    private var opened: ((SSHError?) -> Void)?
    private var channel: OpaquePointer?
    private var toChannel = [UInt8]()
    private var toSocket = [UInt8]()
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    private var socketClosed = false

    init(host: String, port: Int, fd: Int32, opened: @escaping (SSHError?) -> Void) {
        self.host = host
        self.port = port
        self.fd = fd
        self.opened = opened
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    var extraPoll: (fd: Int32, events: Int16)? {
        (fd, Int16(POLLIN) | (toSocket.isEmpty ? 0 : Int16(POLLOUT)))
    }

    func hasBufferedInput(_ driver: SessionDriver) -> Bool { toSocket.isEmpty && bufferedBytes(channel) > 0 }

    func fail(_ error: SSHError) {
        opened?(error)
        opened = nil
        close(fd)
    }

    func step(_ driver: SessionDriver) -> StepResult {
        if channel == nil {
            guard driver.setupTurn.acquire(self) else { return .blocked }
            guard let made = libssh2_channel_direct_tcpip_ex(driver.session, host, Int32(port), "127.0.0.1", 0) else {
                if driver.lastCallWouldBlock { return .blocked }
                driver.setupTurn.release(self)
                fail(driver.lastError(during: "opening a tunnel to \(host):\(port)"))
                return .finished
            }
            driver.setupTurn.release(self)
            channel = made
            opened?(nil)
            opened = nil
        }
        var progressed = false
        // socket → channel
        if toChannel.isEmpty, !socketClosed {
            let count = read(fd, &buffer, buffer.count)
            if count > 0 { toChannel = Array(buffer[0..<count]); progressed = true }
            if count == 0 { socketClosed = true; _ = libssh2_channel_send_eof(channel) }
        }
        if !toChannel.isEmpty {
            let written = libssh2_channel_write_ex(channel, 0, toChannel, toChannel.count)
            if written > 0 { toChannel.removeFirst(written); progressed = true }
            if written < 0, written != Int(LIBSSH2_ERROR_EAGAIN) { return finish() }
        }
        // channel → socket
        if toSocket.isEmpty {
            let count = libssh2_channel_read_ex(channel, 0, &buffer, buffer.count)
            if count > 0 { toSocket = Array(buffer[0..<count]); progressed = true }
            if count < 0, count != Int(LIBSSH2_ERROR_EAGAIN) { return finish() }
            if count == 0 || count == Int(LIBSSH2_ERROR_EAGAIN), libssh2_channel_eof(channel) != 0 { return finish() }
        }
        if !toSocket.isEmpty {
            let written = write(fd, toSocket, toSocket.count)
            if written > 0 { toSocket.removeFirst(written); progressed = true }
            if written < 0, errno != EAGAIN { return finish() }
        }
        if socketClosed, toChannel.isEmpty, toSocket.isEmpty { return finish() }
        return progressed ? .progressed : .blocked
    }

    private func finish() -> StepResult {
        if let channel {
            libssh2_channel_close(channel)
            libssh2_channel_free(channel)
        }
        channel = nil
        close(fd)
        return .finished
    }
}
