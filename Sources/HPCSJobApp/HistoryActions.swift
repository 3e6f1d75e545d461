import Foundation
import History
import JobPreparation
import JobRuntime
import TerminalUI

/// History's keys and its actions on a record (on the record's own cluster).
enum HistoryActions {
    static func historyKey(_ state: inout AppState, _ key: Key, _ keys: KeyMap) -> [Effect]? {
        if state.history.filtering {
            switch key {
            case .enter: state.history.filtering = false; return []
            case .escape:
                state.history.filtering = false
                guard !state.history.filter.text.isEmpty else { return [] }
                state.history.filter = TextFieldState()
                return HistoryScreen.refilter(&state)
            default:
                let before = state.history.filter.text
                guard state.history.filter.handle(key) else { return nil }
                return state.history.filter.text == before ? [] : HistoryScreen.refilter(&state)
            }
        }
        if HistoryScreen.move(&state, key) { return HistoryScreen.selectionMoved(&state) }
        let entry = state.history.selectedEntry
        let record = state.history.record
        // Actions need the whole record; it follows the selection within
        // milliseconds. One pressed before it arrives is done when it does.
        func loaded(then action: RecordAction? = nil) -> SubmissionRecord? {
            if record == nil, let entry {
                state.notice = "loading the selected submission…"
                if let action { state.history.actionOnLoad = HistoryState.PendingAction(id: entry.id, action: action) }
            }
            return record
        }
        let actions: [Action] = [.back, .historyFilter, .historyState, .historyDetails, .historyOpen, .historyResults,
                                 .historyCancel, .historyResubmit, .historyDetailsDown, .historyDetailsUp]
        switch keys.action(for: key, among: actions) {
        case .historyFilter: state.history.filtering = true
        case .historyState:
            let states: [String?] = [nil, "PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "failed"]
            let index = states.firstIndex(of: state.history.stateFilter) ?? 0
            state.history.stateFilter = states[(index + 1) % states.count]
            return HistoryScreen.refilter(&state)
        case .historyDetails: state.history.showDetails.toggle()
        case let action? where action == .historyDetailsDown || action == .historyDetailsUp:
            guard state.history.showDetails else { state.notice = "\(keys.label(.historyDetails)) shows the details first"; return [] }
            let step = max(1, state.size.height / 4)
            // Bounded by the record's length, so going back up never takes extra presses.
            let lines = (state.history.record?.sbatchText?.split(separator: "\n").count ?? 0) + 8
            state.history.detailsTop = max(0, min(lines - step, state.history.detailsTop + (action == .historyDetailsUp ? -step : step)))
        case .back:
            // Esc closes the details, then clears a filter, then leaves.
            if state.history.showDetails { state.history.showDetails = false; return [] }
            if !state.history.filter.text.isEmpty {
                state.history.filter = TextFieldState()
                return HistoryScreen.refilter(&state)
            }
            return nil
        case .historyOpen:
            guard entry?.jobID != nil, let record = loaded(then: .monitor) else { return [] }
            return act(&state, .monitor, on: record)
        case .historyResults:
            guard entry?.jobID != nil, let record = loaded(then: .results) else { return [] }
            return act(&state, .results, on: record)
        case .historyCancel:
            guard let entry, let jobID = entry.jobID else { return [] }
            if entry.isFinished { state.notice = "job \(jobID) has ended: nothing to cancel"; return [] }
            guard let record = loaded(then: .cancel) else { return [] }
            return act(&state, .cancel, on: record)
        case .historyResubmit:
            // A new job on the record's own cluster: with another active, it is connected (or switched) to first.
            guard let record = loaded() else { return [] }
            return act(&state, .resubmit, on: record)
        default: return key == .enter ? [] : nil
        }
        return []
    }

    /// A History action, on the record's own cluster: when this session is
    /// not connected there, it offers to connect (with the record's config).
    static func act(_ state: inout AppState, _ action: RecordAction, on record: SubmissionRecord) -> [Effect] {
        guard state.connected, state.connect.connectedTo == record.cluster else {
            state.prompt = .connectForRecord(record, action)
            return []
        }
        switch action {
        case .monitor: return MonitorScreen.attach(&state, record)
        case .results:
            var effects = MonitorScreen.attach(&state, record)
            state.activity = Activity(label: MonitorScreen.fetchingResults, fraction: 0)
            effects.append(.fetchResults(record))
            return effects
        case .cancel:
            guard let jobID = record.jobID else { return [] }
            state.prompt = .confirmCancel(jobID: jobID, on: record.cluster)
            return []
        case .resubmit:
            resubmit(&state, record)
            return []
        }
    }

    /// Opens the wizard pre-filled with a past submission.
    static func resubmit(_ state: inout AppState, _ record: SubmissionRecord) {
        let draft = JobDraft(record.spec)
        let values: [(OptionField, String)] = [(.jobName, draft.jobName), (.nodes, draft.nodes), (.partition, draft.partition),
                                               (.time, draft.time), (.account, draft.account), (.nodeList, draft.nodelist),
                                               (.workdir, draft.workdir)]
        for (field, value) in values { state.options[field].set(value) }
        state.runtime.arguments = draft.applicationArguments
        state.runtime.argumentList.items = draft.applicationArguments
        state.runtime.flags = draft.singularityFlags
        state.runtime.flagList.items = draft.singularityFlags
        state.runtime.inputScripts.set(draft.inputScriptsDir)
        state.runtime.outputScripts.set(draft.outputScriptsDir)
        state.runtime.template = state.runtime.templates.firstIndex(of: draft.template) ?? 0
        if let app = record.appInfo { state.infoFiles.fetched[InfoRole.application.rawValue] = FetchedInfo(remotePath: record.appInfoPath, info: app) }
        if let data = record.dataInfo { state.infoFiles.fetched[InfoRole.data.rawValue] = FetchedInfo(remotePath: record.dataInfoPath, info: data) }
        state.infoFiles.verified = nil
        state.notice = "resubmitting \(record.id) as a new job on \(record.cluster): check the options"
        state.screen = .options
    }
}
