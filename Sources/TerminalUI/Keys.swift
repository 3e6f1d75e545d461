/// A key press or other input event, backend-neutral.
public enum Key: Equatable, Hashable, Sendable {
    case character(Character)
    case enter, escape, tab, backTab, backspace, delete
    case up, down, left, right, home, end, pageUp, pageDown
    case function(Int)
    case control(Character)
    /// Alt (Meta) with a character: the terminal sends ESC then the
    /// character; Alt-Backspace is `.alt("\u{7F}")`.
    case alt(Character)

    /// Whether the key types a character into a text field.
    public var isPrintable: Bool { if case .character = self { return true } else { return false } }
}

public enum InputEvent: Equatable, Sendable {
    case key(Key)
    case resize(width: Int, height: Int)
    case mouse(x: Int, y: Int, kind: MouseKind)
}

public enum MouseKind: Equatable, Sendable { case click, wheelUp, wheelDown }

/// Named actions bound to keys: defaults in code, a user file overrides
/// only what it names (`action = key [key…]`).
public struct KeyMap: Sendable, Equatable {
    public private(set) var bindings: [String: [Key]]

    public init(defaults: [String: [Key]]) { bindings = defaults }

    public func keys(for action: String) -> [Key] { bindings[action] ?? [] }

    public func action(for key: Key, among actions: [String]) -> String? {
        actions.first { bindings[$0]?.contains(key) == true }
    }

    /// The first key of an action as shown in hints (`q`, `F5`, `Ctrl-C`).
    public func label(for action: String) -> String { keys(for: action).first.map(Self.label) ?? "?" }

    public static func label(_ key: Key) -> String {
        switch key {
        case let .character(char): return char == " " ? "Space" : String(char)
        case .enter: return "Enter"
        case .escape: return "Esc"
        case .tab: return "Tab"
        case .backTab: return "S-Tab"
        case .backspace: return "Bksp"
        case .delete: return "Del"
        case .up: return "↑"
        case .down: return "↓"
        case .left: return "←"
        case .right: return "→"
        case .home: return "Home"
        case .end: return "End"
        case .pageUp: return "PgUp"
        case .pageDown: return "PgDn"
        case let .function(n): return "F\(n)"
        case let .control(char): return "Ctrl-\(char.uppercased())"
        case let .alt(char): return char == "\u{7F}" ? "Alt-Bksp" : "Alt-\(char)"
        }
    }

    public static func parse(_ text: String) -> Key? {
        let named: [String: Key] = ["enter": .enter, "esc": .escape, "escape": .escape, "tab": .tab, "s-tab": .backTab,
                                    "backspace": .backspace, "delete": .delete, "up": .up, "down": .down, "left": .left,
                                    "right": .right, "home": .home, "end": .end, "pgup": .pageUp, "pgdn": .pageDown,
                                    "space": .character(" ")]
        let lower = text.lowercased()
        if let key = named[lower] { return key }
        if lower.hasPrefix("ctrl-"), lower.count == 6, let char = lower.last { return .control(char) }
        if lower == "alt-backspace" || lower == "alt-bksp" { return .alt("\u{7F}") }
        if lower.hasPrefix("alt-"), text.count == 5, let char = text.last { return .alt(char) }
        if lower.hasPrefix("f"), let number = Int(lower.dropFirst()), (1...12).contains(number) { return .function(number) }
        if text.count == 1, let char = text.first { return .character(char) }
        return nil
    }

    public struct LoadError: Error, Equatable, CustomStringConvertible {
        public let line: Int
        public let reason: String
        public var description: String { "key bindings line \(line): \(reason)" }
    }

    public func patched(with text: String) throws -> KeyMap {
        var map = self
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first?
                .trimmingCharacters(in: .whitespaces) ?? ""
            if line.isEmpty { continue }
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, map.bindings[parts[0]] != nil else {
                throw LoadError(line: index + 1, reason: "unknown action or missing '=' in '\(line)'")
            }
            let keys = try parts[1].split(separator: " ").map { word -> Key in
                guard let key = Self.parse(String(word)) else { throw LoadError(line: index + 1, reason: "unknown key '\(word)'") }
                return key
            }
            map.bindings[parts[0]] = keys
        }
        return map
    }
}
