/// One screen cell: a grapheme (or empty for the right half of a wide one).
public struct Cell: Equatable, Sendable {
    public var text: String
    public var style: Style
    /// The right half of a double-width grapheme drawn in the cell before.
    public var isContinuation: Bool

    public static let blank = Cell(text: " ", style: .plain, isContinuation: false)
}

/// What widgets draw into; backends copy it to the terminal.
public struct CellBuffer: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public var bounds: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { cells[y * width + x] = newValue }
    }

    public mutating func fill(_ rect: Rect, style: Style) {
        for y in max(0, rect.y)..<min(height, rect.maxY) {
            for x in max(0, rect.x)..<min(width, rect.maxX) { self[x, y] = Cell(text: " ", style: style, isContinuation: false) }
        }
    }

    /// Writes text at (x, y), clipped to `clip`; returns the column after it.
    /// Grapheme clusters are kept whole; wide ones take two cells and are
    /// never split at the clip edge.
    @discardableResult
    public mutating func write(_ text: String, x: Int, y: Int, style: Style, clip: Rect? = nil) -> Int {
        let area = clip ?? bounds
        guard y >= max(0, area.y), y < min(height, area.maxY) else { return x }
        var column = x
        for grapheme in text {
            let cellWidth = DisplayWidth.of(grapheme)
            if cellWidth == 0 { continue }
            if column + cellWidth > min(width, area.maxX) { break }
            if column >= max(0, area.x) {
                let visible = grapheme.isControlLike ? "\u{FFFD}" : String(grapheme)
                self[column, y] = Cell(text: visible, style: style, isContinuation: false)
                if cellWidth == 2 { self[column + 1, y] = Cell(text: "", style: style, isContinuation: true) }
            }
            column += cellWidth
        }
        return column
    }

    /// The buffer as plain lines (for snapshots).
    public var lines: [String] {
        (0..<height).map { y in
            (0..<width).reduce(into: "") { line, x in
                let cell = self[x, y]
                if !cell.isContinuation { line += cell.text }
            }
        }
    }

    /// Lines, trailing spaces removed, as one string (for snapshot files).
    public var text: String {
        lines.map { String($0.reversed().drop(while: { $0 == " " }).reversed()) }.joined(separator: "\n")
    }
}

/// Cell width of a grapheme: 0 for combining marks, 2 for East Asian wide
/// characters and emoji, 1 otherwise.
public enum DisplayWidth {
    public static func of(_ grapheme: Character) -> Int {
        guard let first = grapheme.unicodeScalars.first else { return 0 }
        if grapheme.unicodeScalars.contains(where: { $0.value == 0xFE0F }) { return 2 } // emoji presentation
        if first.properties.isEmojiPresentation { return 2 }
        switch first.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return first.value == 0xAD ? 1 : 0
        default: break
        }
        switch first.value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
             0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
             0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD:
            return 2
        default:
            return 1
        }
    }

    public static func of(_ text: String) -> Int { text.reduce(0) { $0 + of($1) } }

    /// The longest prefix that fits in `columns`, with `…` when cut.
    public static func truncate(_ text: String, to columns: Int) -> String {
        guard of(text) > columns else { return text }
        guard columns > 1 else { return columns == 1 ? "…" : "" }
        var result = ""
        var used = 0
        for grapheme in text {
            let width = of(grapheme)
            if used + width > columns - 1 { break }
            result.append(grapheme)
            used += width
        }
        return result + "…"
    }
}

extension Character {
    var isControlLike: Bool {
        unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
    }
}
