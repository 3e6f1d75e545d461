import Foundation
import JobPreparation
import TerminalUI

enum SetupViews {
    static func connect(_ buffer: inout CellBuffer, _ state: AppState, _ area: Rect, _ theme: Theme) {
        let inner = Frame.draw(&buffer, area, title: "Connect to the login node", focused: true, theme: theme)
        Frame.line(&buffer, "HPCS client configuration:", at: inner, row: 1, style: theme[.title])
        TextField.draw(&buffer, state.connect.configPath, area: Rect(x: inner.x, y: inner.y + 2, width: inner.width, height: 1),
                       focused: state.prompt == nil, theme: theme)
        var row = 4
        if let config = state.connect.config {
            let sc = config.supercomputer
            let target = "\(sc.username)@\(sc.address)" + (sc.port.map { ":\($0)" } ?? "")
            for line in ["Login node:   \(target)", "Trust domain: \(config.spireServer.trustDomain)", "Vault:        \(config.vaultURL)",
                         "Known hosts:  \(sc.knownHosts ?? "~/.ssh/known_hosts")"] {
                Frame.line(&buffer, line, at: inner, row: row, style: theme[.text])
                row += 1
            }
        } else if let problem = state.connect.configProblem {
            for line in Frame.wrap(problem, width: inner.width) {
                Frame.line(&buffer, line, at: inner, row: row, style: theme[.statusError])
                row += 1
            }
        }
        if !state.connect.recent.isEmpty {
            row += 1
            Frame.line(&buffer, "Recent (↑/↓), by cluster:", at: inner, row: row, style: theme[.dim])
            let clusterWidth = min(36, state.connect.recent.prefix(5).map { DisplayWidth.of(state.connect.recentClusters[$0]?.description ?? "?") }.max() ?? 1)
            for path in state.connect.recent.prefix(5) {
                row += 1
                let cluster = DisplayWidth.truncate(state.connect.recentClusters[path]?.description ?? "(unreadable)", to: clusterWidth)
                let padded = cluster + String(repeating: " ", count: max(0, clusterWidth - DisplayWidth.of(cluster)))
                Frame.line(&buffer, "  " + padded + "  " + path, at: inner, row: row,
                           style: theme[path == state.connect.configPath.text ? .highlight : .dim])
            }
        }
    }

    static func infoFiles(_ buffer: inout CellBuffer, _ state: AppState, _ area: Rect, _ theme: Theme) {
        let columns = area.columns([1, 1])
        let info = state.infoFiles
        let browser = Frame.draw(&buffer, columns[0], title: "Login node: \(info.directory)", focused: true, theme: theme)
        let pathRow = browser.splitRows(1).0
        let listArea = Layout.infoList(state.size)
        if let typed = info.typedPath {
            TextField.draw(&buffer, typed, area: pathRow, focused: true, theme: theme)
        } else {
            let filter = info.list.filter.isEmpty ? "type to filter · / types a path · ~ home · ← up" : "filter: \(info.list.filter)"
            Frame.line(&buffer, filter, at: pathRow, row: 0, style: theme[.dim])
        }
        ListView.draw(&buffer, state.infoFiles.list, area: listArea, focused: info.typedPath == nil, theme: theme) { index in
            let name = info.list.items[index]
            return name.hasSuffix(".info.yaml") ? .highlight : (name.hasSuffix("/") ? .title : .text)
        }
        let slots = columns[1].rows([1, 1])
        for role in InfoRole.allCases {
            let slot = Frame.draw(&buffer, slots[role.rawValue], title: role.title + (info.active == role ? "  ◀ picking" : ""),
                                  focused: info.active == role, theme: theme)
            var lines: [(String, Role)] = []
            if let fetched = info.fetched(role) {
                lines.append((fetched.remotePath, .title))
                let i = fetched.info
                lines += [("path_at_rest: \(i.pathAtRest)", .text), ("secret_path:  \(i.secretPath)", .text),
                          ("access_role:  \(i.accessRole)", .text), ("checksum:     \(i.checksum.prefix(20))…", .text),
                          ("spiffeID:     \(i.spiffeID)", .text)]
            } else if let problem = info.problems[role.rawValue] {
                lines += Frame.wrap(problem, width: slot.width).map { ($0, .statusError) }
            } else {
                lines.append(("Enter on a *.info.yaml file picks it", .dim))
            }
            if role == .data, let verified = info.verified, let verdict = info.verdict {
                lines.append(("", .text))
                lines += Frame.wrap((verified ? "✓ " : "✗ ") + verdict, width: slot.width).map { ($0, verified ? .statusOK : .statusError) }
            }
            // Long paths wrap when the slot has the rows for it; otherwise each stays on its line.
            let wrapped = lines.flatMap { line in Frame.fold(line.0, width: max(1, slot.width)).map { ($0, line.1) } }
            for (row, line) in (wrapped.count <= slot.height ? wrapped : lines).enumerated() {
                Frame.line(&buffer, line.0, at: slot, row: row, style: theme[line.1])
            }
        }
    }

    static func runtime(_ buffer: inout CellBuffer, _ state: AppState, _ area: Rect, _ theme: Theme) {
        let runtime = state.runtime
        let (lists, rest) = area.splitRows(max(6, area.height - 7))
        let columns = lists.columns([1, 1])
        let argumentArea = Frame.draw(&buffer, columns[0], title: "Application arguments (after --)",
                                      focused: runtime.section == .arguments, theme: theme)
        ListView.draw(&buffer, state.runtime.argumentList, area: argumentArea, focused: runtime.section == .arguments, theme: theme)
        let flagArea = Frame.draw(&buffer, columns[1], title: "Singularity flags", focused: runtime.section == .flags, theme: theme)
        ListView.draw(&buffer, state.runtime.flagList, area: flagArea, focused: runtime.section == .flags, theme: theme)
        // The word being added or edited is typed in its own list, where it will go.
        if let (field, index) = runtime.editing, runtime.section == .arguments || runtime.section == .flags {
            let isArguments = runtime.section == .arguments
            let area = isArguments ? argumentArea : flagArea
            // Where the list was drawn from (the same scroll the view derived above).
            let list = ListView.scrolled(isArguments ? state.runtime.argumentList : state.runtime.flagList, height: area.height)
            let row = min(max(0, (index ?? list.items.count) - list.offset), max(0, area.height - 1))
            TextField.draw(&buffer, field, area: Rect(x: area.x, y: area.y + row, width: area.width, height: 1), focused: true, theme: theme)
        }
        let inner = Frame.draw(&buffer, rest, title: "Scripts and template", focused: runtime.section.rawValue >= 2, theme: theme)
        let rows: [(String, RuntimeState.Section)] = [("Input scripts dir", .inputScripts), ("Output scripts dir", .outputScripts)]
        for (index, item) in rows.enumerated() {
            Frame.line(&buffer, item.0, at: inner, row: index, style: theme[runtime.section == item.1 ? .title : .text])
            TextField.draw(&buffer, item.1 == .inputScripts ? runtime.inputScripts : runtime.outputScripts,
                           area: Rect(x: inner.x + 20, y: inner.y + index, width: max(0, inner.width - 20), height: 1),
                           focused: runtime.section == item.1, theme: theme)
        }
        let template = runtime.templates.indices.contains(runtime.template) ? runtime.templates[runtime.template] : "?"
        Frame.line(&buffer, "Template            ◀ \(template) ▶", at: inner, row: 2, style: theme[runtime.section == .template ? .title : .text])
        if runtime.editing != nil {
            Frame.line(&buffer, "Enter keeps the word (a pasted string is split with shell rules), Esc discards it", at: inner, row: 3,
                       style: theme[.dim])
            if let notice = runtime.notice { Frame.line(&buffer, notice, at: inner, row: 4, style: theme[.statusError]) }
        } else if let notice = runtime.notice {
            Frame.line(&buffer, notice, at: inner, row: 4, style: theme[.highlight])
        }
    }
}

/// Where a job's key is kept, for the confirm dialog.
enum LocalPathsDescription {
    static func keyFile(_ id: String) -> String { LocalPaths().keyFile(submissionID: id).path }
}
