import Foundation
import History
import SecureShell
import Slurm
import TerminalUI

/// Every job of the user on the cluster, refreshed while shown (one remote
/// command per refresh, however many jobs); hpcs-job's own jobs marked.
public struct JobsState: Equatable, Sendable {
    public var jobs: [JobSummary] = []
    public var loaded = false
    public var error: String?
    public var selected = 0
    public var top = 0
    public var filter = TextFieldState()
    public var filtering = false
    /// nil: all; true: queued and running only; false: ended only.
    public var active: Bool?
    /// Also ended jobs, from accounting over the last day.
    public var withEnded = false
    public var sort = JobsSort.queue
    /// Jobs marked with Space, for cancelling several at once.
    public var marked: Set<String> = []
    /// The cluster the list came from: its jobs are acted on there.
    public var cluster: ClusterID?

    public var shown: [JobSummary] {
        let words = filter.text.lowercased().split(separator: " ")
        let kept = jobs.filter { job in
            if let active, active == job.state.isTerminal { return false }
            let text = "\(job.jobID) \(job.name) \(job.partition) \(job.state.rawValue) \(job.reason ?? "") \(job.nodeList ?? "") "
                + (job.submissionID ?? "")
            return words.allSatisfy { text.lowercased().contains($0) }
        }
        return sort.ordered(kept)
    }

    public var selectedJob: JobSummary? {
        let shown = shown
        return shown.indices.contains(selected) ? shown[selected] : nil
    }
}

public enum JobsSort: String, CaseIterable, Sendable {
    case queue = "queue order", id = "job id", name, state

    func ordered(_ jobs: [JobSummary]) -> [JobSummary] {
        switch self {
        case .queue: return jobs
        case .id: return jobs.sorted { (Int($0.jobID.prefix(while: \.isNumber)) ?? 0) > (Int($1.jobID.prefix(while: \.isNumber)) ?? 0) }
        case .name: return jobs.sorted { $0.name.localizedStandardCompare($1.name) == .orderedAscending }
        case .state: return jobs.sorted { $0.state.rawValue < $1.state.rawValue }
        }
    }

    var next: JobsSort { JobsSort.allCases[(JobsSort.allCases.firstIndex(of: self).map { $0 + 1 } ?? 0) % JobsSort.allCases.count] }
}

enum JobsScreen {
    static func enter(_ state: inout AppState) -> [Effect] {
        Navigation.open(&state, .jobs)
        return [.watchJobs(withEnded: state.jobs.withEnded)]
    }

    static func tableArea(_ state: AppState) -> Rect {
        let body = Layout.body(state.size)
        let inner = body.width >= 2 && body.height >= 2 ? body.inset(1) : body
        return state.jobs.filtering ? inner.splitRows(1).1 : inner
    }

    static func visibleRows(_ state: AppState) -> Int { max(1, tableArea(state).height - 1) }

    static func position(atRow y: Int, _ state: AppState) -> Int? {
        let row = y - (tableArea(state).y + 1)
        guard row >= 0, row < visibleRows(state), state.jobs.top + row < state.jobs.shown.count else { return nil }
        return state.jobs.top + row
    }

    /// Keeps the selection on the list and in view.
    static func clamp(_ state: inout AppState) {
        let count = state.jobs.shown.count
        state.jobs.selected = max(0, min(state.jobs.selected, count - 1))
        let visible = visibleRows(state)
        state.jobs.top = max(0, min(state.jobs.top, state.jobs.selected), state.jobs.selected - visible + 1)
    }

    static func apply(_ state: inout AppState, on cluster: ClusterID?, _ result: Result<[JobSummary], JobsFailure>) {
        if let cluster, state.jobs.cluster != cluster {
            // Another cluster's list: marks and selection were about the other one's jobs.
            state.jobs.cluster = cluster
            state.jobs.marked = []
            state.jobs.jobs = []
            state.jobs.selected = 0
        }
        switch result {
        case let .success(jobs):
            // The selection stays on the same job when the list refreshes.
            let selectedID = state.jobs.selectedJob?.jobID
            state.jobs.jobs = jobs
            state.jobs.loaded = true
            state.jobs.error = nil
            state.jobs.marked.formIntersection(jobs.map(\.jobID))
            if let selectedID, let index = state.jobs.shown.firstIndex(where: { $0.jobID == selectedID }) { state.jobs.selected = index }
        case let .failure(failure):
            state.jobs.error = failure.message
        }
        clamp(&state)
    }

    static func key(_ state: inout AppState, _ key: Key, _ keys: KeyMap) -> [Effect]? {
        if state.jobs.filtering {
            switch key {
            case .enter: state.jobs.filtering = false
            case .escape:
                state.jobs.filtering = false
                state.jobs.filter = TextFieldState()
            default: guard state.jobs.filter.handle(key) else { return nil }
            }
            state.jobs.selected = 0
            clamp(&state)
            return []
        }
        let page = max(1, visibleRows(state) - 1)
        let actions: [Action] = [.back, .jobsFilter, .jobsState, .jobsSort, .jobsEnded, .jobsMark, .jobsCancel, .jobsOpen]
        switch keys.action(for: key, among: actions) {
        case .jobsFilter: state.jobs.filtering = true
        case .jobsState:
            state.jobs.active = state.jobs.active == nil ? true : (state.jobs.active == true ? false : nil)
            state.jobs.selected = 0
        case .jobsSort: state.jobs.sort = state.jobs.sort.next
        case .jobsEnded:
            state.jobs.withEnded.toggle()
            state.notice = state.jobs.withEnded ? "showing jobs that ended in the last day too" : "showing queued and running jobs"
            return [.watchJobs(withEnded: state.jobs.withEnded)]
        case .jobsMark:
            guard let job = state.jobs.selectedJob else { return [] }
            if state.jobs.marked.remove(job.jobID) == nil { state.jobs.marked.insert(job.jobID) }
            state.jobs.selected += 1
        case .jobsCancel:
            let ids = state.jobs.marked.isEmpty ? [state.jobs.selectedJob].compactMap { $0 }.filter { !$0.state.isTerminal }.map(\.jobID)
                : state.jobs.shown.filter { state.jobs.marked.contains($0.jobID) && !$0.state.isTerminal }.map(\.jobID)
            if ids.isEmpty {
                state.notice = "nothing to cancel: the job has ended"
                return []
            }
            guard let cluster = state.jobs.cluster else { return [] }
            state.prompt = .confirmCancelJobs(ids, on: cluster)
        case .jobsOpen:
            guard let job = state.jobs.selectedJob, let cluster = state.jobs.cluster else { return [] }
            state.notice = "opening job \(job.jobID)…"
            return [.openJob(job, on: cluster)]
        case .back:
            guard !state.jobs.filter.text.isEmpty else { return nil }
            state.jobs.filter = TextFieldState()
        default:
            switch key {
            case .up, .character("k"): state.jobs.selected -= 1
            case .down, .character("j"): state.jobs.selected += 1
            case .pageUp: state.jobs.selected -= page
            case .pageDown: state.jobs.selected += page
            case .home, .character("g"): state.jobs.selected = 0
            case .end, .character("G"): state.jobs.selected = state.jobs.shown.count - 1
            default: return nil
            }
        }
        clamp(&state)
        return []
    }

    static func draw(_ buffer: inout CellBuffer, _ state: AppState, _ area: Rect, _ theme: Theme) {
        let jobs = state.jobs
        let shown = jobs.shown
        var title = "Jobs on the cluster (\(shown.count)\(shown.count == jobs.jobs.count ? "" : " of \(jobs.jobs.count)"))"
        if !jobs.filter.text.isEmpty { title += " · /\(jobs.filter.text)" }
        if let active = jobs.active { title += active ? " · active" : " · ended" }
        if jobs.withEnded { title += " · with ended (1 day)" }
        if jobs.sort != .queue { title += " · by \(jobs.sort.rawValue)" }
        if !jobs.marked.isEmpty { title += " · \(jobs.marked.count) marked" }
        let inner = Frame.draw(&buffer, area, title: title, focused: true, theme: theme)
        if jobs.filtering {
            let row = inner.splitRows(1).0
            buffer.write("/", x: row.x, y: row.y, style: theme[.hintKey])
            TextField.draw(&buffer, jobs.filter, area: Rect(x: row.x + 1, y: row.y, width: row.width - 1, height: 1), focused: true, theme: theme)
        }
        let tableArea = tableArea(state)
        if let error = jobs.error {
            Frame.line(&buffer, "cannot list jobs: \(error)", at: tableArea, row: 1, style: theme[.statusError])
            return
        }
        if shown.isEmpty {
            let text = !jobs.loaded ? "asking the cluster…" : (jobs.jobs.isEmpty ? "No jobs in the queue" : "No job matches")
            Frame.line(&buffer, text, at: tableArea, row: 1, style: theme[.dim])
        }
        // Narrow terminals drop the partition and the submission id, so the exit code still shows.
        let wide = inner.width >= 110
        // The smallest terminals also drop the reason and the nodes.
        let narrow = inner.width < 76
        var columns: [Table.Column] = [.init(" ", width: 1), .init("Job", width: wide ? 12 : 10), .init("Name", width: wide ? 20 : 12)]
        if wide { columns.append(.init("Partition", width: 9)) }
        columns.append(.init("State", width: wide ? 11 : 10))
        if !narrow { columns.append(.init("Reason", width: wide ? 16 : 8)) }
        columns.append(.init("Elapsed/Limit", width: wide ? 19 : 15))
        if !narrow { columns.append(.init("Nodes", width: wide ? 14 : 8)) }
        columns.append(.init("Exit", width: 4))
        if wide { columns.append(.init("hpcs-job submission", width: 26)) }
        let visible = jobs.top..<min(shown.count, jobs.top + visibleRows(state))
        let rows = visible.map { index -> [String] in
            let job = shown[index]
            let mark = jobs.marked.contains(job.jobID) ? "*" : (job.submissionID != nil ? "◆" : " ")
            let limit: String = job.timeLimit ?? "—"
            let nodes: String = job.nodeList ?? job.nodeCount.map(String.init) ?? ""
            let exit: String = job.exitCode.map { String($0.code) } ?? ""
            var row: [String] = [mark, job.jobID, job.name]
            if wide { row.append(job.partition) }
            row.append(job.state.rawValue)
            if !narrow { row.append(job.reason ?? "") }
            row.append(job.elapsed + "/" + limit)
            if !narrow { row.append(nodes) }
            row.append(exit)
            if wide { row.append(job.submissionID ?? "") }
            return row
        }
        Table.draw(&buffer, columns: columns, rows: rows, selected: rows.isEmpty ? nil : jobs.selected - jobs.top, offset: 0,
                   area: tableArea, focused: true, theme: theme) { row in
            let job = shown[jobs.top + row]
            if job.state.isTerminal { return job.state.isSuccess ? .statusOK : .statusError }
            return job.state.isPending ? .dim : .text
        }
    }

    /// The list and an opened job.
    /// (nil for a message that is another screen's)
    static func reply(_ state: inout AppState, _ message: Message) -> [Effect]? {
        switch message {
        case let .jobsListed(_, cluster, result):
            JobsScreen.apply(&state, on: cluster, result)
        case let .jobOpened(_, .success(record)):
            state.notice = nil
            return MonitorScreen.attach(&state, record)
        case let .jobOpened(_, .failure(failure)):
            state.error = failure.message
        default: return nil
        }
        return []
    }
}

/// Why the job list could not be read, as shown in its pane.
public struct JobsFailure: Error, Equatable, Sendable {
    public var message: String
}
