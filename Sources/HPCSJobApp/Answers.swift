import Foundation
import JobPreparation
import JobRuntime
import Slurm
import TerminalUI

/// Messages from effects → state (+ follow-up effects). Each screen applies
/// the replies it asked for (its `reply`); what is left here belongs to the
/// whole application: prompts, open clusters, notices and errors.
enum Answers {
    static func apply(_ state: inout AppState, _ message: Message) -> [Effect] {
        let screens: [(inout AppState, Message) -> [Effect]?] = [
            SetupScreens.reply, OptionsForm.reply, PreviewScreen.reply, MonitorScreen.reply, HistoryScreen.reply, JobsScreen.reply,
        ]
        for reply in screens {
            if let effects = reply(&state, message) { return effects }
        }
        switch message {
        case let .prompt(prompt):
            // Questions wait their turn: one asked while another is open is never lost.
            if state.prompt == nil { state.prompt = prompt } else { state.queuedPrompts.append(prompt) }
        case let .openClusters(names):
            state.connect.openClusters = names
        case let .cancelResult(text):
            state.notice = text
        case let .notOpen(cluster, action):
            state.activity = nil
            state.error = "\(action) was not done: this session has no connection to \(cluster). "
                + "Open its submission in History (it offers to connect), then try again."
        case let .failed(text):
            state.activity = nil
            state.connecting = false
            state.error = text
        case let .notice(text):
            state.notice = text
        default:
            break
        }
        return []
    }
}
