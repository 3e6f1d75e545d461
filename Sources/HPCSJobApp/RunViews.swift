import Foundation
import History
import Slurm
import TerminalUI

enum RunViews {
    static func preview(_ buffer: inout CellBuffer, _ state: AppState, _ area: Rect, _ theme: Theme) {
        let title = "SBATCH preview" + (state.preview.edited ? " (edited)" : "")
            + (state.preview.changedLines.isEmpty ? "" : " · \(state.preview.changedLines.count) lines changed since last preview")
        let inner = Frame.draw(&buffer, area, title: title, focused: true, theme: theme)
        let lines = state.preview.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard !lines.isEmpty, !state.preview.text.isEmpty else {
            Frame.line(&buffer, "rendering…", at: inner, row: 0, style: theme[.dim])
            return
        }
        for row in 0..<inner.height {
            let index = state.preview.scroll.offset + row
            guard index < lines.count else { break }
            let changed = state.preview.changedLines.contains(index)
            buffer.write(changed ? "▌" : " ", x: inner.x, y: inner.y + row, style: theme[.changed])
            let lineArea = Rect(x: inner.x + 1, y: inner.y + row, width: inner.width - 1, height: 1)
            var x = lineArea.x
            for (text, role) in ShellHighlighter.runs(lines[index]) {
                x = buffer.write(text, x: x, y: lineArea.y, style: theme[role], clip: lineArea)
            }
        }
    }

    static func monitor(_ buffer: inout CellBuffer, _ state: AppState, _ area: Rect, _ theme: Theme) {
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

    static func history(_ buffer: inout CellBuffer, _ state: AppState, _ area: Rect, _ theme: Theme) {
        let history = state.history
        var title = history.counting ? "Past submissions (\(history.total)+, counting…)" : "Past submissions (\(history.total))"
        if !history.filter.text.isEmpty { title += " · /\(history.filter.text)" }
        // One spelling per state: Slurm's, and "not submitted" for ours.
        if let stateFilter = history.stateFilter { title += " · state " + (stateFilter == "failed" ? "not submitted" : stateFilter) }
        let (listArea, detailArea) = history.showDetails ? area.splitRows(area.height / 2) : (area, Rect(x: 0, y: 0, width: 0, height: 0))
        let inner = Frame.draw(&buffer, listArea, title: title, focused: true, theme: theme)
        if history.filtering {
            let row = inner.splitRows(1).0
            buffer.write("/", x: row.x, y: row.y, style: theme[.hintKey])
            TextField.draw(&buffer, history.filter, area: Rect(x: row.x + 1, y: row.y, width: row.width - 1, height: 1), focused: true, theme: theme)
        }
        let tableArea = HistoryScreen.tableArea(state)
        let wide = inner.width >= 120
        // Narrow terminals drop the cluster column, so state and exit still show.
        let narrow = inner.width < 80
        let columns: [Table.Column] = [.init("Time (UTC)", width: 16), .init("Name", width: wide ? 24 : (narrow ? 12 : 14)), .init("Job", width: 8)]
            + (narrow ? [] : [.init("Cluster", width: wide ? 30 : 14)]) + [.init("State", width: 12), .init("Exit", width: 4)]
            + (wide ? [.init("Submission", width: 26)] : [])
        if history.total == 0 {
            Frame.line(&buffer, "No submissions yet" + (history.filter.text.isEmpty && history.stateFilter == nil ? "" : " match"),
                       at: tableArea, row: 1, style: theme[.dim])
        }
        // Only the visible rows are built; rows not paged in yet show as "…".
        let visible = history.top..<min(history.total, history.top + HistoryScreen.visibleRows(state))
        let rows = visible.map { position -> [String] in
            guard let entry = history.entry(at: position) else { return ["…"] }
            let stateText = entry.stage == .failed ? "not submitted" : (entry.state ?? entry.stage.rawValue)
            return [utcMinute(entry.createdAt), entry.jobName, entry.jobID ?? "—"]
                + (narrow ? [] : [clusterLabel(entry, withUser: wide)]) + [stateText, entry.exitCode.map(String.init) ?? "—"]
                + (wide ? [entry.id] : [])
        }
        Table.draw(&buffer, columns: columns, rows: rows, selected: rows.isEmpty ? nil : history.selected - history.top, offset: 0,
                   area: tableArea, focused: true, theme: theme) { row in
            guard let entry = history.entry(at: history.top + row) else { return .dim }
            if entry.stage == .failed || entry.jobState?.isFailure == true { return .statusError }
            return entry.jobState?.isSuccess == true ? .statusOK : .text
        }
        guard history.showDetails, let entry = history.selectedEntry else { return }
        let details = Frame.draw(&buffer, detailArea, title: "Submission \(entry.id)", focused: false, theme: theme)
        guard let record = history.record else {
            Frame.line(&buffer, "loading…", at: details, row: 0, style: theme[.dim])
            return
        }
        var lines: [String] = [
            "Job \(record.jobID ?? "—") on \(record.clusterUser)@\(record.clusterHost):\(record.clusterPort) · stage \(record.stage.rawValue)"
                + " · submitted \(utcMinute(record.createdAt)) UTC",
            "Spec: -J \(record.spec.jobName) -N \(record.spec.nodes) -p \(record.spec.partition) -t \(record.spec.time) -w \(record.spec.nodelist) -s \(record.spec.workdir)",
            "Args: \(record.spec.applicationArguments.map { "⟨\($0)⟩" }.joined(separator: " "))   Flags: \(record.spec.singularityFlags.joined(separator: " "))",
            "Info: \(record.appInfoPath) · \(record.dataInfoPath)",
            "Remote dir: \(record.remoteDir ?? "—")", "Key file: \(record.identityFile ?? "—")",
        ]
        if let failure = record.failure { lines.append("Failure: \(failure)") }
        if let sbatch = record.sbatchText { lines += ["SBATCH as submitted:"] + sbatch.split(separator: "\n").map { "  " + $0 } }
        // Long values wrap; the pane scrolls (its keys are in the hint bar).
        let wrapped = lines.enumerated().flatMap { index, line in
            Frame.wrap(line, width: max(1, details.width)).map { (text: $0, first: index == 0) }
        }
        let top = min(history.detailsTop, max(0, wrapped.count - details.height))
        for (row, line) in wrapped.dropFirst(top).prefix(details.height).enumerated() {
            Frame.line(&buffer, line.text, at: details, row: row, style: theme[line.first ? .title : .text])
        }
    }

    /// Two login nodes of one host differ by port: the port is shown unless
    /// it is 22, the user only where there is room.
    static func clusterLabel(_ entry: HistoryEntry, withUser: Bool) -> String {
        (withUser ? "\(entry.clusterUser)@" : "") + entry.clusterHost + (entry.clusterPort == 22 ? "" : ":\(entry.clusterPort)")
    }
}

/// `YYYY-MM-DD HH:MM` in UTC, without building a formatter every frame.
func utcMinute(_ date: Date) -> String {
    var seconds = time_t(date.timeIntervalSince1970)
    var parts = tm()
    gmtime_r(&seconds, &parts)
    return String(format: "%04d-%02d-%02d %02d:%02d", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min)
}

/// Minimal shell highlighting for the preview: comments, #SBATCH, strings, keywords.
enum ShellHighlighter {
    static let keywords: Set<String> = ["if", "then", "else", "elif", "fi", "for", "do", "done", "while", "case", "esac", "in",
                                        "function", "return", "local", "export", "set", "trap", "exit"]

    static func runs(_ line: String) -> [(String, Role)] {
        let trimmed = line.drop(while: { $0 == " " })
        if trimmed.hasPrefix("#SBATCH") { return [(line, .syntaxDirective)] }
        if trimmed.hasPrefix("#") { return [(line, .syntaxComment)] }
        var runs: [(String, Role)] = []
        var current = ""
        var quote: Character?
        func flush(_ role: Role) { if !current.isEmpty { runs.append((current, role)); current = "" } }
        for char in line {
            if let open = quote {
                current.append(char)
                if char == open { flush(.syntaxString); quote = nil }
            } else if char == "'" || char == "\"" {
                flushWord(&current, &runs)
                current.append(char)
                quote = char
            } else if char == " " || char == ";" || char == "(" || char == ")" {
                flushWord(&current, &runs)
                runs.append((String(char), .text))
            } else {
                current.append(char)
            }
        }
        if quote != nil { flush(.syntaxString) } else { flushWord(&current, &runs) }
        return runs
    }

    static func flushWord(_ current: inout String, _ runs: inout [(String, Role)]) {
        guard !current.isEmpty else { return }
        runs.append((current, keywords.contains(current) ? .syntaxKeyword : .text))
        current = ""
    }
}
