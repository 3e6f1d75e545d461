import Foundation

/// The log view's lines, kept as the bytes they arrived in: a plain line
/// (the common case) is a slice of its chunk and its colour state, decoded
/// into text only when it is drawn or searched. So a fast log costs no
/// allocation per line; only lines with escapes are styled as they arrive.
public struct LogLines: Sendable {
    struct Stored: Sendable {
        /// A plain line's bytes (sharing its chunk's memory); empty when styled.
        var bytes: Data
        /// The runs of a line that had escapes, decoded once.
        var styled: [TerminalSanitizer.Run]?
        var sgr: TerminalSanitizer.SGRState
        var isStderr: Bool

        var line: LogViewState.Line {
            LogViewState.Line(runs: styled ?? [TerminalSanitizer.Run(text: String(decoding: bytes, as: UTF8.self), sgr: sgr)],
                              isStderr: isStderr)
        }
    }

    private var ring: RingBuffer<Stored>

    init(capacity: Int) { ring = RingBuffer(capacity: capacity) }

    public var count: Int { ring.count }
    public var capacity: Int { ring.capacity }
    public subscript(index: Int) -> LogViewState.Line { ring[index].line }
    public var last: LogViewState.Line? { ring.last?.line }

    mutating func appendPlain(_ bytes: Data, sgr: TerminalSanitizer.SGRState, stderr: Bool) {
        ring.append(Stored(bytes: bytes, styled: nil, sgr: sgr, isStderr: stderr))
    }

    mutating func append(_ line: LogViewState.Line) {
        ring.append(Stored(bytes: Data(), styled: line.runs, sgr: TerminalSanitizer.SGRState(), isStderr: line.isStderr))
    }

    /// False (nothing changes) when full: a ring gives up its oldest lines.
    mutating func prepend(_ line: LogViewState.Line) -> Bool {
        ring.prepend(Stored(bytes: Data(), styled: line.runs, sgr: TerminalSanitizer.SGRState(), isStderr: line.isStderr))
    }
}
