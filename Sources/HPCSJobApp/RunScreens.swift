import Foundation
import History
import JobPreparation
import JobRuntime
import TerminalUI

/// Preview, Monitor and History: keys → state + effects.
enum RunScreens {
    static func preparePreview(_ state: inout AppState) -> [Effect] {
        if let problem = state.spec.problems().first {
            state.error = "\(problem)"
            return []
        }
        guard let config = state.connect.config, let app = state.infoFiles.fetched(.application),
              let data = state.infoFiles.fetched(.data) else {
            state.error = "connect and pick both info files first"
            return []
        }
        state.activity = Activity(label: "rendering the SBATCH", fraction: nil)
        state.screen = .preview
        return [.prepare(SubmitRequest(config: config, appInfoPath: app.remotePath, dataInfoPath: data.remotePath, spec: state.spec))]
    }

    static func previewKey(_ state: inout AppState, _ key: Key) -> [Effect] {
        let lines = Update.previewLineCount(state)
        let page = max(1, state.size.height - 8)
        switch key {
        case .escape: Navigation.back(&state)
        case .character("e"):
            guard !state.preview.text.isEmpty else { return [] }
            return [.openEditor(state.preview.text)]
        case .enter:
            guard state.preview.prepared != nil else { return [] }
            state.prompt = .confirmSubmit
        case .character("r"): return preparePreview(&state)
        default: _ = state.preview.scroll.handle(key, lineCount: lines, page: page)
        }
        return []
    }

    static func monitorKey(_ state: inout AppState, _ key: Key) -> [Effect] {
        if var search = state.monitor.searching {
            switch key {
            case .enter:
                state.monitor.log.search = search.text
                state.monitor.searching = nil
                state.monitor.log.findPrevious()
            case .escape: state.monitor.searching = nil
            default:
                _ = search.handle(key)
                state.monitor.searching = search
            }
            return []
        }
        let page = max(1, state.size.height - 12)
        switch key {
        case .escape:
            Navigation.back(&state)
            return [.stopMonitor]
        case .character("/"): state.monitor.searching = TextFieldState(state.monitor.log.search ?? "")
        case .character("n"): state.monitor.log.findPrevious()
        case .character("c"):
            guard let jobID = state.monitor.record?.jobID, state.monitor.status?.state.isTerminal != true else { return [] }
            state.prompt = .confirmCancel(jobID: jobID)
        case .character("r"):
            guard let record = state.monitor.record, state.monitor.status?.state.isTerminal == true else {
                state.notice = "results can be fetched once the job has ended"
                return []
            }
            state.activity = Activity(label: "fetching results", fraction: 0)
            return [.fetchResults(record)]
        default: _ = state.monitor.log.handle(key, page: page)
        }
        return []
    }

    static func historyKey(_ state: inout AppState, _ key: Key) -> [Effect] {
        var history = state.history
        defer { state.history = history }
        if history.filtering {
            switch key {
            case .enter, .escape:
                history.filtering = false
                return [.loadHistory(HistoryFilter(text: history.filter.text, state: history.stateFilter))]
            default:
                _ = history.filter.handle(key)
                return [.loadHistory(HistoryFilter(text: history.filter.text, state: history.stateFilter))]
            }
        }
        let record = history.records.indices.contains(history.selected) ? history.records[history.selected] : nil
        switch key {
        case .up, .character("k"): history.selected = max(0, history.selected - 1)
        case .down, .character("j"): history.selected = min(max(0, history.records.count - 1), history.selected + 1)
        case .home: history.selected = 0
        case .end: history.selected = max(0, history.records.count - 1)
        case .character("/"): history.filtering = true
        case .character("s"):
            let states: [String?] = [nil, "PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "failed"]
            let index = states.firstIndex(of: history.stateFilter) ?? 0
            history.stateFilter = states[(index + 1) % states.count]
            return [.loadHistory(HistoryFilter(text: history.filter.text, state: history.stateFilter))]
        case .character("d"), .character(" "): history.showDetails.toggle()
        case .escape:
            if history.showDetails { history.showDetails = false; return [] }
            state.history = history
            Navigation.back(&state)
            history = state.history
        case .enter, .character("m"):
            guard let record, record.jobID != nil else { return [] }
            return attach(&state, record)
        case .character("r"):
            guard let record, record.jobID != nil else { return [] }
            state.history = history
            var effects = attach(&state, record)
            state.activity = Activity(label: "fetching results", fraction: 0)
            effects.append(.fetchResults(record))
            history = state.history
            return effects
        case .character("c"):
            guard let record, let jobID = record.jobID, !record.isFinished else { return [] }
            state.prompt = .confirmCancel(jobID: jobID)
        case .character("N"):
            guard let record else { return [] }
            state.history = history
            resubmit(&state, record)
            history = state.history
        default: break
        }
        return []
    }

    static func attach(_ state: inout AppState, _ record: SubmissionRecord) -> [Effect] {
        state.monitor = MonitorState()
        state.monitor.log = LogViewState(capacity: state.logCapacity)
        state.monitor.record = record
        state.screen = .monitor
        return [.monitor(record)]
    }

    /// Opens the wizard pre-filled with a past submission.
    static func resubmit(_ state: inout AppState, _ record: SubmissionRecord) {
        let spec = record.spec
        let values = [spec.jobName, String(spec.nodes), spec.partition, spec.time, spec.account ?? "", spec.nodelist, spec.workdir]
        for (index, value) in values.enumerated() { state.options.fields[index].set(value) }
        state.runtime.arguments = spec.applicationArguments
        state.runtime.argumentList.items = spec.applicationArguments
        state.runtime.flags = spec.singularityFlags
        state.runtime.flagList.items = spec.singularityFlags
        state.runtime.inputScripts.set(spec.inputScriptsDir ?? "")
        state.runtime.outputScripts.set(spec.outputScriptsDir ?? "")
        state.runtime.template = state.runtime.templates.firstIndex(of: spec.template) ?? 0
        if let app = record.appInfo { state.infoFiles.fetched[InfoRole.application.rawValue] = FetchedInfo(remotePath: record.appInfoPath, info: app) }
        if let data = record.dataInfo { state.infoFiles.fetched[InfoRole.data.rawValue] = FetchedInfo(remotePath: record.dataInfoPath, info: data) }
        state.infoFiles.verified = nil
        state.notice = "resubmitting \(record.id) as a new job: check the options"
        state.screen = state.connected ? .options : .connect
        if !state.connected { state.connect.configPath.set(record.configPath) }
    }
}
