/// A terminal colour: the terminal's default, or one of 256 indexed colours.
public enum Color: Equatable, Hashable, Sendable {
    case `default`
    case indexed(UInt8)

    public static let black = Color.indexed(0), red = Color.indexed(1), green = Color.indexed(2), yellow = Color.indexed(3)
    public static let blue = Color.indexed(4), magenta = Color.indexed(5), cyan = Color.indexed(6), white = Color.indexed(7)

    /// Parses `default`, a name (`red`, `bright-blue`…) or a number 0–255.
    public init?(name: String) {
        let names = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]
        let lower = name.lowercased()
        if lower == "default" || lower == "none" { self = .default; return }
        if let index = names.firstIndex(of: lower) { self = .indexed(UInt8(index)); return }
        if lower.hasPrefix("bright-"), let index = names.firstIndex(of: String(lower.dropFirst(7))) {
            self = .indexed(UInt8(index + 8)); return
        }
        if let number = UInt8(lower) { self = .indexed(number); return }
        return nil
    }
}

/// How a cell looks.
public struct Style: Equatable, Hashable, Sendable {
    public var foreground: Color
    public var background: Color
    public var bold: Bool
    public var underline: Bool
    public var reverse: Bool
    public var dim: Bool

    public init(foreground: Color = .default, background: Color = .default, bold: Bool = false, underline: Bool = false,
                reverse: Bool = false, dim: Bool = false) {
        self.foreground = foreground
        self.background = background
        self.bold = bold
        self.underline = underline
        self.reverse = reverse
        self.dim = dim
    }

    public static let plain = Style()

    public func with(bold: Bool? = nil, reverse: Bool? = nil, foreground: Color? = nil) -> Style {
        var copy = self
        if let bold { copy.bold = bold }
        if let reverse { copy.reverse = reverse }
        if let foreground { copy.foreground = foreground }
        return copy
    }
}

/// Colours are chosen by role, never in widgets (as htop does).
public enum Role: String, CaseIterable, Sendable {
    case text, dim, border, title, focus, selection, hint, hintKey = "hint-key", header
    case statusOK = "status-ok", statusWarn = "status-warn", statusError = "status-error"
    case logStdout = "log-stdout", logStderr = "log-stderr", logStep = "log-step"
    case input, inputFocus = "input-focus", error, modal, highlight, progress
    case syntaxComment = "syntax-comment", syntaxDirective = "syntax-directive", syntaxString = "syntax-string"
    case syntaxKeyword = "syntax-keyword", changed
}
