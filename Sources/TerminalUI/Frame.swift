/// Borders, titles and plain drawing helpers.
public enum Frame {
    /// Draws a box; returns the inner area.
    @discardableResult
    public static func draw(_ buffer: inout CellBuffer, _ area: Rect, title: String? = nil, focused: Bool = false,
                            theme: Theme) -> Rect {
        guard area.width >= 2, area.height >= 2 else { return area }
        let style = focused ? theme[.title] : theme[.border]
        let horizontal = String(repeating: "─", count: area.width - 2)
        buffer.write("┌" + horizontal + "┐", x: area.x, y: area.y, style: style)
        for y in (area.y + 1)..<(area.maxY - 1) {
            buffer.write("│", x: area.x, y: y, style: style)
            buffer.write("│", x: area.maxX - 1, y: y, style: style)
        }
        buffer.write("└" + horizontal + "┘", x: area.x, y: area.maxY - 1, style: style)
        if let title, area.width > 6 {
            let text = " " + DisplayWidth.truncate(title, to: area.width - 6) + " "
            buffer.write(text, x: area.x + 2, y: area.y, style: focused ? theme[.focus] : theme[.title])
        }
        return area.inset(1)
    }

    /// Writes one line, truncated to the area's width, padded with the style.
    public static func line(_ buffer: inout CellBuffer, _ text: String, at area: Rect, row: Int, style: Style,
                            pad: Bool = false) {
        guard row >= 0, row < area.height else { return }
        if pad { buffer.fill(Rect(x: area.x, y: area.y + row, width: area.width, height: 1), style: style) }
        buffer.write(DisplayWidth.truncate(text, to: area.width), x: area.x, y: area.y + row, style: style, clip: area)
    }

    /// Word-wraps text to a width (hard-breaking long words).
    /// Hard-wraps one line at the width (paths and ids have no spaces to
    /// break at); a line that fits stays whole.
    public static func fold(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = []
        var current = ""
        var used = 0
        for character in text {
            let cell = DisplayWidth.of(String(character))
            if used + cell > width, !current.isEmpty {
                lines.append(current)
                current = ""
                used = 0
            }
            current.append(character)
            used += cell
        }
        lines.append(current)
        return lines
    }

    public static func wrap(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            // Keep a paragraph's indentation on its first line.
            let indent = String(paragraph.prefix(while: { $0 == " " }).prefix(max(0, width / 2)))
            var current = indent
            for word in paragraph.drop(while: { $0 == " " }).split(separator: " ", omittingEmptySubsequences: false) {
                var word = String(word)
                while DisplayWidth.of(word) > width {
                    if !current.isEmpty { lines.append(current); current = "" }
                    let head = String(word.prefix(width))
                    lines.append(head)
                    word = String(word.dropFirst(head.count))
                }
                if current.isEmpty || current == indent { current += word }
                else if DisplayWidth.of(current) + 1 + DisplayWidth.of(word) <= width { current += " " + word }
                else { lines.append(current); current = word }
            }
            lines.append(current)
        }
        return lines
    }
}
