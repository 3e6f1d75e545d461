/// Splits a string into words with POSIX shell rules (quotes, backslashes),
/// without expanding anything: how a pasted argument string becomes a list.
///
///     try ShellWords.split(#"--name "two words" it\'s"#)  // ["--name", "two words", "it's"]
public enum ShellWords {
    public struct Unterminated: Error, Equatable, CustomStringConvertible {
        public let quote: Character
        public var description: String { "unterminated \(quote) quote; close it or escape it with a backslash" }
    }

    public static func split(_ text: String) throws -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var iterator = Array(text).makeIterator()
        while let char = iterator.next() {
            switch char {
            case " ", "\t", "\n":
                if inWord { words.append(current); current = ""; inWord = false }
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
                        if !"$`\"\\\n".contains(escaped) { current.append("\\") }
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
                current.append(char)
            }
        }
        if inWord { words.append(current) }
        return words
    }
}
