import Foundation

/// Where encrypted or decrypted bytes come from; `read` returns 0 at the end.
public protocol ByteSource: AnyObject {
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// Where bytes go.
public protocol ByteSink: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws
}

/// A file descriptor read with plain `read(2)`: no extra copies.
public final class FileSource: ByteSource {
    private let fd: Int32
    private let ownsDescriptor: Bool

    public init(url: URL) throws {
        fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw AgeError.io("cannot open \(url.path): \(String(cString: strerror(errno)))") }
        ownsDescriptor = true
    }

    public init(descriptor: Int32) {
        fd = descriptor
        ownsDescriptor = false
    }

    deinit { if ownsDescriptor { close(fd) } }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let count = Foundation.read(fd, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno != EINTR { throw AgeError.io("read failed: \(String(cString: strerror(errno)))") }
        }
    }
}

/// A file descriptor written with `write(2)`.
public final class FileSink: ByteSink {
    let fd: Int32
    private let ownsDescriptor: Bool

    /// Creates (or truncates) a file with `mode`.
    public init(url: URL, mode: mode_t = 0o600) throws {
        fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw AgeError.io("cannot create \(url.path): \(String(cString: strerror(errno)))") }
        ownsDescriptor = true
    }

    public init(descriptor: Int32) {
        fd = descriptor
        ownsDescriptor = false
    }

    deinit { if ownsDescriptor { close(fd) } }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let count = Foundation.write(fd, bytes.baseAddress.unsafelyUnwrapped + offset, bytes.count - offset)
            if count < 0 {
                if errno == EINTR { continue }
                throw AgeError.io("write failed: \(String(cString: strerror(errno)))")
            }
            offset += count
        }
    }

    public func synchronize() throws {
        guard fsync(fd) == 0 else { throw AgeError.io("fsync failed: \(String(cString: strerror(errno)))") }
    }
}

/// Bytes in memory as a source.
public final class MemorySource: ByteSource {
    private let data: [UInt8]
    private var offset = 0

    public init(_ data: some Collection<UInt8>) { self.data = Array(data) }
    public init(_ bytes: UnsafeRawBufferPointer) { data = Array(bytes) }

    deinit {
        // The source may hold decrypted identity text.
        var scratch = data
        scratch.withUnsafeMutableBytes { bytes in if let base = bytes.baseAddress { memset(base, 0, bytes.count) } }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = min(buffer.count, data.count - offset)
        data.withUnsafeBytes { source in
            buffer.baseAddress?.copyMemory(from: source.baseAddress.unsafelyUnwrapped + offset, byteCount: count)
        }
        offset += count
        return count
    }
}

/// Collects bytes in memory.
public final class MemorySink: ByteSink {
    public private(set) var data = Data()
    public init() {}
    public func write(_ bytes: UnsafeRawBufferPointer) throws { data.append(contentsOf: bytes) }
}

/// Buffered reading over a source: lines for the header, exact blocks for
/// the payload, and a one-byte look-ahead for "is this the end?".
final class BufferedReader {
    private let source: ByteSource
    private var buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private var finished = false

    init(_ source: ByteSource, capacity: Int = 1 << 20) {
        self.source = source
        buffer = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit {
        memset(buffer.baseAddress.unsafelyUnwrapped, 0, buffer.count)
        buffer.deallocate()
    }

    /// Ensures at least `count` bytes are buffered unless the source ends.
    private func fill(_ count: Int) throws {
        if end - start >= count || finished { return }
        if start > 0 {
            memmove(buffer.baseAddress.unsafelyUnwrapped, buffer.baseAddress.unsafelyUnwrapped + start, end - start)
            end -= start
            start = 0
        }
        while end - start < count, !finished {
            let read = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[end...]))
            if read == 0 { finished = true } else { end += read }
        }
    }

    /// A line including its `\n`, or what remains at the end (no `\n`);
    /// nil at the end. Lines longer than `limit` are cut there.
    func readLine(limit: Int) throws -> [UInt8]? {
        var line: [UInt8] = []
        while line.count < limit {
            try fill(1)
            guard start < end else { return line.isEmpty ? nil : line }
            let byte = buffer[start]
            start += 1
            line.append(byte)
            if byte == 0x0A { return line }
        }
        return line
    }

    /// Reads up to `count` bytes into `output`; fewer only at the end.
    func read(upTo count: Int, into output: UnsafeMutableRawPointer) throws -> Int {
        precondition(count <= buffer.count)
        try fill(count)
        let available = min(count, end - start)
        output.copyMemory(from: buffer.baseAddress.unsafelyUnwrapped + start, byteCount: available)
        start += available
        return available
    }

    /// Up to `maximum` buffered bytes without consuming them.
    func peek(maximum: Int) throws -> [UInt8] {
        try fill(maximum)
        return Array(UnsafeRawBufferPointer(rebasing: buffer[start..<min(end, start + maximum)]))
    }

    var isAtEnd: Bool {
        get throws {
            try fill(1)
            return start == end
        }
    }
}
