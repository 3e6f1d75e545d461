import Foundation
import History
import JobPreparation
import JobRuntime
import SecureShell
import Slurm
import TerminalUI

/// State + message → new state + effects. Pure: no I/O, no waiting.
public enum Update {
    public static let keyMap = KeyMap(defaults: [
        "help": [.function(1), .character("?")],
        "next": [.function(2), .control("n")],
        "history": [.function(3), .control("r")],
        "jobs": [.function(4)],
        "back": [.escape],
        "quit": [.control("q"), .character("q")],
        "focus-next": [.tab],
        "focus-previous": [.backTab],
    ])

    public static func update(_ state: inout AppState, _ message: Message, keys: KeyMap = keyMap) -> [Effect] {
        let screenBefore = state.screen
        var effects = dispatch(&state, message, keys: keys)
        // Leaving the Jobs view stops its polling, however it was left.
        if screenBefore == .jobs, state.screen != .jobs { effects.append(.stopWatchingJobs) }
        return effects
    }

    static func dispatch(_ state: inout AppState, _ message: Message, keys: KeyMap) -> [Effect] {
        switch message {
        case let .input(.resize(width, height)):
            state.size = (width, height)
            return []
        case let .input(.key(key)):
            return handleKey(&state, key, keys: keys)
        case let .input(.mouse(_, y, kind)):
            return handleMouse(&state, y: y, kind: kind)
        case .tick:
            state.tick += 1
            return []
        default:
            return Answers.apply(&state, message)
        }
    }

    static func handleKey(_ state: inout AppState, _ key: Key, keys: KeyMap) -> [Effect] {
        // Dismissible panels first: errors keep the user's input underneath.
        if state.error != nil {
            if key == .escape || key == .enter { state.error = nil }
            return []
        }
        if state.showHelp {
            if key == .escape || key == .character("?") || key == .function(1) || key == .enter { state.showHelp = false }
            return []
        }
        if state.prompt != nil { return Prompts.handle(&state, key) }
        let typing = state.isTyping
        let global = ["help", "next", "history", "jobs", "quit"]
        if let action = keys.action(for: key, among: global) {
            let isLetter: Bool = { if case .character = key { return true } else { return false } }()
            if !(typing && isLetter) {
                switch action {
                case "help": state.showHelp = true; return []
                case "next": return Navigation.next(&state)
                case "history":
                    state.screen = .history
                    return HistoryScreen.reload(&state)
                case "jobs":
                    return JobsScreen.enter(&state)
                case "quit":
                    if state.submissionInFlight { state.prompt = .confirmQuit; return [] }
                    state.quitting = true
                    return [.quit]
                default: break
                }
            }
        }
        switch state.screen {
        case .connect: return SetupScreens.connectKey(&state, key)
        case .infoFiles: return SetupScreens.infoKey(&state, key)
        case .options: return SetupScreens.optionsKey(&state, key)
        case .runtime: return RuntimeScreen.key(&state, key)
        case .preview: return RunScreens.previewKey(&state, key)
        case .monitor: return RunScreens.monitorKey(&state, key)
        case .history: return RunScreens.historyKey(&state, key)
        case .jobs: return JobsScreen.key(&state, key)
        }
    }

    static func handleMouse(_ state: inout AppState, y: Int, kind: MouseKind) -> [Effect] {
        switch (state.screen, kind) {
        case (.monitor, .wheelUp): _ = state.monitor.log.handle(.up, page: 1)
        case (.monitor, .wheelDown): _ = state.monitor.log.handle(.down, page: 1)
        case (.preview, .wheelUp): _ = state.preview.scroll.handle(.up, lineCount: previewLineCount(state), page: 1)
        case (.preview, .wheelDown): _ = state.preview.scroll.handle(.down, lineCount: previewLineCount(state), page: 1)
        case (.infoFiles, .click):
            let row = y - Layout.listTop
            if row >= 0 { state.infoFiles.list.selected = state.infoFiles.list.offset + row }
        case (.history, .click):
            guard let position = HistoryScreen.position(atRow: y, state) else { return [] }
            state.history.selected = position
            return HistoryScreen.selectionMoved(&state)
        case (.jobs, .click):
            guard let position = JobsScreen.position(atRow: y, state) else { return [] }
            state.jobs.selected = position
        default: break
        }
        return []
    }

    static func previewLineCount(_ state: AppState) -> Int { state.preview.text.split(separator: "\n", omittingEmptySubsequences: false).count }
}

/// Where the wizard goes next, and whether it may.
enum Navigation {
    static func next(_ state: inout AppState) -> [Effect] {
        switch state.screen {
        case .connect:
            return SetupScreens.connectKey(&state, .enter)
        case .infoFiles:
            guard let app = state.infoFiles.fetched(.application), let data = state.infoFiles.fetched(.data) else {
                state.notice = "pick both info files first (Tab switches between them)"
                return []
            }
            state.screen = .options
            if state.infoFiles.verified == nil {
                state.activity = Activity(label: "verifying SHA-512 checksums", fraction: 0)
                return [.verify([app, data]), .loadClusterChoices]
            }
            return [.loadClusterChoices]
        case .options:
            state.screen = .runtime
            return []
        case .runtime:
            return RunScreens.preparePreview(&state)
        case .preview:
            state.prompt = .confirmSubmit
            return []
        case .monitor, .history, .jobs:
            return []
        }
    }

    static func back(_ state: inout AppState) {
        switch state.screen {
        case .connect: break
        case .infoFiles: state.screen = .connect
        case .options: state.screen = .infoFiles
        case .runtime: state.screen = .options
        case .preview: state.screen = .runtime
        case .monitor, .history, .jobs: state.screen = state.connected ? .infoFiles : .connect
        }
    }
}
