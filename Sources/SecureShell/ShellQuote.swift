/// The one way a value reaches a remote shell: POSIX single-quoting.
///
///     let command = RemoteCommand(["sha512sum", "--", path])
///     // sha512sum -- '/scratch/it'\''s here'
///
/// Every byte other than `'` stands for itself inside single quotes, so any
/// string (newlines, `$()`, backticks, non-UTF-8 bytes) arrives unchanged.
public enum ShellQuote {
    /// Quotes one word; the empty word becomes `''`.
    public static func quote(_ word: some Collection<UInt8>) -> [UInt8] {
        var out: [UInt8] = [0x27]
        for byte in word {
            if byte == 0x27 { out += [0x27, 0x5C, 0x27, 0x27] } else { out.append(byte) }
        }
        out.append(0x27)
        return out
    }

    public static func quote(_ word: String) -> String {
        String(decoding: quote(Array(word.utf8)), as: UTF8.self)
    }

    /// Quotes a word only when it needs it, for readable previews.
    public static func quoteIfNeeded(_ word: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+@%")
        if !word.isEmpty, word.allSatisfy({ safe.contains($0) }) { return word }
        return quote(word)
    }
}

/// A remote command line as bytes, built from an argument vector or from a
/// script whose variable parts were quoted with ``ShellQuote``.
public struct RemoteCommand: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(_ arguments: [String]) {
        self.init(argumentBytes: arguments.map { Array($0.utf8) })
    }

    public init(argumentBytes: [[UInt8]]) {
        var out: [UInt8] = []
        for (index, argument) in argumentBytes.enumerated() {
            if index > 0 { out.append(0x20) }
            out += ShellQuote.quote(argument)
        }
        bytes = out
    }

    /// A shell script; every variable part in it must already be quoted.
    public init(script: String) {
        bytes = Array(script.utf8)
    }

    public var description: String { String(decoding: bytes, as: UTF8.self) }
}
