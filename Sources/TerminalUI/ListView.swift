/// Selection and type-to-filter over a list of items.
public struct ListState: Equatable, Sendable {
    public var items: [String]
    public var selected: Int
    public var filter: String
    public var offset: Int

    public init(items: [String] = [], selected: Int = 0) {
        self.items = items
        self.selected = selected
        filter = ""
        offset = 0
    }

    /// Indices of items matching the filter (case-insensitive), those that
    /// start with it first.
    public var visible: [Int] {
        guard !filter.isEmpty else { return Array(items.indices) }
        let matching = items.indices.filter { items[$0].localizedCaseInsensitiveContains(filter) }
        let prefix = filter.lowercased()
        return matching.filter { items[$0].lowercased().hasPrefix(prefix) } + matching.filter { !items[$0].lowercased().hasPrefix(prefix) }
    }

    /// The selected item's index in `items`.
    public var selectedItem: Int? {
        let shown = visible
        return shown.indices.contains(selected) ? shown[selected] : nil
    }

    public mutating func setItems(_ newItems: [String]) {
        items = newItems
        filter = ""
        selected = 0
        offset = 0
    }

    /// Navigation keys, and (when `filtering`) printable keys edit the filter.
    public mutating func handle(_ key: Key, filtering: Bool = false, page: Int = 10) -> Bool {
        let count = visible.count
        switch key {
        case .up: selected = max(0, selected - 1)
        case .character("k") where !filtering: selected = max(0, selected - 1)
        case .down: selected = min(max(0, count - 1), selected + 1)
        case .character("j") where !filtering: selected = min(max(0, count - 1), selected + 1)
        case .pageUp: selected = max(0, selected - page)
        case .pageDown: selected = min(max(0, count - 1), selected + page)
        case .home: selected = 0
        case .end: selected = max(0, count - 1)
        case .backspace where filtering && !filter.isEmpty:
            filter.removeLast()
            selected = 0
        case let .character(char) where filtering:
            filter.append(char)
            selected = 0
        default:
            return false
        }
        return true
    }

    /// Moves the window so the selection shows in `height` rows.
    public mutating func scroll(toShow height: Int) {
        if selected < offset { offset = selected }
        if selected >= offset + height { offset = selected - height + 1 }
        offset = max(0, min(offset, max(0, visible.count - height)))
    }
}

public enum ListView {
    /// The list as drawn in `height` rows: scrolled just enough to show the
    /// selection. Updates store it (clicks hit what was drawn); the view
    /// derives the same from the state and changes nothing.
    public static func scrolled(_ state: ListState, height: Int) -> ListState {
        var shown = state
        shown.scroll(toShow: height)
        return shown
    }

    /// Draws the visible items; `style` picks a role per item (e.g. highlighted *.info.yaml).
    public static func draw(_ buffer: inout CellBuffer, _ list: ListState, area: Rect, focused: Bool, theme: Theme,
                            style: (Int) -> Role = { _ in .text }) {
        guard area.height > 0 else { return }
        let state = scrolled(list, height: area.height)
        let shown = state.visible
        for row in 0..<area.height {
            let position = state.offset + row
            guard position < shown.count else { break }
            let index = shown[position]
            let isSelected = position == state.selected
            let role: Role = isSelected ? (focused ? .focus : .selection) : style(index)
            Frame.line(&buffer, " " + state.items[index], at: area, row: row, style: theme[role], pad: isSelected)
        }
        if shown.isEmpty {
            Frame.line(&buffer, state.filter.isEmpty ? " (empty)" : " no match for '\(state.filter)'", at: area, row: 0, style: theme[.dim])
        }
    }
}

/// Columns with a header, rows and a selected row.
public enum Table {
    public struct Column: Sendable {
        public let title: String
        public let width: Int
        public init(_ title: String, width: Int) {
            self.title = title
            self.width = width
        }
    }

    public static func draw(_ buffer: inout CellBuffer, columns: [Column], rows: [[String]], selected: Int?, offset: Int,
                            area: Rect, focused: Bool, theme: Theme, rowStyle: (Int) -> Role = { _ in .text }) {
        guard area.height > 0 else { return }
        func render(_ cells: [String]) -> String {
            zip(columns, cells).map { column, cell in
                let text = DisplayWidth.truncate(cell, to: column.width)
                return text + String(repeating: " ", count: max(0, column.width - DisplayWidth.of(text)))
            }.joined(separator: " ")
        }
        Frame.line(&buffer, render(columns.map(\.title)), at: area, row: 0, style: theme[.header], pad: true)
        for row in 0..<(area.height - 1) {
            let index = offset + row
            guard index < rows.count else { break }
            let isSelected = index == selected
            let role: Role = isSelected ? (focused ? .focus : .selection) : rowStyle(index)
            Frame.line(&buffer, render(rows[index]), at: area, row: row + 1, style: theme[role], pad: isSelected)
        }
    }
}

public enum Tabs {
    public static func draw(_ buffer: inout CellBuffer, titles: [String], selected: Int, area: Rect, theme: Theme) {
        var x = area.x
        // When all titles do not fit, only the selected tab keeps its title.
        let full = titles.enumerated().reduce(0) { $0 + DisplayWidth.of(" \($1.offset + 1) \($1.element) ") + 1 }
        let compact = full > area.width
        for (index, title) in titles.enumerated() {
            let text = compact && index != selected ? " \(index + 1) " : " \(index + 1) \(title) "
            x = buffer.write(text, x: x, y: area.y, style: theme[index == selected ? .focus : .hint], clip: area)
            x += 1
        }
    }
}
