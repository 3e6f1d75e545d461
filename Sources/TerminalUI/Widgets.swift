/// A horizontal bar with a label.
public enum ProgressBar {
    public static func draw(_ buffer: inout CellBuffer, fraction: Double?, label: String, area: Rect, theme: Theme, tick: Int = 0) {
        guard area.width > 2, area.height > 0 else { return }
        let width = area.width
        buffer.fill(Rect(x: area.x, y: area.y, width: width, height: 1), style: theme[.input])
        if let fraction {
            let filled = Int((Double(width) * min(1, max(0, fraction))).rounded())
            buffer.fill(Rect(x: area.x, y: area.y, width: filled, height: 1), style: theme[.progress])
        } else {
            // Indeterminate: a moving block.
            let position = tick % max(1, width - 4)
            buffer.fill(Rect(x: area.x + position, y: area.y, width: 4, height: 1), style: theme[.progress])
        }
        let text = DisplayWidth.truncate(label, to: width - 2)
        buffer.write(text, x: area.x + (width - DisplayWidth.of(text)) / 2, y: area.y, style: theme[.text].with(bold: true))
    }
}

public enum Spinner {
    static let frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]
    public static func frame(_ tick: Int) -> String { frames[abs(tick) % frames.count] }
}

/// Bottom bar: every action of the screen with its key.
public enum KeyHintBar {
    public static func draw(_ buffer: inout CellBuffer, hints: [(key: String, label: String)], area: Rect, theme: Theme) {
        guard area.height > 0 else { return }
        buffer.fill(Rect(x: area.x, y: area.y, width: area.width, height: 1), style: theme[.hint])
        var x = area.x
        for hint in hints {
            guard x < area.maxX else { break }
            x = buffer.write(hint.key, x: x, y: area.y, style: theme[.hintKey], clip: area)
            x = buffer.write(" " + hint.label + "  ", x: x, y: area.y, style: theme[.hint], clip: area)
        }
    }
}

/// A centred dialog with a title, text and buttons.
public enum Modal {
    @discardableResult
    public static func draw(_ buffer: inout CellBuffer, title: String, lines: [String], buttons: [String] = [],
                            selectedButton: Int = 0, area: Rect, theme: Theme, role: Role = .modal, width: Int = 64) -> Rect {
        let innerWidth = min(width, area.width - 4) - 2
        let wrapped = lines.flatMap { Frame.wrap($0, width: max(1, innerWidth)) }
        let height = min(area.height, wrapped.count + (buttons.isEmpty ? 2 : 4))
        let box = area.centered(width: innerWidth + 2, height: height)
        buffer.fill(box, style: theme[role])
        let inner = Frame.draw(&buffer, box, title: title, focused: true, theme: theme)
        for (row, line) in wrapped.enumerated() where row < inner.height {
            Frame.line(&buffer, line, at: inner, row: row, style: theme[role])
        }
        if !buttons.isEmpty, inner.height >= 2 {
            var x = inner.x
            for (index, button) in buttons.enumerated() {
                x = buffer.write("[ \(button) ]", x: x, y: inner.maxY - 1, style: theme[index == selectedButton ? .focus : .text],
                                 clip: inner) + 2
            }
        }
        return inner
    }
}

/// The `?` overlay: the keys of the current screen.
public enum HelpOverlay {
    /// `top`: the first entry shown when they do not all fit (↑↓ scroll).
    public static func draw(_ buffer: inout CellBuffer, title: String, entries: [(key: String, label: String)], area: Rect,
                            theme: Theme, top: Int = 0) {
        let keyWidth = entries.map { DisplayWidth.of($0.key) }.max() ?? 4
        let lines = entries.map { $0.key + String(repeating: " ", count: keyWidth - DisplayWidth.of($0.key)) + "  " + $0.label }
        let rows = max(1, area.height - 4)
        guard lines.count + 2 > rows + 2 else {
            Modal.draw(&buffer, title: title, lines: lines + ["", "Esc or ? closes this help."], area: area, theme: theme)
            return
        }
        let first = max(0, min(top, lines.count - (rows - 1)))
        let more = first + rows - 1 < lines.count ? "↓ more · " : "end · "
        Modal.draw(&buffer, title: title + " (\(first + 1)–\(min(lines.count, first + rows - 1)) of \(lines.count))",
                   lines: Array(lines.dropFirst(first).prefix(rows - 1)) + [more + "↑↓ scroll · Esc closes"], area: area, theme: theme)
    }

    /// The largest useful `top` for this many entries in `area`.
    public static func maximumTop(entries: Int, area: Rect) -> Int { max(0, entries - max(1, area.height - 5)) }
}
