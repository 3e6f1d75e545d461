import Foundation
import JobPreparation
import JobRuntime
import Slurm
import TerminalUI

/// Messages from effects → state (+ follow-up effects).
enum Answers {
    static func apply(_ state: inout AppState, _ message: Message) -> [Effect] {
        switch message {
        case let .configLoaded(.success(config)):
            state.connect.config = config
            state.connect.configProblem = nil
            fillDefaults(&state, config)
        case let .configLoaded(.failure(error)):
            state.connect.config = nil
            state.connect.configProblem = "\(error)"
            state.activity = nil
        case let .recentConfigs(paths, clusters):
            state.connect.recent = paths
            state.connect.recentClusters = clusters
            if state.connect.configPath.text.isEmpty, let first = paths.first {
                state.connect.configPath.set(first)
                return [.loadConfig(first)]
            }
        case let .prompt(prompt):
            // Questions wait their turn: one asked while another is open is never lost.
            if state.prompt == nil { state.prompt = prompt } else { state.queuedPrompts.append(prompt) }
        case .historyStatesRefreshed:
            guard state.screen == .history else { return [] }
            return HistoryScreen.reload(&state)
        case let .connectProgress(phase):
            guard state.connecting else { return [] }
            state.activity = Activity(label: phase, fraction: nil, startedTick: state.activity?.startedTick ?? state.tick)
        case let .connected(.success(target), home, config):
            state.connecting = false
            state.activity = nil
            state.connected = true
            state.connect.connectedTo = target
            state.connect.home = home
            state.connect.missingTools = []
            // The config shown on Connect may have changed since (↑↓ recent): the
            // wizard uses the one this connection was made with.
            if let config {
                state.connect.active = config
                fillDefaults(&state, config)
            }
            state.notice = nil
            // A user who went to History or Jobs while connecting stays there.
            if state.screen == .connect { state.screen = .infoFiles }
            var effects: [Effect] = [.list(home ?? "/"), SetupScreens.loadChoices(state)]
            if state.screen == .history { effects.append(.watchHistory) }
            if let (record, action) = state.pendingRecordAction {
                state.pendingRecordAction = nil
                if target == RunScreens.cluster(of: record) {
                    effects += RunScreens.act(&state, action, on: record)
                } else {
                    state.error = "connected to \(target), but job \(record.jobID ?? record.id) ran on \(RunScreens.cluster(of: record)): "
                        + "its config \(record.configPath) now points elsewhere, so nothing was done"
                }
            }
            return effects
        case let .connected(.failure(error), _, _):
            state.connecting = false
            state.pendingRecordAction = nil
            state.activity = nil
            state.error = "\(error)"
        case let .listed(path, _, _) where state.infoFiles.listing.map({ $0 != path }) ?? false:
            break // a folder the user has left since
        case let .listed(_, cluster?, _) where cluster != state.connect.connectedTo:
            break // a cluster the user has left since
        case let .listed(path, _, .success(entries)):
            // What the user typed while the first listing (or a refresh) was on its way stays, and so does the selected row.
            let again = state.infoFiles.directory.isEmpty || state.infoFiles.directory == path
            let typed = again ? state.infoFiles.list.filter : ""
            let selected = again ? state.infoFiles.list.selectedItem.map { state.infoFiles.list.items[$0] } : nil
            state.infoFiles.directory = path
            state.infoFiles.entries = entries
            state.infoFiles.list.setItems([".."] + entries.map { $0.kind == .directory ? $0.name + "/" : $0.name })
            state.infoFiles.list.filter = typed
            if let selected, let index = state.infoFiles.list.visible.firstIndex(where: { state.infoFiles.list.items[$0] == selected }) {
                state.infoFiles.list.selected = index
            }
        case let .listed(path, _, .failure(error)):
            state.error = "cannot list \(path): \(error)"
        case let .infoFetched(role, path, _) where state.infoFiles.fetching[role.rawValue].map({ $0 != path }) ?? false:
            break // a path picked before the latest one for this slot
        case let .infoFetched(role, _, .success(fetched)):
            state.infoFiles.fetched[role.rawValue] = fetched
            state.infoFiles.problems[role.rawValue] = nil
            state.infoFiles.verified = nil
            state.infoFiles.verdict = nil
            if role == .application, state.infoFiles.fetched(.data) == nil { state.infoFiles.active = .data }
        case let .infoFetched(role, _, .failure(error)):
            // A path that did not work never replaces a pick that did.
            if let kept = state.infoFiles.fetched(role) {
                state.error = "\(error)\n\nThe earlier pick, \(kept.remotePath), is kept."
            } else {
                state.infoFiles.problems[role.rawValue] = "\(error)"
            }
        case let .checksumProgress(done, total):
            state.activity = Activity(label: "verifying SHA-512 checksums", fraction: total == 0 ? nil : Double(done) / Double(total))
        case let .verified(paths, _) where paths != InfoRole.allCases.map({ state.infoFiles.fetched($0)?.remotePath ?? "" }):
            // Files picked since: this verdict is not about them.
            state.activity = nil
        case .verified(_, .success):
            state.activity = nil
            state.infoFiles.verified = true
            state.infoFiles.verdict = "both files match their SHA-512 checksums"
        case let .verified(_, .failure(error)):
            state.activity = nil
            state.infoFiles.verified = false
            state.infoFiles.verdict = "\(error)"
            state.error = "\(error)"
            state.screen = .infoFiles
        case let .clusterChoices(cluster, _, _, _) where cluster != state.connect.connectedTo,
             let .toolsMissing(cluster, _) where cluster != state.connect.connectedTo:
            break // about a cluster the user has left since
        case let .clusterChoices(_, partitions, accounts, nodes):
            state.options.partitions = partitions.map(\.name)
            state.options.partitionSummaries = Dictionary(partitions.map { ($0.name, $0.summary) }, uniquingKeysWith: { first, _ in first })
            state.options.accounts = accounts
            state.options.nodes = nodes
            // The cluster's default partition first, as sbatch would pick it.
            if state.options.fields[2].text.isEmpty, let first = partitions.first(where: \.isDefault) ?? partitions.first {
                state.options.fields[2].set(first.name)
            }
            if state.options.fields[4].text.isEmpty, let first = accounts.first { state.options.fields[4].set(first) }
        case let .openClusters(names):
            state.connect.openClusters = names
        case let .toolsMissing(_, names):
            state.connect.missingTools = names
        case let .templates(names):
            if !names.isEmpty { state.runtime.templates = names }
        case let .prepared(.success(prepared)):
            state.activity = nil
            state.preview.prepared = prepared
            state.preview.draftID = prepared.plan.submissionID
            // A kept edit stays what is shown and submitted until the user discards it.
            if state.preview.edited {
                state.notice = "your edited SBATCH is kept; r renders afresh (asks first)"
            } else {
                setPreview(&state, prepared.sbatch)
            }
        case let .prepared(.failure(error)):
            state.activity = nil
            state.error = "\(error)"
            state.screen = error.kind == .verification || error.kind == .infoFile ? .infoFiles : .runtime
        case let .edited(text):
            if text != state.preview.text {
                setPreview(&state, text)
                state.preview.edited = true
            }
        case let .submitProgress(text):
            state.activity = Activity(label: text, fraction: nil)
        case let .submitted(.success(record)):
            state.activity = nil
            state.submissionInFlight = false
            state.draftChanged = false
            // The next job from these forms is a new draft with its own id.
            state.preview.draftID = nil
            state.preview.edited = false
            state.notice = "submitted as job \(record.jobID ?? "?")"
            return RunScreens.attach(&state, record)
        case let .submitted(.failure(error)):
            state.activity = nil
            state.submissionInFlight = false
            // History keeps the failed attempt under its id: a retry is a new
            // submission, so the preview is rendered again with a new one.
            state.preview.draftID = nil
            state.preview.prepared = nil
            let error = "\(error)"
            let effects = state.screen == .preview ? RunScreens.preparePreview(&state) : []
            state.error = error
            return effects
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
        case let .logBytes(data):
            state.monitor.log.append(data)
            updateStep(&state, data)
        case let .reconnected(count):
            state.monitor.reconnects = count
        case let .followEnded(problem):
            state.monitor.following = false
            if let problem { state.error = problem }
        case let .cancelResult(text):
            state.notice = text
        case let .resultsProgress(fraction):
            state.activity = Activity(label: "fetching results", fraction: fraction)
        case let .results(.success(results)):
            state.activity = nil
            state.monitor.results = results
            state.monitor.resultsError = nil
        case let .results(.failure(error)):
            state.activity = nil
            state.monitor.resultsError = "\(error)"
            state.error = "\(error)"
        case let .historyPage(page):
            return HistoryScreen.apply(&state, page)
        case let .historyCount(count):
            return HistoryScreen.apply(&state, count)
        case let .historyRecord(record):
            return HistoryScreen.apply(&state, record: record)
        case let .jobsListed(result):
            JobsScreen.apply(&state, result)
        case let .jobOpened(.success(record)):
            state.notice = nil
            return RunScreens.attach(&state, record)
        case let .jobOpened(.failure(failure)):
            state.error = failure.message
        case let .failed(text):
            state.activity = nil
            state.connecting = false
            state.error = text
        case let .notice(text):
            state.notice = text
        case .input, .tick:
            break
        }
        return []
    }

    /// Sensible starting values from the config (all editable).
    static func fillDefaults(_ state: inout AppState, _ config: HPCSConfig) {
        if state.options.fields[0].text.isEmpty { state.options.fields[0].set(JobSpec.defaultJobName(username: config.supercomputer.username)) }
        if state.options.fields[1].text.isEmpty { state.options.fields[1].set("1") }
        if state.options.fields[3].text.isEmpty { state.options.fields[3].set("01:00:00") }
    }

    static func setPreview(_ state: inout AppState, _ text: String) {
        let old = state.preview.text.isEmpty ? nil : state.preview.text
        state.preview.previousText = old
        state.preview.text = text
        guard let old else { state.preview.changedLines = []; return }
        let oldLines = Set(old.split(separator: "\n", omittingEmptySubsequences: false))
        state.preview.changedLines = Set(text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            .filter { !oldLines.contains($0.element) }.map(\.offset))
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
}
