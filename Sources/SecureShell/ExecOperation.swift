import CLibSSH2
import Foundation
import Synchronization

/// How a remote command ended.
public struct RemoteExitStatus: Sendable, Equatable {
    /// The exit code; nil when the command was killed by a signal or the
    /// server sent none.
    public let code: Int32?
    /// The signal name (`TERM`, `KILL`) when killed by one.
    public let signal: String?

    public var succeeded: Bool { code == 0 && signal == nil }

    public init(code: Int32?, signal: String?) {
        self.code = code
        self.signal = signal
    }
}

/// One piece of a streaming command's life: output bytes as they arrive
/// (never decoded here), then how it ended.
public enum ExecChunk: Sendable, Equatable {
    case stdout(Data)
    case stderr(Data)
    case exit(RemoteExitStatus)
}

/// A command on its own channel: open, exec, read both streams until EOF,
/// close, collect the exit status. Cancellable at any point.
// @unchecked: all state but the atomic cancel flag is touched only on the driver thread.
final class ExecOperation: DriverOperation, @unchecked Sendable {
    private enum Phase { case open, start, read, close, waitClosed, free }

    private let command: [UInt8]
    private let onChunk: (ExecChunk) -> Void
    private let onEnd: (SSHError?) -> Void
    private let cancelFlag = Atomic<Bool>(false)
    private let credits: StreamCredits?
    private var phase = Phase.open
    private var channel: OpaquePointer?
    /// Bytes asked for per read: large reads cost fewer wake-ups down the line.
    private let readSize = 256 * 1024
    /// Memory of a read that brought nothing (readSize bytes), for the next read.
    private var spare: UnsafeMutableRawPointer?
    private var exit: RemoteExitStatus?

    /// `credits` bounds how much output may wait unconsumed; nil = unbounded.
    init(command: [UInt8], credits: StreamCredits? = nil,
         onChunk: @escaping (ExecChunk) -> Void, onEnd: @escaping (SSHError?) -> Void) {
        self.command = command
        self.credits = credits
        self.onChunk = onChunk
        self.onEnd = onEnd
    }

    deinit { free(spare) }

    func cancel() { cancelFlag.store(true, ordering: .relaxed) }

    var wantsInput: Bool { phase != .read || (credits?.available ?? 1) > 0 || cancelFlag.load(ordering: .relaxed) }

    func hasBufferedInput(_ driver: SessionDriver) -> Bool {
        phase == .read && (credits?.available ?? 1) > 0 && bufferedBytes(channel) > 0
    }

    func fail(_ error: SSHError) {
        channel = nil // the session is being torn down; it frees channels
        onEnd(error)
    }

    func step(_ driver: SessionDriver) -> StepResult {
        let settingUp = phase == .open || phase == .start
        if settingUp, !cancelFlag.load(ordering: .relaxed), !driver.setupTurn.acquire(self) { return .blocked }
        let result = advance(driver)
        if result == .finished || !(phase == .open || phase == .start) { driver.setupTurn.release(self) }
        return result
    }

    private func advance(_ driver: SessionDriver) -> StepResult {
        if cancelFlag.load(ordering: .relaxed), phase == .open || phase == .start || phase == .read {
            if channel == nil { onEnd(.cancelled); return .finished }
            phase = .close
        }
        switch phase {
        case .open:
            guard let opened = libssh2_channel_open_ex(driver.session, "session", 7, 4 * 1024 * 1024, 32768, nil, 0) else {
                if driver.lastCallWouldBlock { return .blocked }
                onEnd(channelError(driver, "opening a channel"))
                return .finished
            }
            channel = opened
            phase = .start
            return .progressed
        case .start:
            let rc = command.withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) {
                    libssh2_channel_process_startup(channel, "exec", 4, $0.baseAddress, UInt32(command.count))
                }
            }
            if rc == LIBSSH2_ERROR_EAGAIN { return .blocked }
            if rc != 0 { return finishWithError(driver, rc, "starting the remote command") }
            phase = .read
            return .progressed
        case .read:
            return readOutput(driver)
        case .close:
            let rc = libssh2_channel_close(channel)
            if rc == LIBSSH2_ERROR_EAGAIN { return .blocked }
            phase = .waitClosed
            return .progressed
        case .waitClosed:
            let rc = libssh2_channel_wait_closed(channel)
            if rc == LIBSSH2_ERROR_EAGAIN { return .blocked }
            exit = readExitStatus()
            phase = .free
            return .progressed
        case .free:
            let rc = libssh2_channel_free(channel)
            if rc == LIBSSH2_ERROR_EAGAIN { return .blocked }
            channel = nil
            if cancelFlag.load(ordering: .relaxed) {
                onEnd(.cancelled)
            } else {
                onChunk(.exit(exit ?? RemoteExitStatus(code: nil, signal: nil)))
                onEnd(nil)
            }
            return .finished
        }
    }

    private func readOutput(_ driver: SessionDriver) -> StepResult {
        var progressed = false
        for stream: Int32 in [0, 1] {
            while true {
                let allowance = credits?.available ?? readSize
                if allowance <= 0 { return progressed ? .progressed : .blocked }
                let capacity = min(readSize, allowance)
                // Read straight into the chunk's own memory: no copy on the way
                // out. A read that brought nothing keeps it for the next one.
                guard let memory = spare ?? malloc(readSize) else { return finishWithError(driver, LIBSSH2_ERROR_ALLOC, "reading command output") }
                spare = nil
                let count = libssh2_channel_read_ex(channel, stream, memory.assumingMemoryBound(to: CChar.self), capacity)
                if count <= 0 { spare = memory }
                if count == Int(LIBSSH2_ERROR_EAGAIN) || count == 0 { break }
                if count < 0 { return finishWithError(driver, Int32(count), "reading command output") }
                let data = Self.chunk(memory, count: count, capacity: readSize)
                credits?.spend(count)
                onChunk(stream == 0 ? .stdout(data) : .stderr(data))
                progressed = true
            }
        }
        if libssh2_channel_eof(channel) != 0 {
            // exit-status may follow EOF: it is read once the channel is closed.
            phase = .close
            return .progressed
        }
        return progressed ? .progressed : .blocked
    }

    /// The bytes read as Data owning `memory`; a small read gives back what it
    /// did not use, so many small chunks waiting cannot hold 256 KiB each.
    private static func chunk(_ memory: UnsafeMutableRawPointer, count: Int, capacity: Int) -> Data {
        var memory = memory
        if count < capacity / 2, let smaller = realloc(memory, count) { memory = smaller }
        return Data(bytesNoCopy: memory, count: count, deallocator: .free)
    }

    private func readExitStatus() -> RemoteExitStatus {
        var signal: UnsafeMutablePointer<CChar>?
        var signalLength = 0
        libssh2_channel_get_exit_signal(channel, &signal, &signalLength, nil, nil, nil, nil)
        if let signal {
            let name = String(cString: signal)
            free(signal)
            if !name.isEmpty { return RemoteExitStatus(code: nil, signal: name) }
        }
        return RemoteExitStatus(code: libssh2_channel_get_exit_status(channel), signal: nil)
    }

    private func finishWithError(_ driver: SessionDriver, _ rc: Int32, _ during: String) -> StepResult {
        let error = driver.failure(for: Int(rc), during: during) ?? .channel(code: rc, message: during)
        if let channel { libssh2_channel_free(channel) }
        channel = nil
        onEnd(error)
        return .finished
    }

    private func channelError(_ driver: SessionDriver, _ during: String) -> SSHError {
        let error = driver.lastError(during: during)
        if error.isConnectionLost { driver.fatal(error) }
        return error
    }
}

/// Bounds the output a stream holds before its consumer reads it, so a fast
/// producer cannot grow memory: the channel's window then stalls the server.
final class StreamCredits: @unchecked Sendable {
    private let limit: Int
    private let outstanding = Atomic<Int>(0)
    private weak var driver: SessionDriver?

    init(limit: Int, driver: SessionDriver) {
        self.limit = limit
        self.driver = driver
    }

    var available: Int { limit - outstanding.load(ordering: .relaxed) }
    func spend(_ count: Int) { outstanding.add(count, ordering: .relaxed) }

    /// The consumer took `count` bytes; wake the driver if it was starved.
    func consumed(_ count: Int) {
        let before = outstanding.subtract(count, ordering: .relaxed).oldValue
        if before >= limit { driver?.wake() }
    }
}
