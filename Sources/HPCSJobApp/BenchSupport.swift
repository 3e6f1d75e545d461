import Foundation
import TerminalUI

/// Entry points for `hpcs-bench ui`: the same update and view the runtime uses.
public enum HPCSJobAppBenchSupport {
    public static func monitorState(width: Int, height: Int) -> AppState {
        var state = AppState()
        state.size = (width, height)
        state.screen = .monitor
        state.monitor.following = true
        return state
    }

    /// One frame as the runtime does it: the key first, then a bounded
    /// amount of queued log, then the render. Returns bytes still queued.
    public static func frame(_ state: inout AppState, queue: inout LogQueue, arriving data: Data, key character: Character) -> Int {
        queue.feeder.enqueue(data)
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
}
