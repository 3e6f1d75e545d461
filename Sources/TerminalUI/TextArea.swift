/// A multi-line editor: lines of text, a cursor (row, column in
/// graphemes), insert, delete, join and split lines, and scrolling.
public struct TextAreaState: Equatable, Sendable {
    public private(set) var lines: [String]
    public private(set) var row = 0
    public private(set) var column = 0
    public var offset = 0

    public init(_ text: String = "") {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.isEmpty { lines = [""] }
    }

    public var text: String { lines.joined(separator: "\n") }

    /// Applies an editing key; false when the key is not for the editor.
    public mutating func handle(_ key: Key) -> Bool {
        var current = Array(lines[row])
        column = min(column, current.count)
        switch key {
        case let .character(char):
            current.insert(char, at: column)
            column += 1
            lines[row] = String(current)
        case .enter:
            lines[row] = String(current[..<column])
            lines.insert(String(current[column...]), at: row + 1)
            row += 1
            column = 0
        case .backspace:
            if column > 0 {
                current.remove(at: column - 1)
                column -= 1
                lines[row] = String(current)
            } else if row > 0 {
                column = lines[row - 1].count
                lines[row - 1] += lines[row]
                lines.remove(at: row)
                row -= 1
            }
        case .delete:
            if column < current.count {
                current.remove(at: column)
                lines[row] = String(current)
            } else if row + 1 < lines.count {
                lines[row] += lines[row + 1]
                lines.remove(at: row + 1)
            }
        case .left:
            if column > 0 { column -= 1 } else if row > 0 { row -= 1; column = lines[row].count }
        case .right:
            if column < current.count { column += 1 } else if row + 1 < lines.count { row += 1; column = 0 }
        case .up: row = max(0, row - 1)
        case .down: row = min(lines.count - 1, row + 1)
        case .home: column = 0
        case .end: column = lines[row].count
        default: return false
        }
        column = min(column, lines[row].count)
        return true
    }
}

public enum TextArea {
    public static func draw(_ buffer: inout CellBuffer, _ state: inout TextAreaState, area: Rect, focused: Bool, theme: Theme) {
        guard area.height > 0, area.width > 0 else { return }
        if state.row < state.offset { state.offset = state.row }
        if state.row >= state.offset + area.height { state.offset = state.row - area.height + 1 }
        for screenRow in 0..<area.height {
            let index = state.offset + screenRow
            guard index < state.lines.count else { break }
            Frame.line(&buffer, state.lines[index], at: area, row: screenRow, style: theme[.text])
            if focused, index == state.row {
                let characters = Array(state.lines[index])
                let x = area.x + DisplayWidth.of(String(characters[..<min(state.column, characters.count)]))
                if x < area.maxX {
                    let under = state.column < characters.count ? String(characters[state.column]) : " "
                    buffer.write(under, x: x, y: area.y + screenRow, style: theme[.inputFocus].with(reverse: true))
                }
            }
        }
    }
}
