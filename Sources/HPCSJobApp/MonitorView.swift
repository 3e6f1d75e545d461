import Foundation
import History
import JobPreparation
import JobRuntime
import Slurm
import TerminalUI

/// The Monitor's view: the job panel (wide or narrow) over the log pane or
/// the results browser. Reads state only.
enum MonitorView {
    static func draw(_ buffer: inout CellBuffer, _ state: AppState, _ area: Rect, _ theme: Theme) {
        let (statusArea, logArea) = area.splitRows(8)
        let inner = Frame.draw(&buffer, statusArea, title: "Job", focused: false, theme: theme)
        let monitor = state.monitor
        if inner.width < 78 {
            narrowJobPanel(&buffer, state, inner, theme)
        } else {
            jobPanel(&buffer, state, inner, theme)
        }
        if let browser = monitor.browser {
            ResultsBrowser.draw(&buffer, browser, area: logArea, theme: theme)
            return
        }
        logPane(&buffer, state, logArea, theme)
    }

    static func exitText(_ state: AppState) -> String {
        state.monitor.status?.exitCode.map { String($0.code) } ?? state.monitor.record?.exitCode.map(String.init) ?? "—"
    }

    static func stateRole(_ status: JobStatus?) -> Role {
        status.map { $0.state.isTerminal ? ($0.state.isSuccess ? .statusOK : .statusError) : .statusWarn } ?? .dim
    }

    /// One column for narrow terminals: the same facts, fewer words.
    static func narrowJobPanel(_ buffer: inout CellBuffer, _ state: AppState, _ inner: Rect, _ theme: Theme) {
        let monitor = state.monitor
        let status = monitor.status
        let stateWord = status?.state.rawValue ?? monitor.record?.state ?? "—"
        let prefix = "Job \(monitor.record?.jobID ?? "—") · "
        Frame.line(&buffer, prefix, at: inner, row: 0, style: theme[.title])
        let x = inner.x + DisplayWidth.of(prefix)
        buffer.write(stateWord, x: x, y: inner.y, style: theme[stateRole(status)],
                     clip: Rect(x: x, y: inner.y, width: max(0, inner.maxX - x), height: 1))
        let limit = status?.timeLimit ?? monitor.record?.spec.time.normalized ?? "—"
        Frame.line(&buffer, "\(status?.elapsed ?? "—")/\(limit) · \(status?.nodes ?? "—") · exit \(exitText(state))", at: inner, row: 1,
                   style: theme[.text])
        Frame.line(&buffer, "Reason: \(status?.reason ?? "—")", at: inner, row: 2, style: theme[.text])
        if let step = monitor.step {
            Frame.line(&buffer, "Step \(step.number)/\(step.total): \(step.text)", at: inner, row: 3, style: theme[.logStep])
        }
        if let results = monitor.results {
            Frame.line(&buffer, "Results: \(results.directory.path)", at: inner, row: 4, style: theme[.statusOK])
            Frame.line(&buffer, "App exit code: \(results.exitCode.map(String.init) ?? "—")", at: inner, row: 5, style: theme[.text])
        } else if let problem = monitor.resultsError {
            Frame.line(&buffer, problem, at: inner, row: 4, style: theme[.statusError])
        } else if let efficiency = monitor.efficiency {
            Frame.line(&buffer, "Efficiency: " + efficiency.summary, at: inner, row: 4, style: theme[.text])
        } else if status?.state.isTerminal == true {
            Frame.line(&buffer, "Press r to fetch and decrypt the results", at: inner, row: 4, style: theme[.highlight])
        }
    }

    static func jobPanel(_ buffer: inout CellBuffer, _ state: AppState, _ inner: Rect, _ theme: Theme) {
        let monitor = state.monitor
        let record = monitor.record
        let status = monitor.status
        let stateWord = status?.state.rawValue ?? record?.state ?? "—"
        let stateRole = stateRole(status)
        let left = inner.columns([1, 1])
        Frame.line(&buffer, "Job \(record?.jobID ?? "—") · \(record?.spec.jobName ?? "")", at: left[0], row: 0, style: theme[.title])
        buffer.write("State: ", x: left[0].x, y: left[0].y + 1, style: theme[.text])
        buffer.write(stateWord, x: left[0].x + 7, y: left[0].y + 1, style: theme[stateRole])
        Frame.line(&buffer, "Reason: \(status?.reason ?? "—")", at: left[0], row: 2, style: theme[.text])
        Frame.line(&buffer, "Elapsed / limit: \(status?.elapsed ?? "—") / \(status?.timeLimit ?? record?.spec.time.normalized ?? "—")",
                   at: left[0], row: 3, style: theme[.text])
        Frame.line(&buffer, "Node: \(status?.nodes ?? "—")   Exit code: \(exitText(state))", at: left[0], row: 4, style: theme[.text])
        if let efficiency = monitor.efficiency {
            Frame.line(&buffer, "Efficiency: " + efficiency.summary, at: left[0], row: 5, style: theme[.text])
        }
        if let step = monitor.step {
            Frame.line(&buffer, "Step \(step.number)/\(step.total): \(step.text)", at: left[1], row: 0, style: theme[.logStep])
            ProgressBar.draw(&buffer, fraction: Double(step.number) / Double(max(1, step.total)), label: "\(step.number)/\(step.total)",
                             area: Rect(x: left[1].x, y: left[1].y + 1, width: left[1].width, height: 1), theme: theme)
        }
        if let results = monitor.results {
            // The results folder is wrapped, not cut: it is where the user goes next.
            let place = Frame.fold("Results: \(results.directory.path)", width: max(1, left[1].width)).prefix(2)
            for (offset, line) in place.enumerated() { Frame.line(&buffer, line, at: left[1], row: 1 + offset, style: theme[.statusOK]) }
            Frame.line(&buffer, "App exit code: \(results.exitCode.map(String.init) ?? "—")", at: left[1], row: 3, style: theme[.text])
            let out = (results.stdout ?? "").split(separator: "\n").first.map(String.init) ?? ""
            Frame.line(&buffer, "stdout: " + TerminalSanitizer.plainText(out), at: left[1], row: 4, style: theme[.text])
        } else if let problem = monitor.resultsError {
            Frame.line(&buffer, problem, at: left[1], row: 3, style: theme[.statusError])
        } else if status?.state.isTerminal == true {
            Frame.line(&buffer, "Press r to fetch and decrypt the results", at: left[1], row: 3, style: theme[.highlight])
        }
    }

    static func logPane(_ buffer: inout CellBuffer, _ state: AppState, _ logArea: Rect, _ theme: Theme) {
        let monitor = state.monitor
        let record = monitor.record
        let log = monitor.log
        var title = "Log \(record?.logPath ?? "")"
        title += log.following ? " · following" : " · paused (f resumes)"
        if log.wrap { title += " · wrap" }
        title += PaneSearch.title(log, monitor.searchMatch)
        let logInner = Frame.draw(&buffer, logArea, title: title, focused: true, theme: theme)
        if let searching = monitor.searching {
            let (searchRow, rest) = logInner.splitRows(1)
            buffer.write("/", x: searchRow.x, y: searchRow.y, style: theme[.hintKey])
            TextField.draw(&buffer, searching, area: Rect(x: searchRow.x + 1, y: searchRow.y, width: searchRow.width - 1, height: 1),
                           focused: true, theme: theme)
            LogView.draw(&buffer, log, area: rest, theme: theme, styleFor: stepStyle)
        } else if log.lines.count == 0 && log.pendingLine == nil {
            Frame.line(&buffer, monitor.following ? "waiting for the job's output…" : "no output yet", at: logInner, row: 0, style: theme[.dim])
        } else {
            LogView.draw(&buffer, log, area: logInner, theme: theme, styleFor: stepStyle)
        }
    }

    static func stepStyle(_ line: LogViewState.Line) -> Role? {
        line.text.hasPrefix("[hpcs-job]") ? (line.text.contains("FAILED") || line.text.contains("error:") ? .statusError : .logStep) : nil
    }

}
