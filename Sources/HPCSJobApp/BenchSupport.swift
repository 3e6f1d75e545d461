import Foundation
import History
import TerminalUI

/// Entry points for `hpcs-bench ui`: the same update and view the runtime uses.
public enum HPCSJobAppBenchSupport {
    public static func monitorState(width: Int, height: Int) -> AppState {
        var state = AppState()
        state.size = (width, height)
        state.screen = .monitor
        state.monitor.following = true
        _ = state.tickets.issue(.monitor)
        return state
    }

    /// One frame as the runtime does it: the key first, then a bounded
    /// amount of queued log, then the render. Returns bytes still queued.
    public static func frame(_ state: inout AppState, queue: inout LogQueue, arriving data: Data, key character: Character) -> Int {
        queue.feeder.enqueue(data, ticket: state.tickets.current(.monitor))
        _ = Update.update(&state, .input(.key(.character(character))))
        _ = queue.feeder.feed(&state, budget: .milliseconds(10))
        _ = render(state)
        return queue.feeder.queuedBytes
    }

    public struct LogQueue {
        var feeder = LogFeeder()
        public init() {}
    }

    static func render(_ state: AppState) -> CellBuffer { AppView.render(state, theme: .builtIn) }

    /// History as the TUI shows it, with the store's answers run inline
    /// (the runtime runs them off the loop; the work is the same).
    public static func historyState(width: Int, height: Int) -> AppState {
        var state = AppState()
        state.size = (width, height)
        return state
    }

    /// One key on the History screen through update, the store and a render:
    /// returns the seconds until the changed list is drawn, then lets the
    /// count and the selected record arrive (as they do, after the list).
    @discardableResult
    public static func historyKey(_ state: inout AppState, _ key: Key, store: HistoryStore) throws -> Double {
        let start = ContinuousClock.now
        var pending = Update.update(&state, .input(.key(key)))
        // What the runner sends after the page: the count, the selected record.
        var later: [() throws -> Message?] = []
        while !pending.isEmpty {
            let effect = pending.removeFirst()
            switch effect {
            case let .loadHistory(request):
                let page = try request.answer(from: store)
                pending += Update.update(&state, .historyPage(page))
                later.append { try request.count(after: page, from: store).map(Message.historyCount) }
            case let .loadHistoryRecord(id):
                later.append { try store.record(id).map(Message.historyRecord) }
            default: break
            }
        }
        _ = render(state)
        let elapsed = ContinuousClock.now - start
        for work in later { if let message = try work() { _ = Update.update(&state, message) } }
        _ = render(state)
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    public static func historySummary(_ state: AppState) -> (total: Int, selected: String?) {
        (state.history.total, state.history.selectedEntry?.id)
    }
}
