import SecureShell

/// A value for a template placeholder.
public enum TemplateValue: Sendable, Equatable {
    /// One word: quoted as a shell word, or checked for an #SBATCH line.
    case word(String)
    /// A list of words, each quoted, space separated (shell context only).
    case words([String])
    /// No value: only allowed for optional placeholders `{{? name }}`, whose line is dropped.
    case absent
}

/// SBATCH templates with one explicit placeholder syntax:
///
///     #SBATCH --job-name={{ job_name }}
///     #SBATCH --account={{? account }}      # line dropped when absent
///     singularity run {{ singularity_flags }} "$image" -- {{ app_args }}
///
/// The quoting follows the placeholder's place: on an `#SBATCH` line the
/// value must be a plain Slurm word (checked, never quoted, since sbatch
/// does not parse shell quotes there); anywhere else it becomes a
/// single-quoted shell word (or list of words). A placeholder inside quotes,
/// a comment or a here-document is a template error, so no value can break
/// out of its place.
public struct Template: Sendable, Equatable {
    public let name: String
    public let text: String

    public init(name: String, text: String) {
        self.name = name
        self.text = text
    }

    struct Placeholder: Equatable {
        let name: String
        let optional: Bool
        let range: Range<String.Index>
    }

    /// The names the template uses, for listing and validation.
    public func placeholderNames() throws -> [String] {
        var names: [String] = []
        for (number, line) in lines() {
            for placeholder in try Self.placeholders(in: line, template: name, line: number) where !names.contains(placeholder.name) {
                names.append(placeholder.name)
            }
        }
        return names
    }

    private func lines() -> [(Int, Substring)] {
        text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map { ($0 + 1, $1) }
    }

    public func render(_ values: [String: TemplateValue]) throws -> String {
        var output: [String] = []
        // Here-document bodies still to come, in order (one line may open several).
        var heredocEnds: [String] = []
        for (number, line) in lines() {
            let placeholders = try Self.placeholders(in: line, template: name, line: number)
            if let end = heredocEnds.first {
                if !placeholders.isEmpty { throw error(number, placeholders[0].name, "is inside a here-document") }
                if line.trimmingWhitespace() == end { heredocEnds.removeFirst() }
                output.append(String(line))
                continue
            }
            let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
            let isSbatch = trimmed.hasPrefix("#SBATCH")
            if !isSbatch, trimmed.hasPrefix("#"), let first = placeholders.first {
                throw error(number, first.name, "is inside a comment; values may only go in #SBATCH lines or shell words")
            }
            var rendered = ""
            var cursor = line.startIndex
            var dropLine = false
            for placeholder in placeholders {
                let before = line[cursor..<placeholder.range.lowerBound]
                rendered += before
                if !isSbatch { try Self.checkWordPosition(line, placeholder, template: name, line: number) }
                guard let value = values[placeholder.name] else {
                    throw error(number, placeholder.name, "has no value (unknown placeholder or missing field)")
                }
                switch value {
                case .absent:
                    guard placeholder.optional else { throw error(number, placeholder.name, "is required but has no value") }
                    dropLine = true
                case let .word(word):
                    rendered += isSbatch ? try Self.sbatchWord(word, placeholder.name, template: name, line: number)
                                         : ShellQuote.quote(word)
                case let .words(words):
                    guard !isSbatch else { throw error(number, placeholder.name, "is a list and cannot go in an #SBATCH line") }
                    // `x={{ list }}` would run the second word as a command with x set.
                    if placeholder.range.lowerBound > line.startIndex, line[line.index(before: placeholder.range.lowerBound)] == "=" {
                        throw error(number, placeholder.name,
                                    "is a list and cannot be assigned to a scalar; write name=( {{ \(placeholder.name) }} )")
                    }
                    rendered += words.map(ShellQuote.quote).joined(separator: " ")
                }
                cursor = placeholder.range.upperBound
            }
            rendered += line[cursor...]
            if !dropLine { output.append(rendered) }
            heredocEnds = Self.heredocDelimiters(in: line)
        }
        return output.joined(separator: "\n")
    }

    private func error(_ line: Int, _ field: String, _ message: String) -> PreparationError {
        PreparationError(.template, file: "template \(name)", line: line, field: "{{ \(field) }}", message)
    }

    static func placeholders(in line: Substring, template: String, line number: Int) throws -> [Placeholder] {
        var found: [Placeholder] = []
        var search = line.startIndex
        while let open = line[search...].range(of: "{{") {
            guard let close = line[open.upperBound...].range(of: "}}") else {
                throw PreparationError(.template, file: "template \(template)", line: number, "unclosed {{")
            }
            var inner = line[open.upperBound..<close.lowerBound].trimmingWhitespace()
            let optional = inner.hasPrefix("?")
            if optional { inner = String(inner.dropFirst()).trimmingWhitespace() }
            guard let first = inner.first, first.isLetter || first == "_",
                  inner.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw PreparationError(.template, file: "template \(template)", line: number, field: "{{ \(inner) }}",
                                       "is not a placeholder name (letters, digits and _)")
            }
            found.append(Placeholder(name: inner, optional: optional, range: open.lowerBound..<close.upperBound))
            search = close.upperBound
        }
        return found
    }

    /// A shell word must stand where a word starts: not inside quotes, not
    /// glued to other text except an assignment's `=` or a bracket.
    static func checkWordPosition(_ line: Substring, _ placeholder: Placeholder, template: String, line number: Int) throws {
        var single = false, double = false, escaped = false, comment = false
        // $'…' (ANSI-C quoting): unlike '…', a backslash escapes there, even a quote.
        var ansiC = false
        var previous: Character = " "
        for char in line[..<placeholder.range.lowerBound] {
            defer { previous = char }
            if escaped { escaped = false; continue }
            switch char {
            case "\\" where !single || ansiC: escaped = true
            case "'" where !double:
                if single { single = false; ansiC = false } else { single = true; ansiC = previous == "$" }
            case "\"" where !single: double.toggle()
            // An unquoted # starting a word (after a blank or a shell
            // metacharacter) opens a comment to the end of the line: a value
            // there could end it with a newline.
            case "#" where !single && !double && " \t;|&()<>".contains(previous): comment = true
            default: break
            }
        }
        let fail = { (why: String) in
            PreparationError(.template, file: "template \(template)", line: number, field: "{{ \(placeholder.name) }}", why,
                             fix: "put the placeholder where a whole shell word goes, outside quotes")
        }
        if comment { throw fail("is inside a comment") }
        if single || double { throw fail("is inside quotes") }
        let before = placeholder.range.lowerBound == line.startIndex ? " " : line[line.index(before: placeholder.range.lowerBound)]
        let after = placeholder.range.upperBound == line.endIndex ? " " : line[placeholder.range.upperBound]
        guard " \t=(;|&".contains(before), " \t);|&".contains(after) else { throw fail("is glued to other text") }
    }

    static func sbatchWord(_ word: String, _ name: String, template: String, line number: Int) throws -> String {
        guard !word.isEmpty, word.allSatisfy({ SlurmValue.isNameCharacter($0) || "/+,:@=[]".contains($0) }) else {
            throw PreparationError(.template, file: "template \(template)", line: number, field: "{{ \(name) }}",
                                   "value '\(word)' cannot be placed in an #SBATCH line",
                                   fix: "#SBATCH values may hold letters, digits and ._-/+,:@=[] only")
        }
        return word
    }

    /// `cmd <<EOF` / `<<-'EOF'` → the delimiters that end the bodies, in
    /// order (`cat <<A <<B` reads A's body, then B's). `<<<` is a here-string.
    static func heredocDelimiters(in line: Substring) -> [String] {
        var delimiters: [String] = []
        var search = line.startIndex
        while let marker = line[search...].range(of: "<<") {
            var rest = line[marker.upperBound...]
            if rest.hasPrefix("<") {
                search = rest.drop(while: { $0 == "<" }).startIndex
                continue
            }
            if rest.hasPrefix("-") { rest = rest.dropFirst() }
            rest = rest.drop(while: { $0 == " " || $0 == "\t" })
            let word = rest.prefix(while: { !$0.isWhitespace && !";|&()<>".contains($0) })
            let delimiter = word.filter { $0 != "'" && $0 != "\"" && $0 != "\\" }
            if !delimiter.isEmpty { delimiters.append(delimiter) }
            search = word.endIndex
        }
        return delimiters
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
