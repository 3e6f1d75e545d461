import Foundation

/// Styles by role. Built-in default, patched by a theme file that names
/// only what it changes:
///
///     # role = foreground [background] [bold] [underline] [reverse] [dim]
///     focus = black cyan bold
///     status-error = bright-red
public struct Theme: Sendable, Equatable {
    public var name: String
    public var styles: [Role: Style]
    /// When false (monochrome, NO_COLOR) only attributes are drawn.
    public var usesColor: Bool

    public subscript(_ role: Role) -> Style {
        let style = styles[role] ?? styles[.text] ?? .plain
        guard usesColor else {
            return Style(bold: style.bold, underline: style.underline, reverse: style.reverse, dim: style.dim)
        }
        return style
    }

    public static let builtIn = Theme(name: "default", styles: [
        .text: Style(), .dim: Style(dim: true), .border: Style(foreground: .indexed(8)),
        .title: Style(foreground: .cyan, bold: true), .focus: Style(foreground: .black, background: .cyan, bold: true),
        .selection: Style(reverse: true), .hint: Style(foreground: .indexed(250)), .hintKey: Style(foreground: .yellow, bold: true),
        .header: Style(foreground: .black, background: .blue, bold: true),
        .statusOK: Style(foreground: .green, bold: true), .statusWarn: Style(foreground: .yellow, bold: true),
        .statusError: Style(foreground: .red, bold: true), .logStdout: Style(), .logStderr: Style(foreground: .indexed(209)),
        .logStep: Style(foreground: .cyan, bold: true), .input: Style(underline: true),
        .inputFocus: Style(foreground: .black, background: .white), .error: Style(foreground: .white, background: .red, bold: true),
        .modal: Style(), .highlight: Style(foreground: .green, bold: true), .progress: Style(foreground: .black, background: .green),
        .syntaxComment: Style(foreground: .indexed(244)), .syntaxDirective: Style(foreground: .magenta, bold: true),
        .syntaxString: Style(foreground: .green), .syntaxKeyword: Style(foreground: .yellow), .changed: Style(foreground: .yellow, bold: true),
    ], usesColor: true)

    public struct LoadError: Error, Equatable, CustomStringConvertible {
        public let file: String
        public let line: Int
        public let reason: String
        public var description: String { "\(file):\(line): \(reason)" }
    }

    /// Applies a theme file's lines over this theme.
    public func patched(with text: String, file: String) throws -> Theme {
        var theme = self
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first?
                .trimmingCharacters(in: .whitespaces) ?? ""
            if line.isEmpty { continue }
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { throw LoadError(file: file, line: index + 1, reason: "expected `role = colours`") }
            if parts[0] == "color" {
                theme.usesColor = parts[1] != "none"
                continue
            }
            guard let role = Role(rawValue: parts[0]) else {
                throw LoadError(file: file, line: index + 1, reason: "unknown role '\(parts[0])'")
            }
            var style = Style()
            var colours: [Color] = []
            for word in parts[1].split(separator: " ") {
                switch word {
                case "bold": style.bold = true
                case "underline": style.underline = true
                case "reverse": style.reverse = true
                case "dim": style.dim = true
                default:
                    guard let colour = Color(name: String(word)) else {
                        throw LoadError(file: file, line: index + 1, reason: "unknown colour '\(word)'")
                    }
                    colours.append(colour)
                }
            }
            if colours.count > 0 { style.foreground = colours[0] }
            if colours.count > 1 { style.background = colours[1] }
            theme.styles[role] = style
        }
        return theme
    }

    /// Loads `name` from the user's directory, then the shipped ones. A
    /// theme that fails to load yields the default and the reason.
    public static func load(named name: String, directories: [URL], noColor: Bool) -> (Theme, String?) {
        var theme = builtIn
        var problem: String?
        if name != "default" {
            let found = directories.lazy.map { $0.appendingPathComponent("\(name).theme") }
                .first { FileManager.default.fileExists(atPath: $0.path) }
            if let found, let text = try? String(contentsOf: found, encoding: .utf8) {
                do {
                    theme = try builtIn.patched(with: text, file: found.path)
                    theme.name = name
                } catch {
                    problem = "theme \(name) not loaded (\(error)); using the default"
                }
            } else {
                problem = "theme \(name) not found in \(directories.map(\.path).joined(separator: ", ")); using the default"
            }
        }
        if noColor { theme.usesColor = false }
        return (theme, problem)
    }
}
