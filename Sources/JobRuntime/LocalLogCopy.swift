import Foundation
import Synchronization

/// The local copy of a remote log, always a prefix of it: its size is how
/// far it is whole, so it can be resumed from there after a crash or a
/// reconnect. Bytes from further on (a log shown from its end first) wait in
/// a side file, made with mkstemp beside it, until the range between is
/// filled in; then the side file is appended and removed.
///
/// One process at a time keeps a given copy (an flock on it): a second
/// follower of the same job, say `logs -f` beside the TUI, follows without
/// writing rather than writing the same bytes twice.
public final class LocalLogCopy: Sendable {
    public let url: URL
    /// False when another process keeps this copy: nothing is written.
    public let isKept: Bool
    private let state: Mutex<State>

    private struct State {
        var file: Int32
        var size: Int64
        var side: Side?
    }

    private struct Side {
        let file: Int32
        let path: String
        /// The remote position of the side file's first byte.
        let start: Int64
        var size: Int64 = 0
    }

    /// Opens (or creates, 0600, never through a symlink) the copy at `url`.
    public init(url: URL) throws {
        self.url = url
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let file = open(url.path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard file >= 0 else { throw LocalLogCopy.error("cannot open \(url.path)") }
        var info = stat()
        guard fstat(file, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(file)
            throw LocalLogCopy.error("\(url.path) is not a plain file")
        }
        isKept = flock(file, LOCK_EX | LOCK_NB) == 0
        state = Mutex(State(file: file, size: Int64(info.st_size)))
        if isKept { removeStaleSideFiles() }
    }

    deinit {
        state.withLock { state in
            if let side = state.side { close(side.file); unlink(side.path) }
            close(state.file)
        }
    }

    /// Bytes the copy holds from the start of the log.
    public var size: Int64 { state.withLock { $0.size } }

    /// The range still missing between the copy and the side file, if any.
    public var gap: Range<Int64>? {
        state.withLock { state in state.side.map { state.size..<$0.start } }
    }

    /// The stream is to begin at remote byte `position`: beyond the copy's
    /// end, a side file takes it until the range between is filled in.
    public func startFollowing(at position: Int64) throws {
        guard isKept else { return }
        try state.withLock { state in
            guard state.side == nil, position > state.size else { return }
            state.side = try makeSideFile(start: position)
        }
    }

    /// Bytes of the log starting at remote byte `position`, as they stream in.
    public func write(_ data: Data, at position: Int64) throws {
        guard isKept, !data.isEmpty else { return }
        try state.withLock { state in
            if var side = state.side {
                guard position == side.start + side.size else { throw Self.error("log bytes out of order at \(position)") }
                try Self.writeAll(data, to: side.file, at: side.size)
                side.size += Int64(data.count)
                state.side = side
                return
            }
            let end = position + Int64(data.count)
            guard end > state.size else { return } // already here
            if position > state.size {
                // A gap: these wait beside the copy until it is filled in.
                var side = try makeSideFile(start: position)
                try Self.writeAll(data, to: side.file, at: 0)
                side.size = Int64(data.count)
                state.side = side
                return
            }
            let skip = Int(state.size - position)
            try Self.writeAll(data.dropFirst(skip), to: state.file, at: state.size)
            state.size = end
        }
    }

    /// Bytes of the gap, in order from its start; once the gap is full the
    /// side file joins the copy.
    public func fill(_ data: Data) throws {
        guard isKept else { return }
        try state.withLock { state in
            guard let side = state.side else { return }
            let room = Int(side.start - state.size)
            let piece = data.prefix(room)
            try Self.writeAll(piece, to: state.file, at: state.size)
            state.size += Int64(piece.count)
            guard state.size == side.start else { return }
            try Self.append(side, to: state.file, at: state.size)
            state.size += side.size
            close(side.file)
            unlink(side.path)
            state.side = nil
        }
    }

    /// Makes what was written durable.
    public func synchronize() {
        state.withLock { state in
            _ = fsync(state.file)
            if let side = state.side { _ = fsync(side.file) }
        }
    }

    // MARK: - Files

    private var sidePrefix: String { "." + url.lastPathComponent + ".tail-" }

    private func makeSideFile(start: Int64) throws -> Side {
        var template = Array((url.deletingLastPathComponent().appendingPathComponent(sidePrefix + "XXXXXX").path).utf8CString)
        let file = template.withUnsafeMutableBufferPointer { $0.baseAddress.map { mkstemp($0) } ?? -1 }
        guard file >= 0 else { throw Self.error("cannot make a file beside \(url.path)") }
        _ = fcntl(file, F_SETFD, FD_CLOEXEC)
        let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return Side(file: file, path: path, start: start)
    }

    /// Side files left by a follower that was killed: their bytes come again.
    private func removeStaleSideFiles() {
        let directory = url.deletingLastPathComponent()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where name.hasPrefix(sidePrefix) {
            unlink(directory.appendingPathComponent(name).path)
        }
    }

    private static func append(_ side: Side, to file: Int32, at offset: Int64) throws {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var done: Int64 = 0
        while done < side.size {
            let count = pread(side.file, &buffer, min(buffer.count, Int(side.size - done)), off_t(done))
            guard count > 0 else { throw error("cannot read \(side.path)") }
            try writeAll(Data(buffer[0..<count]), to: file, at: offset + done)
            done += Int64(count)
        }
    }

    private static func writeAll<Bytes: DataProtocol>(_ bytes: Bytes, to file: Int32, at offset: Int64) throws {
        var offset = offset
        for region in bytes.regions {
            try region.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                guard let base = raw.baseAddress else { return }
                var done = 0
                while done < raw.count {
                    let count = pwrite(file, base + done, raw.count - done, off_t(offset))
                    if count < 0, errno == EINTR { continue }
                    guard count > 0 else { throw error("cannot write the local log") }
                    done += count
                    offset += Int64(count)
                }
            }
        }
    }

    /// What went wrong with the local file, and the system's reason.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    static func error(_ what: String) -> Failure { Failure(description: "\(what): \(String(cString: strerror(errno)))") }
}
