import Foundation
import History
@testable import HPCSJobApp
import JobPreparation
import Testing
import TerminalUI

/// The History screen over a real store: it pages the list around the
/// selection, keeps the selected record across refreshes, and clicks land
/// on the row drawn under the pointer.
struct HistoryScreenTests {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hpcs-history-screen-\(UUID().uuidString)")

    func makeStore(_ count: Int) throws -> HistoryStore {
        let store = try HistoryStore(url: dir.appendingPathComponent("history.sqlite"))
        try store.insert(contentsOf: (0..<count).map(record))
        return store
    }

    func record(_ index: Int) -> SubmissionRecord {
        var record = Screens.record(String(format: "20270101-%06d-cafe", index), name: "run_\(index)", state: "COMPLETED", exit: 0,
                                    minutesAgo: 0)
        record.createdAt = Date(timeIntervalSince1970: 1_800_000_000 + Double(index) * 60)
        return record
    }

    /// Runs a message's effects the way EffectRunner does, inline.
    @discardableResult
    func run(_ state: inout AppState, _ message: Message, store: HistoryStore) throws -> [Effect] {
        var pending = Update.update(&state, message)
        var seen: [Effect] = []
        while !pending.isEmpty {
            let effect = pending.removeFirst()
            seen.append(effect)
            switch effect {
            case let .loadHistory(request):
                let page = try request.answer(from: store)
                pending += Update.update(&state, .historyPage(page))
                if let count = try request.count(after: page, from: store) { pending += Update.update(&state, .historyCount(count)) }
            case let .loadHistoryRecord(id):
                if let record = try store.record(id) { pending += Update.update(&state, .historyRecord(record)) }
            default: break
            }
        }
        return seen
    }

    func key(_ state: inout AppState, _ key: Key, store: HistoryStore) throws -> [Effect] {
        try run(&state, .input(.key(key)), store: store)
    }

    @Test func theListPagesAroundTheSelectionToBothEnds() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try makeStore(1000)
        var state = Screens.base(100, 30)
        _ = try key(&state, .function(3), store: store)
        #expect(state.screen == .history && state.history.total == 1000)
        #expect(state.history.window.count == HistoryState.pageSize && state.history.windowStart == 0)
        #expect(state.history.record?.spec.jobName == "run_999", "the selected record is loaded whole")
        // End: the last record, with a window that covers it.
        _ = try key(&state, .end, store: store)
        #expect(state.history.selected == 999 && state.history.selectedEntry?.jobName == "run_0")
        #expect(state.history.record?.id == record(0).id)
        let lastRow = AppView.render(state, theme: .builtIn).lines[HistoryScreen.tableArea(state).y + HistoryScreen.visibleRows(state)]
        #expect(lastRow.contains("run_0"), "the last record is drawn on the last row")
        // Paging back up never shows a row the store did not send.
        for _ in 0..<60 {
            _ = try key(&state, .pageUp, store: store)
            #expect(state.history.selectedEntry != nil, "at \(state.history.selected)")
        }
        #expect(state.history.selected == 0 && state.history.selectedEntry?.jobName == "run_999")
    }

    @Test func theSelectedRecordStaysSelectedWhenNewerOnesArrive() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try makeStore(50)
        var state = Screens.base(100, 30)
        _ = try key(&state, .function(3), store: store)
        for _ in 0..<5 { _ = try key(&state, .down, store: store) }
        let chosen = try #require(state.history.selectedEntry?.id)
        try store.insert(contentsOf: (50..<53).map(record))
        // F3 leaves History and F3 comes back to it: the list is read again.
        _ = try key(&state, .function(3), store: store)
        #expect(state.screen != .history)
        _ = try key(&state, .function(3), store: store)
        #expect(state.history.selectedEntry?.id == chosen && state.history.selected == 8 && state.history.total == 53)
        // A new filter starts at the top; a stale answer to an old request changes nothing.
        _ = try key(&state, .character("/"), store: store)
        _ = try key(&state, .character("r"), store: store)
        #expect(state.history.selected == 0)
        let old = HistoryPage(generation: state.history.generation - 1, offset: 0, entries: [], total: 0, keptAt: nil)
        _ = Update.update(&state, .historyPage(old))
        #expect(state.history.total == 53)
    }

    /// `r` pressed before the selected record has loaded is not lost: it is
    /// done when the record arrives (tmux caught a press landing in between).
    @Test func anActionPressedBeforeTheRecordLoadsIsDoneWhenItArrives() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try makeStore(3)
        var state = Screens.base(100, 30)
        _ = try key(&state, .function(3), store: store)
        let loadedRecord = try #require(state.history.record)
        state.history.selectedRecord = nil
        _ = Update.update(&state, .input(.key(.character("r"))))
        #expect(state.prompt == nil && state.notice == "loading the selected submission…")
        _ = Update.update(&state, .historyRecord(loadedRecord))
        // Not connected to its cluster: the action goes on to ask, as when pressed after loading.
        #expect(state.prompt == .connectForRecord(loadedRecord, .results), "\(String(describing: state.prompt))")
        #expect(state.history.actionOnLoad == nil)
    }

    @Test func aClickSelectsTheRowUnderThePointer() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try makeStore(200)
        for showDetails in [false, true] {
            var state = Screens.base(100, 30)
            state.history.showDetails = showDetails
            _ = try key(&state, .function(3), store: store)
            for _ in 0..<40 { _ = try key(&state, .down, store: store) }
            let screen = AppView.render(state, theme: .builtIn)
            let area = HistoryScreen.tableArea(state)
            let y = area.y + 3
            let drawn = screen.lines[y]
            _ = try run(&state, .input(.mouse(x: 5, y: y, kind: .click)), store: store)
            let name = try #require(state.history.selectedEntry?.jobName)
            #expect(drawn.contains(name + " "), "clicked \(drawn.trimmingCharacters(in: .whitespaces)), selected \(name)")
        }
    }
}
