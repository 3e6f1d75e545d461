import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One pipe to or from a child; both ends close on exec, the child gets its
/// end through dup2.
final class ChildPipe {
    private(set) var readEnd: Int32 = -1
    private(set) var writeEnd: Int32 = -1

    init() throws {
        var fds: [Int32] = [-1, -1]
        // pipe2 is not visible from Swift; a child spawned in the instant
        // before FD_CLOEXEC is set may hold an end, which Tool.run tolerates.
        guard pipe(&fds) == 0 else {
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "pipe2 failed: errno \(errno)"])
        }
        readEnd = fds[0]
        writeEnd = fds[1]
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    }

    func closeReadEnd() { if readEnd >= 0 { close(readEnd); readEnd = -1 } }
    func closeWriteEnd() { if writeEnd >= 0 { close(writeEnd); writeEnd = -1 } }
    deinit { closeReadEnd(); closeWriteEnd() }
}

/// Feeds a child's stdin and drains its stdout and stderr together, so a
/// chatty tool never blocks on a full pipe.
struct PipeStreams {
    let input: ChildPipe, output: ChildPipe, errors: ChildPipe
    private var pending: Data
    private(set) var stdout = Data(), stderr = Data()

    init(input: ChildPipe, stdin: Data, output: ChildPipe, errors: ChildPipe) {
        self.input = input
        self.output = output
        self.errors = errors
        pending = stdin
        for fd in [input.writeEnd, output.readEnd, errors.readEnd] where fd >= 0 {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
    }

    /// Both output pipes have reached end of file.
    var finished: Bool { output.readEnd < 0 && errors.readEnd < 0 }

    /// Moves whatever is ready, waiting up to `waitMilliseconds`; true if
    /// any byte moved or a pipe closed.
    mutating func pump(waitMilliseconds: Int32) -> Bool {
        var fds: [pollfd] = []
        if input.writeEnd >= 0 { fds.append(pollfd(fd: input.writeEnd, events: Int16(POLLOUT), revents: 0)) }
        for fd in [output.readEnd, errors.readEnd] where fd >= 0 {
            fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0))
        }
        guard !fds.isEmpty else { usleep(UInt32(waitMilliseconds) * 1000); return false }
        guard poll(&fds, nfds_t(fds.count), waitMilliseconds) > 0 else { return false }
        var progressed = false
        for entry in fds where entry.revents != 0 {
            if entry.fd == input.writeEnd {
                progressed = writePending() || progressed
            } else {
                progressed = true
                read(from: entry.fd)
            }
        }
        return progressed
    }

    private mutating func writePending() -> Bool {
        let written = pending.withUnsafeBytes { write(input.writeEnd, $0.baseAddress, $0.count) }
        if written > 0 { pending.removeFirst(written) }
        if pending.isEmpty || (written < 0 && errno != EAGAIN) { input.closeWriteEnd() }
        return true
    }

    private mutating func read(from fd: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = Glibc.read(fd, &buffer, buffer.count)
        if count > 0 {
            if fd == output.readEnd { stdout.append(contentsOf: buffer[..<count]) } else { stderr.append(contentsOf: buffer[..<count]) }
        } else if count == 0 || errno != EAGAIN {
            if fd == output.readEnd { output.closeReadEnd() } else { errors.closeReadEnd() }
        }
    }

    func closeAll() {
        input.closeWriteEnd()
        output.closeReadEnd()
        errors.closeReadEnd()
    }
}
