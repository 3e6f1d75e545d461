import Foundation

/// Text from a remote machine is never written to the terminal raw. SGR
/// colour sequences (`ESC [ … m`) can be kept as styling; every other
/// escape or control sequence (cursor moves, title changes, OSC 52
/// clipboard writes, DCS…) is dropped, and other control characters are
/// shown as visible placeholders.
public enum TerminalSanitizer {
    /// A run of text with the SGR attributes in force.
    public struct Run: Equatable, Sendable {
        public var text: String
        public var sgr: SGRState
    }

    /// Colour and attributes set by SGR parameters.
    public struct SGRState: Equatable, Sendable, Hashable {
        public var foreground: Int?
        public var background: Int?
        public var bold = false
        public var underline = false
        public var reverse = false

        public init() {}

        mutating func apply(_ parameters: [Int]) {
            var index = 0
            let values = parameters.isEmpty ? [0] : parameters
            while index < values.count {
                let value = values[index]
                switch value {
                case 0: self = SGRState()
                case 1: bold = true
                case 4: underline = true
                case 7: reverse = true
                case 22: bold = false
                case 24: underline = false
                case 27: reverse = false
                case 30...37: foreground = value - 30
                case 90...97: foreground = value - 90 + 8
                case 39: foreground = nil
                case 40...47: background = value - 40
                case 100...107: background = value - 100 + 8
                case 49: background = nil
                case 38, 48:
                    // 38;5;n (256 colours); 38;2;r;g;b is approximated by skipping.
                    if index + 2 < values.count, values[index + 1] == 5 {
                        if value == 38 { foreground = values[index + 2] } else { background = values[index + 2] }
                        index += 2
                    } else if index + 4 < values.count, values[index + 1] == 2 {
                        index += 4
                    }
                default: break
                }
                index += 1
            }
        }
    }

    /// Splits text into runs, keeping SGR state and removing everything else.
    public static func styledRuns(_ text: String, starting state: SGRState = SGRState()) -> (runs: [Run], state: SGRState) {
        var runs: [Run] = []
        var current = ""
        var sgr = state
        let scalars = Array(text.unicodeScalars)
        var index = 0
        func flush() {
            if !current.isEmpty { runs.append(Run(text: current, sgr: sgr)); current = "" }
        }
        while index < scalars.count {
            let scalar = scalars[index]
            switch scalar.value {
            case 0x1B: // ESC
                let (length, parameters) = escapeLength(scalars, from: index)
                if let parameters { flush(); sgr.apply(parameters) }
                index += length
                continue
            case 0x9B: // 8-bit CSI: skip its sequence
                var end = index + 1
                while end < scalars.count, !(0x40...0x7E).contains(scalars[end].value) { end += 1 }
                index = end + 1
                continue
            case 0x0A, 0x09:
                current.unicodeScalars.append(scalar)
            case 0x0D:
                break // carriage returns would overwrite the line
            case 0x00...0x1F, 0x7F, 0x80...0x9F:
                current += "\u{FFFD}"
            case _ where isInvisibleFormatting(scalar):
                // Bidirectional overrides and zero-width characters can make
                // text read differently from what it is: shown, not applied.
                current += "<U+" + String(scalar.value, radix: 16, uppercase: true) + ">"
            default:
                current.unicodeScalars.append(scalar)
            }
            index += 1
        }
        flush()
        return (runs, sgr)
    }

    /// Bidi embeddings, overrides and isolates, directional marks, and zero-width characters.
    public static func isInvisibleFormatting(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x061C, 0x200B...0x200F, 0x2028, 0x2029, 0x202A...0x202E, 0x2060...0x2064, 0x2066...0x2069, 0xFEFF: return true
        default: return false
        }
    }

    /// Length of the escape sequence at `start`, and its SGR parameters if it is one.
    static func escapeLength(_ scalars: [Unicode.Scalar], from start: Int) -> (Int, [Int]?) {
        guard start + 1 < scalars.count else { return (1, nil) }
        let kind = scalars[start + 1].value
        switch kind {
        case 0x5B: // CSI: parameters, intermediates, final byte
            var end = start + 2
            while end < scalars.count, (0x30...0x3F).contains(scalars[end].value) { end += 1 }
            let parameterText = String(String.UnicodeScalarView(scalars[(start + 2)..<end]))
            while end < scalars.count, (0x20...0x2F).contains(scalars[end].value) { end += 1 }
            guard end < scalars.count else { return (end - start, nil) }
            let final = scalars[end].value
            let length = end - start + 1
            guard final == 0x6D, parameterText.allSatisfy({ $0.isNumber || $0 == ";" }) else { return (length, nil) }
            return (length, parameterText.split(separator: ";", omittingEmptySubsequences: false).map { Int($0) ?? 0 })
        case 0x5D, 0x50, 0x58, 0x5E, 0x5F: // OSC, DCS, SOS, PM, APC: up to BEL or ST
            var end = start + 2
            while end < scalars.count {
                if scalars[end].value == 0x07 { return (end - start + 1, nil) }
                if scalars[end].value == 0x1B, end + 1 < scalars.count, scalars[end + 1].value == 0x5C { return (end - start + 2, nil) }
                end += 1
            }
            return (end - start, nil)
        default:
            // Two-byte escapes (ESC c reset, ESC 7…), with intermediates.
            var end = start + 1
            while end < scalars.count, (0x20...0x2F).contains(scalars[end].value) { end += 1 }
            return (min(end + 1, scalars.count) - start, nil)
        }
    }

    /// Text with every escape sequence removed (for plain output).
    public static func plainText(_ text: String) -> String {
        styledRuns(text).runs.map(\.text).joined()
    }

    public static func plainText(_ data: Data) -> String {
        plainText(String(decoding: data, as: UTF8.self))
    }
}

/// Decodes UTF-8 arriving in chunks: a character split across two chunks
/// is held back until it is complete, never replaced.
public final class UTF8StreamDecoder: @unchecked Sendable {
    private var pending: [UInt8] = []
    private let lock = NSLock()

    public init() {}

    public func decode(_ data: Data) -> String {
        lock.withLock {
            pending += data
            // Keep an incomplete sequence at the end for the next chunk.
            var cut = pending.count
            var back = 0
            while back < 4, cut - back - 1 >= 0 {
                let byte = pending[cut - back - 1]
                if byte & 0xC0 == 0x80 { back += 1; continue }
                let needed = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
                if needed > back + 1 { cut = cut - back - 1 }
                break
            }
            let text = String(decoding: pending[..<cut], as: UTF8.self)
            pending.removeFirst(cut)
            return text
        }
    }

    /// Whatever is left (an incomplete sequence becomes U+FFFD).
    public func finish() -> String {
        lock.withLock {
            defer { pending.removeAll() }
            return String(decoding: pending, as: UTF8.self)
        }
    }
}
