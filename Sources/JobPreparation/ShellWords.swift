/// Splits a string into words with POSIX shell rules (quotes, backslashes),
/// without expanding anything: how a pasted argument string becomes a list.
///
///     try ShellWords.split(#"--name "two words" it\'s"#)  // ["--name", "two words", "it's"]
public enum ShellWords {
    public struct Unterminated: Error, Equatable, CustomStringConvertible {
        public let quote: Character
        public var description: String { "unterminated \(quote) quote; close it or escape it with a backslash" }
    }

    /// Works on Unicode scalars, as a shell works on bytes: a quote followed
    /// by a combining mark is still a quote (as Characters they would merge).
    public static func split(_ text: String) throws -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        var inWord = false
        var iterator = text.unicodeScalars.makeIterator()
        func finishWord() {
            words.append(String(current))
            current = String.UnicodeScalarView()
            inWord = false
        }
        while let scalar = iterator.next() {
            switch scalar {
            case " ", "\t", "\n":
                if inWord { finishWord() }
            case "'":
                inWord = true
                while true {
                    guard let next = iterator.next() else { throw Unterminated(quote: "'") }
                    if next == "'" { break }
                    current.append(next)
                }
            case "\"":
                inWord = true
                while true {
                    guard let next = iterator.next() else { throw Unterminated(quote: "\"") }
                    if next == "\"" { break }
                    if next == "\\" {
                        guard let escaped = iterator.next() else { throw Unterminated(quote: "\"") }
                        if !"$`\"\\\n".unicodeScalars.contains(escaped) { current.append("\\") }
                        if escaped != "\n" { current.append(escaped) }
                        continue
                    }
                    current.append(next)
                }
            case "\\":
                inWord = true
                if let next = iterator.next(), next != "\n" { current.append(next) }
            default:
                inWord = true
                current.append(scalar)
            }
        }
        if inWord { finishWord() }
        return words
    }
}
