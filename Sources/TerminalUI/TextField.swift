/// An editable single line: cursor, insert, delete, home/end, Ctrl-U/K/W,
/// and readline's word keys (Alt-B/F move, Alt-Backspace/Alt-D delete).
public struct TextFieldState: Equatable, Sendable {
    public var text: String
    /// Cursor position in graphemes.
    public var cursor: Int
    /// Shows bullets instead of the text (passphrases, one-time codes).
    public var hidden: Bool

    public init(_ text: String = "", hidden: Bool = false) {
        self.text = text
        cursor = text.count
        self.hidden = hidden
    }

    /// Applies an editing key; false when the key is not for the field.
    public mutating func handle(_ key: Key) -> Bool {
        var characters = Array(text)
        cursor = min(max(0, cursor), characters.count)
        switch key {
        case let .character(char):
            characters.insert(char, at: cursor)
            cursor += 1
        case .backspace:
            guard cursor > 0 else { return true }
            characters.remove(at: cursor - 1)
            cursor -= 1
        case .delete, .control("d"):
            guard cursor < characters.count else { return true }
            characters.remove(at: cursor)
        case .left, .control("b"): cursor = max(0, cursor - 1)
        case .right, .control("f"): cursor = min(characters.count, cursor + 1)
        case .home, .control("a"): cursor = 0
        case .end, .control("e"): cursor = characters.count
        case .control("u"):
            characters.removeFirst(cursor)
            cursor = 0
        case .control("k"): characters.removeLast(characters.count - cursor)
        case .control("w"):
            var start = cursor
            while start > 0, characters[start - 1] == " " { start -= 1 }
            while start > 0, characters[start - 1] != " " { start -= 1 }
            characters.removeSubrange(start..<cursor)
            cursor = start
        case .alt("b"): cursor = Self.wordStart(before: cursor, in: characters)
        case .alt("f"): cursor = Self.wordEnd(after: cursor, in: characters)
        case .alt("\u{7F}"):
            let start = Self.wordStart(before: cursor, in: characters)
            characters.removeSubrange(start..<cursor)
            cursor = start
        case .alt("d"): characters.removeSubrange(cursor..<Self.wordEnd(after: cursor, in: characters))
        default:
            return false
        }
        text = String(characters)
        return true
    }

    /// Words as readline sees them: runs of letters and digits.
    static func isWord(_ character: Character) -> Bool { character.isLetter || character.isNumber }

    static func wordStart(before position: Int, in characters: [Character]) -> Int {
        var start = position
        while start > 0, !isWord(characters[start - 1]) { start -= 1 }
        while start > 0, isWord(characters[start - 1]) { start -= 1 }
        return start
    }

    static func wordEnd(after position: Int, in characters: [Character]) -> Int {
        var end = position
        while end < characters.count, !isWord(characters[end]) { end += 1 }
        while end < characters.count, isWord(characters[end]) { end += 1 }
        return end
    }

    /// Replaces the whole text (a paste), cursor at the end.
    public mutating func set(_ value: String) {
        text = value
        cursor = value.count
    }
}

public enum TextField {
    public static func draw(_ buffer: inout CellBuffer, _ state: TextFieldState, area: Rect, focused: Bool, theme: Theme) {
        guard area.width > 0, area.height > 0 else { return }
        let style = focused ? theme[.inputFocus] : theme[.input]
        buffer.fill(Rect(x: area.x, y: area.y, width: area.width, height: 1), style: style)
        let shown = state.hidden ? String(repeating: "•", count: state.text.count) : state.text
        let characters = Array(shown)
        // Scroll so the cursor stays visible.
        var start = 0
        while DisplayWidth.of(String(characters[start..<min(state.cursor, characters.count)])) >= area.width, start < characters.count {
            start += 1
        }
        let visible = String(characters[start...])
        buffer.write(visible, x: area.x, y: area.y, style: style, clip: Rect(x: area.x, y: area.y, width: area.width, height: 1))
        if focused {
            let cursorX = area.x + DisplayWidth.of(String(characters[start..<min(state.cursor, characters.count)]))
            if cursorX < area.maxX {
                let under = state.cursor < characters.count ? String(characters[state.cursor]) : " "
                buffer.write(under, x: cursorX, y: area.y, style: style.with(reverse: !style.reverse))
            }
        }
    }
}
