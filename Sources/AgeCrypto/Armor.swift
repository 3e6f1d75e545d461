/// age's ASCII armor: strict PEM with `AGE ENCRYPTED FILE`, canonical padded
/// base64 in 64-column lines, LF or CRLF line ends, whitespace allowed only
/// around the whole block.
enum Armor {
    static let begin = Array("-----BEGIN AGE ENCRYPTED FILE-----".utf8)
    static let end = Array("-----END AGE ENCRYPTED FILE-----".utf8)
    static let columns = 64

    static func isWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
}

/// Decodes an armored source lazily, line by line (constant memory).
final class ArmorSource: ByteSource {
    private let reader: BufferedReader
    private var decoded: [UInt8] = []
    private var offset = 0
    private var started = false
    private var done = false
    private var sawShortLine = false

    init(_ source: ByteSource) { reader = BufferedReader(source, capacity: 64 * 1024) }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while offset == decoded.count, !done { try decodeNextLine() }
        let count = min(buffer.count, decoded.count - offset)
        decoded.withUnsafeBytes { source in
            buffer.baseAddress?.copyMemory(from: source.baseAddress.unsafelyUnwrapped + offset, byteCount: count)
        }
        offset += count
        return count
    }

    private func line() throws -> (bytes: [UInt8], terminated: Bool)? {
        guard var line = try reader.readLine(limit: Armor.columns + 3) else { return nil }
        var terminated = false
        if line.last == 0x0A {
            terminated = true
            line.removeLast()
            if line.last == 0x0D { line.removeLast() }
        }
        return (line, terminated)
    }

    private func decodeNextLine() throws {
        decoded.removeAll(keepingCapacity: true)
        offset = 0
        if !started {
            started = true
            var first: [UInt8]
            repeat {
                guard let next = try line() else { throw AgeError.armor("no BEGIN line") }
                first = next.bytes
            } while first.allSatisfy(Armor.isWhitespace)
            guard first == Armor.begin else { throw AgeError.armor("expected \(String(decoding: Armor.begin, as: UTF8.self))") }
            return
        }
        guard let (text, terminated) = try line() else { throw AgeError.armor("no END line") }
        if text == Armor.end {
            // Only whitespace may follow.
            while let rest = try line() {
                guard rest.bytes.allSatisfy(Armor.isWhitespace) else { throw AgeError.armor("data after the END line") }
            }
            done = true
            return
        }
        guard terminated else { throw AgeError.armor("no END line") }
        guard !sawShortLine else { throw AgeError.armor("a short line must be the last one") }
        guard !text.isEmpty, text.count <= Armor.columns else { throw AgeError.armor("line of \(text.count) columns") }
        guard let bytes = StrictBase64.decodePadded(text) else { throw AgeError.armor("invalid base64") }
        if text.count < Armor.columns { sawShortLine = true }
        decoded = bytes
    }
}

/// Armors what is written to it; `finish()` writes the last line and END.
final class ArmorSink: ByteSink {
    private let sink: ByteSink
    private var pending: [UInt8] = []
    private let bytesPerLine = Armor.columns / 4 * 3

    init(_ sink: ByteSink) throws {
        self.sink = sink
        try emit(Armor.begin + [0x0A])
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        pending += bytes
        var text: [UInt8] = []
        var index = 0
        while pending.count - index >= bytesPerLine {
            text += Array(StrictBase64.encode(pending[index..<(index + bytesPerLine)], padded: true).utf8) + [0x0A]
            index += bytesPerLine
        }
        pending.removeFirst(index)
        if !text.isEmpty { try emit(text) }
    }

    func finish() throws {
        var text: [UInt8] = []
        if !pending.isEmpty { text += Array(StrictBase64.encode(pending, padded: true).utf8) + [0x0A] }
        try emit(text + Armor.end + [0x0A])
        pending.removeAll()
    }

    private func emit(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try sink.write($0) } }
}
