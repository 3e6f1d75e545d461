import TerminalUI

/// Every action of the current screen, for the hint bar and the `?` help.
enum Hints {
    /// Global actions show the keys the key map binds (a user file may rebind them).
    static func forScreen(_ state: AppState, keys: KeyMap = Update.keyMap) -> [(key: String, label: String)] {
        let next = keys.label(for: "next")
        let screen: [(String, String)]
        switch state.screen {
        case .connect: screen = [("Enter", "connect"), ("↑↓", "recent")]
        case .infoFiles:
            screen = state.infoFiles.typedPath != nil ? [("Enter", "open/pick"), ("Esc", "cancel")]
                : [("Enter", "open/pick"), ("Tab", "other file"), ("/", "type path"), ("v", "verify"), (next, "next")]
        case .options: screen = [("Tab/↑↓", "field"), ("Ctrl-O", "cluster choices"), (next, "next"), ("Esc", "back")]
        case .runtime:
            screen = state.runtime.editing != nil ? [("Enter", "keep"), ("Esc", "discard")]
                : [("Tab", "section"), ("a", "add"), ("e", "edit"), ("d", "delete"), ("K/J", "move"), (next, "preview"), ("Esc", "back")]
        case .preview: screen = [("↑↓ PgUp/PgDn", "scroll"), ("e", "$EDITOR"), ("r", "re-render"), ("Enter", "submit…"), ("Esc", "back")]
        case .monitor where state.monitor.browser?.viewing != nil:
            screen = [("↑↓ PgUp/PgDn", "scroll"), ("/", "search"), ("n", "next"), ("o", "$PAGER"), ("e", "$EDITOR"), ("Esc", "files")]
        case .monitor where state.monitor.browser != nil:
            screen = [("↑↓", "select"), ("Enter", "view"), ("o", "$PAGER"), ("e", "$EDITOR"), ("Esc", "log")]
        case .monitor:
            screen = [("f", "follow"), ("w", "wrap"), ("/", "search"), ("n", "next match"), ("c", "cancel job"), ("r", "results"), ("b", "browse results"), ("Esc", "back")]
        case .jobs:
            screen = state.jobs.filtering ? [("Enter", "keep filter"), ("Esc", "clear")]
                : [("Enter", "monitor"), ("/", "filter"), ("s", "state"), ("o", "sort"), ("a", "ended too"), ("Space", "mark"),
                   ("c", "cancel"), ("Esc", "back")]
        case .history:
            screen = [("Enter", "monitor"), ("d", "details"), ("/", "filter"), ("s", "state"), ("r", "results"), ("c", "cancel"), ("N", "resubmit")]
        }
        return screen.map { (key: $0.0, label: $0.1) } + [(keys.label(for: "help"), "help"), (keys.label(for: "history"), "history"), (keys.label(for: "jobs"), "jobs"), (keys.label(for: "quit"), "quit")].map { (key: $0.0, label: $0.1) }
    }

    static func help(_ state: AppState, keys: KeyMap = Update.keyMap) -> [(key: String, label: String)] {
        forScreen(state, keys: keys) + [("Tab / S-Tab", "move between parts"), ("↑↓ or j/k", "move in lists"), ("Esc", "back / close"),
                            ("q", "quit (outside text fields)"), ("?", "this help (outside text fields)")]
            .map { (key: $0.0, label: $0.1) }
    }
}
