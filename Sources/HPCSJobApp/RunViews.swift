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
            "Job \(record.jobID ?? "—") on \(record.cluster) · stage \(record.stage.rawValue)"
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
        entry.cluster.compact(withUser: withUser)
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
