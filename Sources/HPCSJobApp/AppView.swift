import Foundation
import TerminalUI

enum Layout {
    static let minimumWidth = 60
    static let minimumHeight = 16
    /// The screen's body: between the header row and the status and hint rows.
    static func body(_ size: (width: Int, height: Int)) -> Rect {
        Rect(x: 0, y: 1, width: size.width, height: max(0, size.height - 3))
    }

    /// The Info files list, as the view lays it out (clicks hit what is drawn).
    static func infoList(_ size: (width: Int, height: Int)) -> Rect {
        let column = body(size).columns([1, 1])[0]
        guard column.width >= 2, column.height >= 2 else { return column }
        return column.inset(1).splitRows(1).1
    }
}

/// Draws the whole screen from the state; never changes it.
public enum AppView {
    public static func render(_ state: AppState, theme: Theme, keys: KeyMap = Update.keyMap) -> CellBuffer {
        var buffer = CellBuffer(width: state.size.width, height: state.size.height)
        buffer.fill(buffer.bounds, style: theme[.text])
        guard state.size.width >= Layout.minimumWidth, state.size.height >= Layout.minimumHeight else {
            let lines = Frame.wrap("hpcs-job needs at least \(Layout.minimumWidth)×\(Layout.minimumHeight); this terminal is "
                                   + "\(state.size.width)×\(state.size.height). Enlarge it or press Ctrl-Q to quit.",
                                   width: max(1, state.size.width))
            for (row, line) in lines.enumerated() where row < state.size.height {
                buffer.write(line, x: 0, y: row, style: theme[.statusWarn])
            }
            return buffer
        }
        let (header, rest) = buffer.bounds.splitRows(1)
        let (body, footer) = rest.splitRows(-2)
        let (statusLine, hintLine) = footer.splitRows(1)
        drawHeader(&buffer, state, header, theme)
        switch state.screen {
        case .connect: SetupViews.connect(&buffer, state, body, theme)
        case .infoFiles: SetupViews.infoFiles(&buffer, state, body, theme)
        case .options: OptionsForm.draw(&buffer, state, body, theme, keys)
        case .runtime: SetupViews.runtime(&buffer, state, body, theme)
        case .preview: RunViews.preview(&buffer, state, body, theme)
        case .monitor: MonitorView.draw(&buffer, state, body, theme)
        case .history: RunViews.history(&buffer, state, body, theme)
        case .jobs: JobsScreen.draw(&buffer, state, body, theme)
        }
        drawStatusLine(&buffer, state, statusLine, theme)
        KeyHintBar.draw(&buffer, hints: Hints.bar(state, keys: keys, width: hintLine.width), area: hintLine, theme: theme)
        // Small terminals give questions and help the whole screen, so none is cut.
        drawOverlays(&buffer, state, state.size.height < 24 ? buffer.bounds : body, theme, keys)
        return buffer
    }

    static func drawHeader(_ buffer: inout CellBuffer, _ state: AppState, _ area: Rect, _ theme: Theme) {
        buffer.fill(area, style: theme[.header])
        // Narrow terminals give the app's name to the tabs.
        let x = area.width < 100 ? 0 : buffer.write(" hpcs-job ", x: 0, y: area.y, style: theme[.header])
        let connection: String
        if let target = state.connect.connectedTo {
            // Other clusters kept open are counted; History's actions switch to them without a new login.
            let others = state.connect.openClusters.filter { $0 != target }.count
            connection = "● \(target)" + (others > 0 ? " +\(others) open" : "")
                + (state.monitor.reconnects > 0 ? " (reconnected ×\(state.monitor.reconnects))" : "")
        } else {
            connection = "○ not connected"
        }
        // Narrow terminals get short tab titles; the connection (cluster name
        // included) gets what the tabs leave in their compact form, whole when it fits.
        let titles = area.width < 140 ? Screen.allCases.map(\.shortTitle) : Screen.allCases.map(\.title)
        let compactTabs = titles.count * 4 + DisplayWidth.of(titles[state.screen.rawValue]) + 1
        let text = DisplayWidth.truncate(connection, to: max(area.width / 4, area.width - x - compactTabs - 2))
        let connectionX = area.maxX - DisplayWidth.of(text) - 1
        buffer.write(text + " ", x: connectionX, y: area.y, style: state.connected ? theme[.statusOK] : theme[.dim])
        Tabs.draw(&buffer, titles: titles, selected: state.screen.rawValue,
                  area: Rect(x: x, y: area.y, width: max(0, connectionX - x - 1), height: 1), theme: theme)
    }

    static func drawStatusLine(_ buffer: inout CellBuffer, _ state: AppState, _ area: Rect, _ theme: Theme) {
        if let activity = state.activity {
            var label = Spinner.frame(state.tick) + " " + activity.label
            if let started = activity.startedTick {
                label += String(format: " · %.1f s", Double(state.tick - started) * 0.12)
            }
            if let fraction = activity.fraction {
                ProgressBar.draw(&buffer, fraction: fraction, label: label + " \(Int(fraction * 100))%", area: area, theme: theme)
            } else {
                Frame.line(&buffer, label, at: area, row: 0, style: theme[.statusWarn])
            }
        } else if let notice = state.notice {
            Frame.line(&buffer, " " + notice, at: area, row: 0, style: theme[.dim])
        }
    }

    static func drawOverlays(_ buffer: inout CellBuffer, _ state: AppState, _ area: Rect, _ theme: Theme, _ keys: KeyMap) {
        if let prompt = state.prompt { PromptView.draw(&buffer, prompt, state, area, theme) }
        if let error = state.error {
            Modal.draw(&buffer, title: "Error", lines: [error, "", "Enter or Esc closes this; your input is kept."],
                       area: area, theme: theme, role: .error, width: 76)
        }
        if state.showHelp {
            HelpOverlay.draw(&buffer, title: "Keys: \(state.screen.title)", entries: Hints.help(state, keys: keys), area: area, theme: theme,
                             top: state.helpTop)
        }
    }
}

/// The modal questions.
enum PromptView {
    static func draw(_ buffer: inout CellBuffer, _ prompt: Prompt, _ state: AppState, _ area: Rect, _ theme: Theme) {
        switch prompt {
        case let .hostKey(key, typed):
            let inner = Modal.draw(&buffer, title: "Unknown host key", lines: [
                "The authenticity of \(key.hostDescription) can't be established.",
                "\(key.keyType) key fingerprint:", "  \(key.fingerprint)",
                "Compare it with the fingerprint your site publishes before accepting.",
                "Type yes (or the fingerprint) to accept and add it to \(key.knownHostsFile),",
                "once to accept for this connection only, no to refuse:", "",
            ], buttons: ["Enter: answer", "Esc: refuse"], area: area, theme: theme, width: 76)
            // On the empty last line of the text, however the lines above wrapped.
            TextField.draw(&buffer, typed, area: Rect(x: inner.x, y: inner.maxY - 3, width: inner.width, height: 1), focused: true,
                           theme: theme)
        case let .passphrase(file, field):
            let inner = Modal.draw(&buffer, title: "Key passphrase (this computer)", lines: ["Passphrase for \(file):", ""],
                                   buttons: ["Enter: unlock", "Esc: skip key"], area: area, theme: theme)
            TextField.draw(&buffer, field, area: Rect(x: inner.x, y: inner.y + 1, width: inner.width, height: 1), focused: true, theme: theme)
        case let .keyboardInteractive(challenge, fields, focus):
            // The title is ours and names who asks; the server's name and instruction are shown as its words.
            let said = [challenge.name, challenge.instruction].filter { !$0.isEmpty }.joined(separator: ": ")
            var lines = [said.isEmpty ? "The server asks:" : "The server says: \(said)"]
            for prompt in challenge.prompts { lines += [prompt.text, ""] }
            let inner = Modal.draw(&buffer, title: challenge.server.isEmpty ? "Sign in" : "Sign in to \(challenge.server)", lines: lines,
                                   buttons: ["Enter: send", "Esc: cancel"], area: area, theme: theme)
            for (index, field) in fields.enumerated() {
                let row = inner.y + 2 + index * 2
                if row < inner.maxY - 1 {
                    TextField.draw(&buffer, field, area: Rect(x: inner.x, y: row, width: inner.width, height: 1),
                                   focused: index == focus, theme: theme)
                }
            }
        case let .confirmQuit(reason):
            Modal.draw(&buffer, title: "Quit?", lines: [reason],
                       buttons: ["y: quit", "n: stay"], area: area, theme: theme)
        case let .confirmCancel(jobID, cluster):
            Modal.draw(&buffer, title: "Cancel job?", lines: ["scancel job \(jobID) on \(cluster)?"], buttons: ["y: cancel it", "n: keep it"],
                       area: area, theme: theme)
        case let .confirmCancelJobs(ids, cluster):
            let listed = ids.count > 8 ? ids.prefix(8).joined(separator: " ") + " and \(ids.count - 8) more" : ids.joined(separator: " ")
            Modal.draw(&buffer, title: ids.count == 1 ? "Cancel job?" : "Cancel \(ids.count) jobs?",
                       lines: ["scancel \(listed) on \(cluster)?"], buttons: ["y: cancel", "n: keep"], area: area, theme: theme)
        case let .connectForRecord(record, _):
            let now = state.connected ? "This session is connected to \(state.connect.connectedTo?.description ?? "another cluster")." : "Not connected."
            let open = state.connect.openClusters.contains(record.cluster)
            Modal.draw(&buffer, title: open ? "Switch to its cluster?" : "Connect to its cluster?", lines: [
                "Job \(record.jobID ?? "—") ran on \(record.cluster). \(now)",
                open ? "Its connection is still open: switch to it (no new login)?" : "Connect there with \(record.configPath)?",
            ], buttons: [open ? "y: switch" : "y: connect", "n: not now"], area: area, theme: theme)
        case .leaveEditedPreview:
            Modal.draw(&buffer, title: "Keep your edit?", lines: ["The SBATCH was edited in $EDITOR. Keep the edit (it is shown and "
                + "submitted when you come back, until you discard it), or discard it?"],
                       buttons: ["k: keep", "d: discard", "Esc: stay"], area: area, theme: theme)
        case .discardEditAndRender:
            Modal.draw(&buffer, title: "Discard your edit?", lines: ["Rendering afresh replaces the SBATCH you edited in $EDITOR."],
                       buttons: ["y: discard and render", "n: keep the edit"], area: area, theme: theme)
        case .confirmSubmit:
            var lines = ["This uploads, each atomically, into:"]
            // Rendered for another cluster than the one now active: it goes where it was checked.
            if let cluster = state.preview.cluster, cluster != state.connect.connectedTo {
                lines = ["This job was rendered for \(cluster) and is submitted there.", "It uploads, each atomically, into:"]
            }
            if let plan = state.preview.prepared?.plan {
                lines += ["  \(plan.remoteDirectory)/ (0700)", "    job.sbatch\(state.preview.edited ? " (your edited version)" : "") (0600)",
                          "    output_key.pub — this job's own public key (0600)", "    hpcs-client.conf — the 4 HPCS sections only (0600)",
                          "The private key stays here: \(LocalPathsDescription.keyFile(plan.submissionID)).",
                          "Then: sbatch --parsable --comment=hpcs-job:\(plan.submissionID)"]
            }
            Modal.draw(&buffer, title: "Submit?", lines: lines, buttons: ["y: submit", "n: back"], area: area, theme: theme, width: 76)
        }
    }
}
