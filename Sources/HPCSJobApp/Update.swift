import Foundation
import History
import JobPreparation
import JobRuntime
import SecureShell
import Slurm
import TerminalUI

/// State + message → new state + effects. Pure: no I/O, no waiting.
public enum Update {
    /// Every action's default keys; keys.conf patches this.
    public static let keyMap = Action.defaultMap

    public static func update(_ state: inout AppState, _ message: Message, keys: KeyMap = keyMap) -> [Effect] {
        // Each reply answers the latest request of its kind: the effects run
        // concurrently, and an older one arriving last must not win; nor may
        // anything about a job the Monitor no longer shows.
        if let ticket = message.ticket, !state.tickets.isCurrent(ticket) {
            dropped(&state, message)
            return []
        }
        let screenBefore = state.screen
        let draftBefore = message.mayChangeDraft ? state.draft : nil
        let noticeBefore = state.notice
        var effects = dispatch(&state, message, keys: keys)
        // A notice belongs to the screen it was raised on, for a few seconds.
        if state.notice != nil, state.notice == noticeBefore {
            if state.screen != screenBefore { state.notice = nil }
            if case .tick = message, state.tick - state.noticeSince > AppState.noticeTicks { state.notice = nil }
        }
        // Leaving the Jobs view stops its polling, however it was left.
        if screenBefore == .jobs, state.screen != .jobs { effects.append(.stopWatchingJobs) }
        // History refreshes its unfinished jobs' states while shown (and connected).
        if screenBefore != .history, state.screen == .history, state.connected { effects.append(.watchHistory) }
        if screenBefore == .history, state.screen != .history { effects.append(.stopWatchingHistory) }
        if state.screen.isWizard {
            state.lastWizardScreen = state.screen
            state.returnTo = []
        }
        if let draftBefore, draftBefore != state.draft { state.draftChanged = true }
        if state.prompt == nil, !state.queuedPrompts.isEmpty { state.prompt = state.queuedPrompts.removeFirst() }
        // Requests get their tickets (and the wizard's the active cluster) last, once all are known.
        for index in effects.indices { effects[index].issue(&state.tickets, active: state.connect.connectedTo) }
        // Scrolling is decided here, not in the view, so a click hits the row drawn.
        if state.screen == .infoFiles { state.infoFiles.list.scroll(toShow: Layout.infoList(state.size).height) }
        return effects
    }

    /// A stale reply changes nothing, but a spinner it was to stop stops
    /// (the request that replaced it shows its own).
    static func dropped(_ state: inout AppState, _ message: Message) {
        switch message {
        case .verified: if state.activity?.label == SetupScreens.verifying { state.activity = nil }
        case let .monitor(_, reply): MonitorScreen.dropped(&state, reply)
        default: break
        }
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

    /// Open panels first, then the screen (which uses what it needs: a text
    /// field takes every letter), then the global bindings get the rest.
    static func handleKey(_ state: inout AppState, _ key: Key, keys: KeyMap) -> [Effect] {
        // Dismissible panels first: errors keep the user's input underneath.
        if state.error != nil {
            if key == .escape || key == .enter { state.error = nil }
            return []
        }
        if state.showHelp {
            switch key {
            case .down, .character("j"): state.helpTop += 1
            case .up, .character("k"): state.helpTop = max(0, state.helpTop - 1)
            case .pageDown, .character(" "): state.helpTop += max(1, state.size.height - 8)
            case .pageUp: state.helpTop = max(0, state.helpTop - max(1, state.size.height - 8))
            default:
                if key == .enter || keys.action(for: key, among: [.help, .back]) != nil { state.showHelp = false }
            }
            let body = Rect(x: 0, y: 0, width: state.size.width, height: state.size.height)
            state.helpTop = min(state.helpTop, HelpOverlay.maximumTop(entries: Hints.help(state, keys: keys).count, area: body))
            return []
        }
        if state.prompt != nil { return Prompts.handle(&state, key) }
        if let effects = screenKey(&state, key, keys: keys) { return effects }
        return globalKey(&state, key, keys: keys)
    }

    /// The screen's answer; nil when it did not use the key.
    static func screenKey(_ state: inout AppState, _ key: Key, keys: KeyMap) -> [Effect]? {
        switch state.screen {
        case .connect: SetupScreens.connectKey(&state, key, keys)
        case .infoFiles: SetupScreens.infoKey(&state, key, keys)
        case .options: OptionsForm.key(&state, key, keys)
        case .runtime: RuntimeScreen.key(&state, key, keys)
        case .preview: PreviewScreen.key(&state, key, keys)
        case .monitor: MonitorScreen.key(&state, key, keys)
        case .history: HistoryActions.historyKey(&state, key, keys)
        case .jobs: JobsScreen.key(&state, key, keys)
        }
    }

    static let globalActions: [Action] = [.help, .next, .history, .jobs, .back, .quit] + Action.screenActions

    static func globalKey(_ state: inout AppState, _ key: Key, keys: KeyMap) -> [Effect] {
        guard let action = keys.action(for: key, among: globalActions) else { return [] }
        switch action {
        case .help:
            state.showHelp = true
            state.helpTop = 0
        case .next: return Navigation.next(&state)
        case .history:
            // The same key leaves History again, to where the user came from.
            if state.screen == .history { Navigation.back(&state); return [] }
            return Navigation.go(&state, to: .history)
        case .jobs: return Navigation.go(&state, to: .jobs)
        case .back: Navigation.back(&state)
        case .quit: return quit(&state)
        default:
            if let screen = action.screen { return Navigation.go(&state, to: screen) }
        }
        return []
    }

    /// Quits, asking first when something would be lost.
    static func quit(_ state: inout AppState) -> [Effect] {
        if state.submissionInFlight {
            state.prompt = .confirmQuit(reason: "A submission is in flight. Quit anyway? Its history record is kept "
                + "and the next start finds the job again.")
            return []
        }
        if state.draftChanged {
            state.prompt = .confirmQuit(reason: "The job being prepared (info files, options, runtime, edits) has not "
                + "been submitted and would be lost. Quit anyway?")
            return []
        }
        state.quitting = true
        return [.quit]
    }

    static func handleMouse(_ state: inout AppState, y: Int, kind: MouseKind) -> [Effect] {
        switch (state.screen, kind) {
        case (.monitor, .wheelUp): _ = state.monitor.log.handle(.up, page: 1)
        case (.monitor, .wheelDown): _ = state.monitor.log.handle(.down, page: 1)
        case (.preview, .wheelUp): _ = state.preview.scroll.handle(.up, lineCount: previewLineCount(state), page: 1)
        case (.preview, .wheelDown): _ = state.preview.scroll.handle(.down, lineCount: previewLineCount(state), page: 1)
        case (.infoFiles, .click):
            let list = Layout.infoList(state.size)
            let row = y - list.y
            if row >= 0, row < list.height, state.infoFiles.list.offset + row < state.infoFiles.list.visible.count {
                state.infoFiles.list.selected = state.infoFiles.list.offset + row
            }
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
            return SetupScreens.connectKey(&state, .enter, Update.keyMap) ?? []
        case .infoFiles:
            guard let app = state.infoFiles.fetched(.application), let data = state.infoFiles.fetched(.data) else {
                state.notice = "pick both info files first (Tab switches between them)"
                return []
            }
            state.screen = .options
            if state.infoFiles.verified == nil {
                state.activity = Activity(label: SetupScreens.verifying, fraction: 0)
                return [.verify([app, data]), SetupScreens.loadChoices(state)]
            }
            return [SetupScreens.loadChoices(state)]
        case .options:
            if OptionsForm.leave(&state) { state.screen = .runtime }
            return []
        case .runtime:
            return PreviewScreen.preparePreview(&state)
        case .preview:
            state.prompt = .confirmSubmit
            return []
        case .monitor, .history, .jobs:
            return []
        }
    }

    /// Esc: the previous wizard step, or from Monitor, History and Jobs back
    /// to where the user came from.
    static func back(_ state: inout AppState) {
        switch state.screen {
        case .connect: break
        case .infoFiles: state.screen = .connect
        case .options: state.screen = .infoFiles
        case .runtime: state.screen = .options
        case .preview: state.screen = .runtime
        case .monitor, .history, .jobs:
            state.screen = state.returnTo.popLast() ?? (state.connected ? max(state.lastWizardScreen, .infoFiles) : .connect)
        }
    }

    /// Opens Monitor, History or Jobs, remembering where Esc returns to.
    static func open(_ state: inout AppState, _ screen: Screen) {
        guard state.screen != screen else { return }
        if let earlier = state.returnTo.firstIndex(of: screen) {
            // Back to a screen already on the way: what came after it is done.
            state.returnTo.removeSubrange(earlier...)
        } else {
            state.returnTo = Array((state.returnTo + [state.screen]).suffix(8))
        }
        state.screen = screen
    }

    /// A number key or F3/F4: any screen, through the wizard's own checks
    /// when it goes forward (both info files, verification, a valid job).
    static func go(_ state: inout AppState, to target: Screen) -> [Effect] {
        guard target != state.screen else { return [] }
        switch target {
        case .connect:
            state.screen = .connect
            return []
        case .monitor:
            guard let record = state.monitor.record else {
                state.notice = "no job to watch yet: submit one, or open one from History or Jobs"
                return []
            }
            if state.monitor.watching { open(&state, .monitor); return [] }
            return MonitorScreen.attach(&state, record)
        case .history:
            open(&state, .history)
            return HistoryScreen.reload(&state)
        case .jobs:
            return JobsScreen.enter(&state)
        case .infoFiles, .options, .runtime, .preview:
            guard state.connected else {
                state.notice = "connect first: Enter on Connect"
                return []
            }
            let from = max(state.screen.isWizard ? state.screen : state.lastWizardScreen, .infoFiles)
            state.screen = from
            var effects: [Effect] = []
            while state.screen < target {
                let before = state.screen
                effects += next(&state)
                if state.screen == before || state.error != nil || state.prompt != nil { break }
            }
            if state.screen > target { state.screen = target }
            return effects
        }
    }
}
