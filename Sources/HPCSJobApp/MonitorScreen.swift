import Foundation
import History
import JobPreparation
import JobRuntime
import SecureShell
import Slurm
import TerminalUI

/// The Monitor: one job's status and log pane, its search, its results
/// browser and file view. Its state, keys and replies are here, its view in
/// MonitorView; every reply carries the ticket of the job it is about, so
/// nothing of job A reaches job B once B is attached.
public struct MonitorState: Sendable {
    public var record: SubmissionRecord?
    public var status: JobStatus?
    /// How the finished job used its allocation (from accounting).
    public var efficiency: JobEfficiency?
    /// The results' files, when the user browses them.
    public var browser: ResultsBrowserState?
    /// Where in the remote log the view's first line begins, when it started
    /// at the end of a large log; scrolling up to it reads earlier lines.
    public var earliestOffset: Int64?
    public var loadingEarlier = false
    public var log = LogViewState()
    public var step: (number: Int, total: Int, text: String)?
    public var reconnects = 0
    public var following = false
    /// Whether the status poll and log follow run (until Esc leaves the Monitor).
    public var watching = false
    public var searching: TextFieldState?
    public var searchMatch: SearchMatch?
    public var results: JobResults?
    public var resultsError: String?
}

enum MonitorScreen {
    /// Watches a record's job (on its own cluster): a new ticket, a fresh
    /// pane; whatever of the previous job is still on its way is dropped.
    static func attach(_ state: inout AppState, _ record: SubmissionRecord) -> [Effect] {
        if state.activity?.label == fetchingResults { state.activity = nil }
        state.monitor = MonitorState()
        state.monitor.log = LogViewState(capacity: state.logCapacity)
        state.monitor.record = record
        state.monitor.watching = true
        Navigation.open(&state, .monitor)
        return [.monitor(record)]
    }

    static let fetchingResults = "fetching results"

    static func key(_ state: inout AppState, _ key: Key, _ keys: KeyMap) -> [Effect]? {
        if state.monitor.browser != nil { return ResultsBrowser.key(&state, key, keys) }
        if var search = state.monitor.searching {
            switch key {
            case .enter:
                state.monitor.searching = nil
                (state.monitor.searchMatch, state.notice) = PaneSearch.start(&state.monitor.log, query: search.text)
            case .escape: state.monitor.searching = nil
            default:
                guard search.handle(key) else { return nil }
                state.monitor.searching = search
            }
            return []
        }
        let page = max(1, state.size.height - 12)
        let actions: [Action] = [.back, .monitorFollow, .monitorWrap, .monitorSearch, .monitorNextMatch, .monitorPreviousMatch, .monitorBrowse,
                                 .monitorCancel, .monitorResults]
        switch keys.action(for: key, among: actions) {
        case .back:
            // Leaving with Esc stops watching; other ways out keep it running.
            state.monitor.watching = false
            Navigation.back(&state)
            return [.stopMonitor]
        case .monitorFollow: state.monitor.log.toggleFollow()
        case .monitorWrap: state.monitor.log.wrap.toggle()
        case .monitorSearch: state.monitor.searching = TextFieldState()
        case .monitorNextMatch, .monitorPreviousMatch:
            (state.monitor.searchMatch, state.notice) = PaneSearch.step(&state.monitor.log, older: keys.matches(key, .monitorNextMatch))
        case .monitorBrowse:
            guard let results = state.monitor.results else {
                state.notice = "fetch the results first (\(keys.label(.monitorResults))), then \(keys.label(.monitorBrowse)) browses them"
                return []
            }
            state.monitor.browser = ResultsBrowserState(root: results.directory)
            return [.scanResults(results.directory)]
        case .monitorCancel:
            guard let jobID = state.monitor.record?.jobID else { state.notice = "this submission has no Slurm job to cancel"; return [] }
            if let status = state.monitor.status, status.state.isTerminal {
                state.notice = "job \(jobID) has ended (\(status.state.rawValue)): nothing to cancel"
                return []
            }
            guard let record = state.monitor.record else { return [] }
            // Always on the job's own cluster; with it not open, the user is asked to connect.
            guard state.connect.openClusters.contains(record.cluster) else {
                state.prompt = .connectForRecord(record, .cancel)
                return []
            }
            state.prompt = .confirmCancel(jobID: jobID, on: record.cluster)
        case .monitorResults:
            guard let record = state.monitor.record, state.monitor.status?.state.isTerminal == true else {
                state.notice = "results can be fetched once the job has ended"
                return []
            }
            state.activity = Activity(label: fetchingResults, fraction: 0)
            return [.fetchResults(record)]
        default:
            guard state.monitor.log.handle(key, page: page) else { return nil }
            // At the top of what is loaded, with more of the file above: read it.
            if let earliest = state.monitor.earliestOffset, !state.monitor.loadingEarlier,
               state.monitor.log.scrollBack >= state.monitor.log.lines.count - page, let record = state.monitor.record {
                state.monitor.loadingEarlier = true
                return [.loadEarlierLog(path: record.logPath, before: earliest, on: record.cluster)]
            }
        }
        return []
    }


    /// A reply about the attached job (the update dropped any other).
    static func apply(_ state: inout AppState, _ reply: MonitorReply) -> [Effect] {
        switch reply {
        case let .status(status):
            // Only a change to final, seen while watching, is news (not re-opening a finished job).
            let wasFinal = state.monitor.status.map { $0.state.isTerminal }
                ?? state.monitor.record?.state.flatMap { JobState(slurm: $0) }?.isTerminal ?? false
            state.monitor.status = status
            var effects: [Effect] = []
            if status.state.isTerminal, !wasFinal {
                let exit = status.exitCode.map { " (exit \($0.code))" } ?? ""
                let name = state.monitor.record?.spec.jobName ?? ""
                state.notice = "job \(status.jobID) \(name.isEmpty ? "" : "(\(name)) ")ended: \(status.state.rawValue)\(exit)"
                effects.append(.notify(title: "hpcs-job: job \(status.jobID) \(status.state.rawValue)", body: "\(name)\(exit)"))
            }
            if var record = state.monitor.record {
                record.state = status.state.rawValue
                if status.state.isTerminal { record.exitCode = status.exitCode?.code }
                state.monitor.record = record
            }
            return effects
        case let .efficiency(efficiency):
            state.monitor.efficiency = efficiency
        case let .logStart(offset):
            state.monitor.earliestOffset = offset > 0 ? offset : nil
        case let .earlierLog(data, start):
            state.monitor.loadingEarlier = false
            let lineCount = data.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            if state.monitor.log.prepend(data) < lineCount {
                // The view is full: what does not fit stays on the cluster.
                state.monitor.earliestOffset = nil
                state.notice = "the view holds \(state.monitor.log.lines.count) lines; all of the log: hpcs-job logs \(state.monitor.record?.id ?? "")"
            } else {
                state.monitor.earliestOffset = start > 0 ? start : nil
            }
        case let .logBytes(data):
            state.monitor.log.append(data)
            updateStep(&state, data)
        case let .reconnected(count):
            state.monitor.reconnects = count
        case let .followEnded(problem):
            state.monitor.following = false
            if let problem { state.error = problem }
        case let .resultsProgress(fraction):
            state.activity = Activity(label: fetchingResults, fraction: fraction)
        case let .results(.success(results)):
            state.activity = nil
            state.monitor.results = results
            state.monitor.resultsError = nil
        case let .results(.failure(error)):
            state.activity = nil
            state.monitor.resultsError = "\(error)"
            state.error = "\(error)"
        case let .resultsScanned(root, entries):
            guard state.monitor.browser?.root == root else { break }
            state.monitor.browser?.entries = entries
            state.monitor.browser?.scanned = true
        case let .resultFileRead(url, .success(data)):
            guard var browser = state.monitor.browser, url.path.hasPrefix(browser.root.path) else { break }
            browser.viewing = String(url.path.dropFirst(browser.root.path.count + 1))
            browser.view = LogViewState(capacity: 200_000)
            browser.view.append(data)
            // A file opens at its first line.
            browser.view.following = false
            browser.view.scrollBack = max(0, browser.view.lines.count - ResultsBrowser.paneRows(state))
            state.monitor.browser = browser
        case let .resultFileRead(_, .failure(failure)):
            state.notice = failure.message
        }
        return []
    }

    /// A reply about a job no longer attached: dropped, but an activity it
    /// was to end ends (its replacement starts its own).
    static func dropped(_ state: inout AppState, _ reply: MonitorReply) {
        if case .results = reply, state.activity?.label == fetchingResults { state.activity = nil }
    }

    /// The job script's tagged lines: `[hpcs-job] step N/12: …`.
    static func updateStep(_ state: inout AppState, _ data: Data) {
        // Only the last tagged line matters; find it in the bytes first, so a
        // fast log costs no per-line parsing.
        guard let tag = data.range(of: Data("[hpcs-job] step ".utf8), options: .backwards) else { return }
        let end = data[tag.upperBound...].firstIndex(of: 0x0A) ?? data.endIndex
        let line = TerminalSanitizer.plainText(Data(data[tag.lowerBound..<end]))
        guard let match = line.firstMatch(of: /\[hpcs-job\] step (\d+)\/(\d+): (.*)/),
              let number = Int(match.1), let total = Int(match.2) else { return }
        state.monitor.step = (number, total, String(match.3))
    }

    /// The Monitor's job's replies; nil for a message that is another screen's.
    static func reply(_ state: inout AppState, _ message: Message) -> [Effect]? {
        guard case let .monitor(_, reply) = message else { return nil }
        return apply(&state, reply)
    }
}
