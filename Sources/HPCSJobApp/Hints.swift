import TerminalUI

/// The hint bar and the `?` help, drawn from the key table (so a keys.conf
/// rebinding shows), for the part of the screen that has the keyboard.
enum Hints {
    /// One hint: actions shown with the keys they are bound to, or a key
    /// that only moves or types.
    enum Hint {
        case action(Action, String? = nil)
        case actions([Action], String)
        case fixed(String, String)

        func resolved(_ keys: KeyMap) -> (key: String, label: String) {
            switch self {
            case let .action(action, label): (keys.label(action), label ?? action.label)
            case let .actions(actions, label): (actions.map { keys.label($0) }.joined(separator: "/"), label)
            case let .fixed(key, label): (key, label)
            }
        }
    }

    static let globalHints: [Hint] = [.action(.help), .action(.history), .action(.jobs), .action(.quit)]

    static func forScreen(_ state: AppState, keys: KeyMap = Update.keyMap) -> [(key: String, label: String)] {
        (screenHints(state) + globalHints).map { $0.resolved(keys) }
    }

    /// The bar for a width: History and Jobs go first, then the screen's
    /// own hints from the end; next, back, help and quit always stay.
    static func bar(_ state: AppState, keys: KeyMap, width: Int) -> [(key: String, label: String)] {
        var hints = screenHints(state) + globalHints
        func essential(_ hint: Hint) -> Bool {
            if case let .action(action, _) = hint { return [.next, .previewSubmit, .back, .help, .quit].contains(action) }
            return false
        }
        func fits() -> Bool {
            hints.map { hint in let (key, label) = hint.resolved(keys); return DisplayWidth.of(key) + DisplayWidth.of(label) + 3 }
                .reduce(0, +) - 2 <= width
        }
        for dropped in [Action.jobs, .history] where !fits() {
            hints.removeAll { if case let .action(action, _) = $0 { return action == dropped } else { return false } }
        }
        while !fits(), let last = hints.lastIndex(where: { !essential($0) }) { hints.remove(at: last) }
        return hints.map { $0.resolved(keys) }
    }

    static func screenHints(_ state: AppState) -> [Hint] {
        switch state.screen {
        case .connect: return [.fixed("Enter", "connect"), .fixed("↑↓", "recent")]
        case .infoFiles:
            if state.infoFiles.typedPath != nil { return [.fixed("Enter", "open/pick"), .fixed("Esc", "cancel")] }
            return [.fixed("Enter", "open/pick"), .fixed("type", "filter"), .fixed("←", "up"), .action(.focusNext, "other file"),
                    .action(.infoTypePath), .action(.infoHome), .action(.infoVerify), .action(.next)]
        case .options:
            if state.options.picker != nil { return [.fixed("↑↓", "choose"), .fixed("Enter", "pick"), .fixed("type", "filter"), .fixed("Esc", "close")] }
            return [.fixed("Tab/↑↓", "field"), .action(.optionsChoices, "pick from the cluster's"), .action(.next), .action(.back)]
        case .runtime:
            if state.runtime.editing != nil { return [.fixed("Enter", "keep"), .fixed("Esc", "discard")] }
            var hints: [Hint] = [.action(.focusNext, "section")]
            switch state.runtime.section {
            case .arguments, .flags:
                hints += [.action(.runtimeAdd), .action(.runtimeEdit), .action(.runtimeDelete),
                          .actions([.runtimeMoveUp, .runtimeMoveDown], "move"), .action(.runtimeUndo)]
            case .template: hints.append(.fixed("←→", "template"))
            case .inputScripts, .outputScripts: break
            }
            return hints + [.action(.next, "preview"), .action(.back)]
        case .preview:
            return [.fixed("↑↓ PgUp/PgDn", "scroll"), .action(.previewEdit), .action(.previewRender), .action(.previewSubmit), .action(.back)]
        case .monitor:
            if state.monitor.searching != nil || state.monitor.browser?.searching != nil {
                return [.fixed("Enter", "search"), .fixed("Esc", "cancel")]
            }
            if state.monitor.browser?.viewing != nil {
                return [.fixed("↑↓ PgUp/PgDn", "scroll"), .action(.monitorSearch), .actions([.monitorNextMatch, .monitorPreviousMatch], "older/newer match"), .action(.monitorWrap),
                        .action(.resultsPager), .action(.resultsEditor), .action(.back, "files")]
            }
            if state.monitor.browser != nil {
                return [.fixed("↑↓", "select"), .fixed("Enter", "view"), .action(.resultsPager), .action(.resultsEditor),
                        .action(.back, "log")]
            }
            // Most needed first: narrow bars drop from the end.
            return [.action(.monitorCancel), .action(.monitorResults), .action(.monitorBrowse), .action(.monitorSearch),
                    .action(.monitorFollow), .actions([.monitorNextMatch, .monitorPreviousMatch], "older/newer match"), .action(.monitorWrap), .action(.back)]
        case .jobs:
            if state.jobs.filtering { return [.fixed("Enter", "keep filter"), .fixed("Esc", "clear")] }
            return [.action(.jobsOpen), .action(.jobsFilter), .action(.jobsState), .action(.jobsSort), .action(.jobsEnded),
                    .action(.jobsMark), .action(.jobsCancel), .action(.back)]
        case .history:
            if state.history.filtering { return [.fixed("Enter", "keep filter"), .fixed("Esc", "clear")] }
            var hints: [Hint] = [.action(.historyOpen), .action(.historyDetails), .action(.historyFilter), .action(.historyState),
                                 .action(.historyResults), .action(.historyCancel), .action(.historyResubmit)]
            if state.history.showDetails { hints.insert(.actions([.historyDetailsDown, .historyDetailsUp], "details scroll"), at: 2) }
            return hints + [.action(.back)]
        }
    }

    static func help(_ state: AppState, keys: KeyMap = Update.keyMap) -> [(key: String, label: String)] {
        let general: [Hint] = [
            .actions([.focusNext, .focusPrevious], "move between parts"), .fixed("↑↓ or j/k", "move in lists"),
            .fixed("g/G PgUp/PgDn", "top, end, pages"), .action(.back, "back / close"), .action(.next, "next step"),
            .fixed(keys.label(.screen1) + "–" + keys.label(.screen8), "go to that tab (outside text)"),
            .fixed("Alt-B/F Alt-Bksp", "word left/right/delete in text"),
            .fixed("keys.conf", "rebind any action by its name, e.g. info.verify = ctrl-v"),
        ]
        return forScreen(state, keys: keys) + general.map { $0.resolved(keys) }
    }
}
