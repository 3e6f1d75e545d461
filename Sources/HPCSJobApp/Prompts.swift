import SecureShell
import TerminalUI

/// Keys while a prompt (host key, passphrase, one-time code, confirmation) is up.
enum Prompts {
    static func handle(_ state: inout AppState, _ key: Key) -> [Effect] {
        guard let prompt = state.prompt else { return [] }
        switch prompt {
        case .hostKey(let unknown, var typed):
            switch key {
            case .escape: return answer(&state, .hostKey(.refuse))
            case .enter:
                // Nothing is accepted by a key press alone, as in OpenSSH.
                let text = typed.text.trimmingCharacters(in: .whitespaces)
                switch text.lowercased() {
                case "yes": return answer(&state, .hostKey(.acceptAndRemember))
                case "once": return answer(&state, .hostKey(.acceptOnce))
                case "no": return answer(&state, .hostKey(.refuse))
                default:
                    if text == unknown.fingerprint { return answer(&state, .hostKey(.acceptAndRemember)) }
                    state.notice = "type yes (or the fingerprint) to accept, once for this connection only, no to refuse"
                }
            default:
                _ = typed.handle(key)
                state.prompt = .hostKey(unknown, answer: typed)
            }
        case .passphrase(let file, var field):
            switch key {
            case .enter: return answer(&state, .passphrase(field.text))
            case .escape: return answer(&state, .passphrase(nil))
            default:
                _ = field.handle(key)
                state.prompt = .passphrase(file: file, field: field)
            }
        case .keyboardInteractive(let challenge, var fields, var focus):
            switch key {
            case .escape: return answer(&state, .keyboardInteractive(nil))
            case .enter where focus == fields.count - 1 || fields.isEmpty:
                return answer(&state, .keyboardInteractive(fields.map(\.text)))
            case .enter, .tab, .down: focus = min(fields.count - 1, focus + 1)
            case .backTab, .up: focus = max(0, focus - 1)
            default: if fields.indices.contains(focus) { _ = fields[focus].handle(key) }
            }
            state.prompt = .keyboardInteractive(challenge, fields: fields, focus: focus)
        case .confirmQuit:
            state.prompt = nil
            if key == .character("y") || key == .enter { state.quitting = true; return [.quit] }
        case let .confirmCancel(jobID, cluster):
            state.prompt = nil
            if key == .character("y") || key == .enter { return [.cancel(jobID: jobID, on: cluster)] }
        case let .confirmCancelJobs(ids, cluster):
            state.prompt = nil
            if key == .character("y") || key == .enter {
                state.jobs.marked = []
                return [.cancelJobs(ids, on: cluster)]
            }
        case .leaveEditedPreview:
            switch key {
            case .character("k"):
                state.prompt = nil
                state.notice = "your edited SBATCH is kept for when you come back"
                Navigation.back(&state)
            case .character("d"):
                state.prompt = nil
                state.preview.edited = false
                state.preview.text = state.preview.prepared?.sbatch ?? ""
                state.preview.changedLines = []
                Navigation.back(&state)
            case .escape: state.prompt = nil
            default: break
            }
        case let .connectForRecord(record, action):
            state.prompt = nil
            guard key == .character("y") || key == .enter else { return [] }
            state.pendingRecordAction = (record, action)
            state.connect.configPath.set(record.configPath)
            state.activity = Activity(label: "connecting to \(record.cluster)", fraction: nil, startedTick: state.tick)
            state.connecting = true
            return [.loadConfig(record.configPath), .connect(record.configPath)]
        case .discardEditAndRender:
            state.prompt = nil
            if key == .character("y") {
                state.preview.edited = false
                return PreviewScreen.preparePreview(&state)
            }
        case .confirmSubmit:
            state.prompt = nil
            if key == .character("y") || key == .enter, let prepared = state.preview.prepared, let cluster = state.preview.cluster {
                state.submissionInFlight = true
                state.activity = Activity(label: "submitting", fraction: nil)
                return [.submit(prepared, edited: state.preview.edited ? state.preview.text : nil, on: cluster)]
            }
        }
        return []
    }

    static func answer(_ state: inout AppState, _ answer: PromptAnswer) -> [Effect] {
        state.prompt = nil
        return [.answerPrompt(answer)]
    }
}
