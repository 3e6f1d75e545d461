import Foundation
import History
import JobPreparation
import JobRuntime
import SecureShell
import TerminalUI

/// Preview: the rendered SBATCH (or the user's $EDITOR edit of it), its
/// keys, and the render and submission replies.
enum PreviewScreen {
    static func preparePreview(_ state: inout AppState) -> [Effect] {
        let spec: JobSpec
        do { spec = try state.jobDraft.spec() } catch {
            state.error = "\(error)"
            return []
        }
        guard let config = state.connect.active, state.connected, let app = state.infoFiles.fetched(.application),
              let data = state.infoFiles.fetched(.data) else {
            state.error = "connect and pick both info files first"
            return []
        }
        state.activity = Activity(label: "rendering the SBATCH", fraction: nil)
        // Until the new render arrives there is nothing to submit: never the previous spec.
        state.preview.prepared = nil
        state.screen = .preview
        return [.prepare(SubmitRequest(config: config, appInfoPath: app.remotePath, dataInfoPath: data.remotePath, spec: spec,
                                       submissionID: state.preview.draftID))]
    }

    static func key(_ state: inout AppState, _ key: Key, _ keys: KeyMap) -> [Effect]? {
        let lines = Update.previewLineCount(state)
        let page = max(1, state.size.height - 8)
        switch keys.action(for: key, among: [.previewEdit, .previewRender, .previewSubmit, .back]) {
        case .previewEdit:
            guard !state.preview.text.isEmpty else { return [] }
            return [.openEditor(state.preview.text)]
        case .previewSubmit:
            guard state.preview.prepared != nil else { state.notice = "the preview is still being rendered"; return [] }
            state.prompt = .confirmSubmit
            return []
        case .previewRender:
            if state.preview.edited { state.prompt = .discardEditAndRender; return [] }
            return preparePreview(&state)
        case .back:
            // An $EDITOR edit is never dropped without asking.
            if state.preview.edited { state.prompt = .leaveEditedPreview; return [] }
            return nil
        default: return state.preview.scroll.handle(key, lineCount: lines, page: page) ? [] : nil
        }
    }


    /// The render, an edit, the submission.
    /// (nil for a message that is another screen's)
    static func reply(_ state: inout AppState, _ message: Message) -> [Effect]? {
        switch message {
        case let .prepared(_, cluster, .success(prepared)):
            state.activity = nil
            state.preview.prepared = prepared
            state.preview.cluster = cluster
            state.preview.draftID = prepared.plan.submissionID
            // A kept edit stays what is shown and submitted until the user discards it.
            if state.preview.edited {
                state.notice = "your edited SBATCH is kept; r renders afresh (asks first)"
            } else {
                setPreview(&state, prepared.sbatch)
            }
        case let .prepared(_, _, .failure(error)):
            state.activity = nil
            state.error = "\(error)"
            // What is wrong decides where the user fixes it; a lost connection is nothing to fix in the forms.
            if error.kind == .verification || error.kind == .infoFile {
                state.screen = .infoFiles
            } else if !error.isConnection {
                state.screen = .runtime
            }
        case let .edited(text):
            if text != state.preview.text {
                setPreview(&state, text)
                state.preview.edited = true
            }
        case let .submitProgress(text):
            state.activity = Activity(label: text, fraction: nil)
        case let .submitted(.success(record)):
            state.activity = nil
            state.submissionInFlight = false
            state.draftChanged = false
            // The next job from these forms is a new draft with its own id.
            state.preview.draftID = nil
            state.preview.edited = false
            state.notice = "submitted as job \(record.jobID ?? "?")"
            return MonitorScreen.attach(&state, record)
        case let .submitted(.failure(error)):
            state.activity = nil
            state.submissionInFlight = false
            // History keeps the failed attempt under its id: a retry is a new
            // submission, so the preview is rendered again with a new one.
            state.preview.draftID = nil
            state.preview.prepared = nil
            if error.isConnection {
                // Rendering again would meet the same lost connection; History keeps the attempt and the next connection finds a queued job.
                state.error = "\(error)\n\nThe submission is kept in History; once connected again it is found if Slurm queued it, and F2 renders it afresh."
                return []
            }
            let effects = state.screen == .preview ? PreviewScreen.preparePreview(&state) : []
            state.error = "\(error)"
            return effects
        default: return nil
        }
        return []
    }

    static func setPreview(_ state: inout AppState, _ text: String) {
        let old = state.preview.text.isEmpty ? nil : state.preview.text
        state.preview.previousText = old
        state.preview.text = text
        guard let old else { state.preview.changedLines = []; return }
        let oldLines = Set(old.split(separator: "\n", omittingEmptySubsequences: false))
        state.preview.changedLines = Set(text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            .filter { !oldLines.contains($0.element) }.map(\.offset))
    }
}
