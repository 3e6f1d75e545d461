import History
import TerminalUI

/// The History list holds only a window of entries around the selection; the
/// store pages them in and counts matches, so a long history costs no more
/// than a short one. The selected record is loaded whole, for details and actions.
public struct HistoryState: Equatable, Sendable {
    /// An action pressed before the selected record had loaded: done when it arrives.
    public var actionOnLoad: PendingAction?
    public struct PendingAction: Equatable, Sendable {
        let id: String
        let action: RecordAction
    }
    /// Entries at positions `windowStart ..< windowStart + window.count` of the filtered list.
    public var window: [HistoryEntry] = []
    public var windowStart = 0
    /// Matching records (at least those loaded while `counting`).
    public var total = 0
    /// The filter `total` was counted for; another means a count is coming.
    public var countedFor: HistoryFilter? = HistoryFilter()
    public var counting: Bool { countedFor != query }
    public var selected = 0
    /// First visible row; kept in `update`, so the view and mouse hits agree.
    public var top = 0
    public var selectedRecord: SubmissionRecord?
    /// Raised by every request: replies to older ones are dropped.
    public var generation = 0
    public var filter = TextFieldState()
    public var filtering = false
    public var stateFilter: String?
    public var showDetails = false
    /// First line of the details pane shown (it scrolls; a new selection starts at its top).
    public var detailsTop = 0

    /// Entries asked for at a time: a few screens, so scrolling rarely waits.
    public static let pageSize = 300

    public var query: HistoryFilter { HistoryFilter(text: filter.text.isEmpty ? nil : filter.text, state: stateFilter) }

    public func entry(at index: Int) -> HistoryEntry? {
        let local = index - windowStart
        return window.indices.contains(local) ? window[local] : nil
    }

    public var selectedEntry: HistoryEntry? { entry(at: selected) }

    /// The selected record, when it is loaded and still the selection.
    public var record: SubmissionRecord? {
        guard let record = selectedRecord, record.id == selectedEntry?.id else { return nil }
        return record
    }
}

/// A page of the history list, as the store answered a request.
public struct HistoryPage: Equatable, Sendable {
    public var generation: Int
    public var offset: Int
    public var entries: [HistoryEntry]
    /// Nil when the page does not tell it: a `HistoryCount` follows.
    public var total: Int?
    /// Where the record to keep selected is now (nil: filtered out or gone).
    public var keptAt: Int?
}

/// How many records match a request, counted after its page was sent.
public struct HistoryCount: Equatable, Sendable {
    public var filter: HistoryFilter
    public var total: Int
}

/// What the list asks the store for.
public struct HistoryRequest: Equatable, Sendable {
    public var filter: HistoryFilter
    public var generation: Int
    /// The position the page should surround.
    public var around: Int
    /// A record to keep selected wherever it moved (on entry and refresh).
    public var keep: String?
    /// The list's length for this filter is known already (scrolling).
    public var countKnown = false
}

extension HistoryRequest {
    /// Runs off the UI loop: the page around the wanted position (or the
    /// kept record's new place) first, so the list changes at once; the count
    /// follows when the page alone does not tell it.
    func answer(from store: HistoryStore) throws -> HistoryPage {
        let keptAt = try keep.flatMap { try store.position(of: $0, in: filter) }
        var offset = max(0, (keptAt ?? around) - HistoryState.pageSize / 2)
        var entries = try store.entries(filter, offset: offset, limit: HistoryState.pageSize)
        var total: Int?
        if entries.count < HistoryState.pageSize, !entries.isEmpty || offset == 0 {
            total = offset + entries.count
        } else if entries.isEmpty {
            // Past the end of a list that shrank: the last page instead.
            let counted = try store.count(filter)
            total = counted
            offset = max(0, counted - HistoryState.pageSize)
            entries = try store.entries(filter, offset: offset, limit: HistoryState.pageSize)
        }
        return HistoryPage(generation: generation, offset: offset, entries: entries, total: total, keptAt: keptAt)
    }

    /// The count a page left open, if the list does not know it yet.
    func count(after page: HistoryPage, from store: HistoryStore) throws -> HistoryCount? {
        guard page.total == nil, !countKnown else { return nil }
        return HistoryCount(filter: filter, total: try store.count(filter))
    }
}

enum HistoryScreen {
    /// Rows of the list the screen shows, laid out as the view lays them out.
    static func tableArea(_ state: AppState) -> Rect {
        let body = Layout.body(state.size)
        let list = state.history.showDetails ? body.splitRows(body.height / 2).0 : body
        let inner = list.width >= 2 && list.height >= 2 ? list.inset(1) : list
        return state.history.filtering ? inner.splitRows(1).1 : inner
    }

    static func visibleRows(_ state: AppState) -> Int { max(1, tableArea(state).height - 1) }

    /// The list position under screen row `y`, if a row is there.
    static func position(atRow y: Int, _ state: AppState) -> Int? {
        let row = y - (tableArea(state).y + 1)
        guard row >= 0, row < visibleRows(state) else { return nil }
        let position = state.history.top + row
        return position < state.history.total ? position : nil
    }

    /// Asks for the list again, keeping the selected record selected.
    static func reload(_ state: inout AppState, keepSelection: Bool = true) -> [Effect] {
        state.history.generation += 1
        return [.loadHistory(HistoryRequest(filter: state.history.query, generation: state.history.generation,
                                            around: state.history.selected,
                                            keep: keepSelection ? state.history.selectedEntry?.id : nil))]
    }

    /// A new filter: the list starts again at its top.
    static func refilter(_ state: inout AppState) -> [Effect] {
        state.history.selected = 0
        state.history.top = 0
        return reload(&state, keepSelection: false)
    }

    /// After the selection moved: scroll it into view, page in entries near
    /// it when the window runs short, and load its record.
    static func selectionMoved(_ state: inout AppState) -> [Effect] {
        var history = state.history
        defer { state.history = history }
        history.selected = max(0, min(history.selected, history.total - 1))
        history.detailsTop = 0
        let visible = visibleRows(state)
        history.top = max(0, min(history.top, history.selected), history.selected - visible + 1)
        var effects: [Effect] = []
        let margin = max(visible, HistoryState.pageSize / 4)
        let windowEnd = history.windowStart + history.window.count
        let shortBefore = history.windowStart > 0 && history.selected - margin < history.windowStart
        let shortAfter = windowEnd < history.total && history.selected + margin >= windowEnd
        if shortBefore || shortAfter || history.selectedEntry == nil, history.total > 0 {
            history.generation += 1
            effects.append(.loadHistory(HistoryRequest(filter: history.query, generation: history.generation,
                                                       around: history.selected, keep: nil, countKnown: !history.counting)))
        }
        if let entry = history.selectedEntry, history.selectedRecord?.id != entry.id {
            effects.append(.loadHistoryRecord(entry.id))
        }
        return effects
    }

    /// A page arrived: take it when it answers the latest request.
    static func apply(_ state: inout AppState, _ page: HistoryPage) -> [Effect] {
        guard page.generation == state.history.generation else { return [] }
        state.history.window = page.entries
        state.history.windowStart = page.offset
        if let total = page.total {
            state.history.total = total
            state.history.countedFor = state.history.query
        } else if state.history.counting {
            state.history.total = page.offset + page.entries.count
        }
        if let kept = page.keptAt { state.history.selected = kept }
        return selectionMoved(&state)
    }

    static func apply(_ state: inout AppState, _ count: HistoryCount) -> [Effect] {
        guard count.filter == state.history.query else { return [] }
        state.history.total = count.total
        state.history.countedFor = count.filter
        return selectionMoved(&state)
    }

    static func apply(_ state: inout AppState, record: SubmissionRecord) -> [Effect] {
        guard record.id == state.history.selectedEntry?.id else { return [] }
        state.history.selectedRecord = record
        guard let pending = state.history.actionOnLoad, pending.id == record.id else { return [] }
        state.history.actionOnLoad = nil
        state.notice = nil
        return HistoryActions.act(&state, pending.action, on: record)
    }

    /// Moves the selection by a key; true when the key was a movement.
    static func move(_ state: inout AppState, _ key: Key) -> Bool {
        let page = max(1, visibleRows(state) - 1)
        let last = max(0, state.history.total - 1)
        switch key {
        case .up, .character("k"): state.history.selected = max(0, state.history.selected - 1)
        case .down, .character("j"): state.history.selected = min(last, state.history.selected + 1)
        case .pageUp: state.history.selected = max(0, state.history.selected - page)
        case .pageDown: state.history.selected = min(last, state.history.selected + page)
        case .home, .character("g"): state.history.selected = 0
        case .end, .character("G"): state.history.selected = last
        default: return false
        }
        return true
    }

    /// Pages, counts, the selected record, refreshed states; nil for a
    /// message that is another screen's.
    static func reply(_ state: inout AppState, _ message: Message) -> [Effect]? {
        switch message {
        case .historyStatesRefreshed: state.screen == .history ? reload(&state) : []
        case let .historyPage(page): apply(&state, page)
        case let .historyCount(count): apply(&state, count)
        case let .historyRecord(record): apply(&state, record: record)
        default: nil
        }
    }
}
