import TerminalUI

/// Every action a key can start, global and per screen: the one table that
/// dispatch, the hint bar, the help and keys.conf (`info.verify = ctrl-v`)
/// all read. Keys that only move or type (arrows, Enter on a list, letters
/// in a text field) are not actions.
public enum Action: String, CaseIterable, Sendable {
    case help, next, history, jobs, back, quit
    case focusNext = "focus-next", focusPrevious = "focus-previous"
    case screen1 = "screen-1", screen2 = "screen-2", screen3 = "screen-3", screen4 = "screen-4"
    case screen5 = "screen-5", screen6 = "screen-6", screen7 = "screen-7", screen8 = "screen-8"
    case infoTypePath = "info.type-path", infoHome = "info.home", infoVerify = "info.verify"
    case optionsChoices = "options.choices"
    case runtimeAdd = "runtime.add", runtimeEdit = "runtime.edit", runtimeDelete = "runtime.delete"
    case runtimeMoveUp = "runtime.move-up", runtimeMoveDown = "runtime.move-down", runtimeUndo = "runtime.undo"
    case previewEdit = "preview.edit", previewRender = "preview.render", previewSubmit = "preview.submit"
    case monitorFollow = "monitor.follow", monitorWrap = "monitor.wrap", monitorSearch = "monitor.search"
    case monitorNextMatch = "monitor.next-match", monitorPreviousMatch = "monitor.previous-match", monitorCancel = "monitor.cancel", monitorResults = "monitor.results"
    case monitorBrowse = "monitor.browse", resultsPager = "results.pager", resultsEditor = "results.editor"
    case historyOpen = "history.open", historyDetails = "history.details", historyFilter = "history.filter"
    case historyState = "history.state", historyResults = "history.results", historyCancel = "history.cancel"
    case historyResubmit = "history.resubmit", historyDetailsDown = "history.details-down", historyDetailsUp = "history.details-up"
    case jobsOpen = "jobs.open", jobsFilter = "jobs.filter", jobsState = "jobs.state", jobsSort = "jobs.sort"
    case jobsEnded = "jobs.ended", jobsMark = "jobs.mark", jobsCancel = "jobs.cancel"

    var defaultKeys: [Key] {
        switch self {
        case .help: [.function(1), .character("?")]
        case .next: [.function(2), .control("n")]
        case .history: [.function(3), .control("r")]
        case .jobs: [.function(4)]
        case .back: [.escape]
        case .quit: [.control("q"), .character("q")]
        case .focusNext: [.tab]
        case .focusPrevious: [.backTab]
        case .screen1, .screen2, .screen3, .screen4, .screen5, .screen6, .screen7, .screen8:
            [.character(Character(String((screen?.rawValue ?? 0) + 1)))]
        case .infoTypePath: [.character("/"), .character(":")]
        case .infoHome: [.character("~")]
        case .infoVerify: [.control("v")]
        case .optionsChoices: [.control("o")]
        case .runtimeAdd: [.character("a"), .character("i")]
        case .runtimeEdit: [.character("e"), .enter]
        case .runtimeDelete: [.character("d"), .delete]
        case .runtimeMoveUp: [.character("K")]
        case .runtimeMoveDown: [.character("J")]
        case .runtimeUndo: [.character("u")]
        case .previewEdit: [.character("e")]
        case .previewRender: [.character("r")]
        case .previewSubmit: [.enter]
        case .monitorFollow: [.character("f")]
        case .monitorWrap: [.character("w")]
        case .monitorSearch, .historyFilter, .jobsFilter: [.character("/")]
        case .monitorNextMatch: [.character("n")]
        case .monitorPreviousMatch: [.character("N")]
        case .monitorCancel, .historyCancel, .jobsCancel: [.character("c")]
        case .monitorResults, .historyResults: [.character("r")]
        case .monitorBrowse: [.character("b")]
        case .resultsPager: [.character("o")]
        case .resultsEditor: [.character("e")]
        case .historyOpen: [.enter, .character("m")]
        case .jobsOpen: [.enter]
        case .historyDetails: [.character("d"), .character(" ")]
        case .historyState, .jobsState: [.character("s")]
        case .historyResubmit: [.character("N")]
        case .historyDetailsDown: [.control("d")]
        case .historyDetailsUp: [.control("u")]
        case .jobsSort: [.character("o")]
        case .jobsEnded: [.character("a")]
        case .jobsMark: [.character(" ")]
        }
    }

    /// What the hint bar and the help call it.
    var label: String {
        switch self {
        case .help: "help"
        case .next: "next"
        case .history: "history"
        case .jobs: "jobs"
        case .back: "back"
        case .quit: "quit"
        case .focusNext: "next part"
        case .focusPrevious: "previous part"
        case .screen1, .screen2, .screen3, .screen4, .screen5, .screen6, .screen7, .screen8:
            "go to " + (screen?.title ?? "")
        case .infoTypePath: "type path"
        case .infoHome: "home folder"
        case .infoVerify: "verify"
        case .optionsChoices: "cluster choices"
        case .runtimeAdd: "add"
        case .runtimeEdit: "edit"
        case .runtimeDelete: "delete"
        case .runtimeMoveUp: "move up"
        case .runtimeMoveDown: "move down"
        case .runtimeUndo: "undo delete"
        case .previewEdit: "$EDITOR"
        case .previewRender: "re-render"
        case .previewSubmit: "submit…"
        case .monitorFollow: "follow"
        case .monitorWrap: "wrap"
        case .monitorSearch, .historyFilter, .jobsFilter: self == .monitorSearch ? "search" : "filter"
        case .monitorNextMatch: "older match"
        case .monitorPreviousMatch: "newer match"
        case .monitorCancel, .historyCancel, .jobsCancel: "cancel job"
        case .monitorResults, .historyResults: "results"
        case .monitorBrowse: "browse results"
        case .resultsPager: "$PAGER"
        case .resultsEditor: "$EDITOR"
        case .historyOpen, .jobsOpen: "monitor"
        case .historyDetails: "details"
        case .historyState, .jobsState: "state"
        case .historyResubmit: "resubmit"
        case .historyDetailsDown: "details down"
        case .historyDetailsUp: "details up"
        case .jobsSort: "sort"
        case .jobsEnded: "ended too"
        case .jobsMark: "mark"
        }
    }

    /// The screen a `screen-N` action goes to.
    var screen: Screen? {
        let all: [Action] = [.screen1, .screen2, .screen3, .screen4, .screen5, .screen6, .screen7, .screen8]
        return all.firstIndex(of: self).flatMap { Screen(rawValue: $0) }
    }

    static let screenActions: [Action] = allCases.filter { $0.screen != nil }

    static var defaultMap: KeyMap {
        KeyMap(defaults: Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0.defaultKeys) }))
    }
}

extension KeyMap {
    /// The first of `actions` that `key` is bound to.
    func action(for key: Key, among actions: [Action]) -> Action? {
        actions.first { keys(for: $0.rawValue).contains(key) }
    }

    func matches(_ key: Key, _ action: Action) -> Bool { keys(for: action.rawValue).contains(key) }

    /// The keys of an action as the hint bar shows them (`/ :`, `F2`).
    func label(_ action: Action) -> String {
        let bound = keys(for: action.rawValue)
        return bound.isEmpty ? "unbound" : KeyMap.label(bound[0])
    }
}
