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
        if state.monitor.browser != nil { return ResultsBrowser.key(&state, key) }
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
        case .character("b"):
            guard let results = state.monitor.results else {
                state.notice = "fetch the results first (r), then b browses them"
                return []
            }
            state.monitor.browser = ResultsBrowserState(root: results.directory)
            return [.scanResults(results.directory)]
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
        default:
            _ = state.monitor.log.handle(key, page: page)
            // At the top of what is loaded, with more of the file above: read it.
            if let earliest = state.monitor.earliestOffset, !state.monitor.loadingEarlier,
               state.monitor.log.scrollBack >= state.monitor.log.lines.count - page, let path = state.monitor.record?.logPath {
                state.monitor.loadingEarlier = true
                return [.loadEarlierLog(path: path, before: earliest)]
            }
        }
        return []
    }

    static func historyKey(_ state: inout AppState, _ key: Key) -> [Effect] {
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
                _ = state.history.filter.handle(key)
                return state.history.filter.text == before ? [] : HistoryScreen.refilter(&state)
            }
        }
        if HistoryScreen.move(&state, key) { return HistoryScreen.selectionMoved(&state) }
        let entry = state.history.selectedEntry
        let record = state.history.record
        // Actions need the whole record; it follows the selection within milliseconds.
        func loaded() -> SubmissionRecord? {
            if record == nil, entry != nil { state.notice = "loading the selected submission…" }
            return record
        }
        switch key {
        case .character("/"): state.history.filtering = true
        case .character("s"):
            let states: [String?] = [nil, "PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "failed"]
            let index = states.firstIndex(of: state.history.stateFilter) ?? 0
            state.history.stateFilter = states[(index + 1) % states.count]
            return HistoryScreen.refilter(&state)
        case .character("d"), .character(" "): state.history.showDetails.toggle()
        case .escape:
            if state.history.showDetails { state.history.showDetails = false; return [] }
            Navigation.back(&state)
        case .enter, .character("m"):
            guard entry?.jobID != nil, let record = loaded() else { return [] }
            return attach(&state, record)
        case .character("r"):
            guard entry?.jobID != nil, let record = loaded() else { return [] }
            var effects = attach(&state, record)
            state.activity = Activity(label: "fetching results", fraction: 0)
            effects.append(.fetchResults(record))
            return effects
        case .character("c"):
            guard let entry, let jobID = entry.jobID, !entry.isFinished else { return [] }
            state.prompt = .confirmCancel(jobID: jobID)
        case .character("N"):
            guard let record = loaded() else { return [] }
            resubmit(&state, record)
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
