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
                if target == record.cluster {
                    effects += RunScreens.act(&state, action, on: record)
                } else {
                    state.error = "connected to \(target), but job \(record.jobID ?? record.id) ran on \(record.cluster): "
                        + "its config \(record.configPath) now points elsewhere, so nothing was done"
                }
            }
            return effects
        case let .connected(.failure(error), _, _):
            state.connecting = false
            state.pendingRecordAction = nil
            state.activity = nil
            state.error = "\(error)"
        case let .listed(_, path, .success(entries)):
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
        case let .listed(_, path, .failure(error)):
            state.error = "cannot list \(path): \(error)"
        case let .infoFetched(_, role, _, .success(fetched)):
            state.infoFiles.fetched[role.rawValue] = fetched
            state.infoFiles.problems[role.rawValue] = nil
            state.infoFiles.verified = nil
            state.infoFiles.verdict = nil
            if role == .application, state.infoFiles.fetched(.data) == nil { state.infoFiles.active = .data }
        case let .infoFetched(_, role, _, .failure(error)):
            // A path that did not work never replaces a pick that did.
            if let kept = state.infoFiles.fetched(role) {
                state.error = "\(error)\n\nThe earlier pick, \(kept.remotePath), is kept."
            } else {
                state.infoFiles.problems[role.rawValue] = "\(error)"
            }
        case let .checksumProgress(done, total):
            state.activity = Activity(label: SetupScreens.verifying, fraction: total == 0 ? nil : Double(done) / Double(total))
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
        case let .prepared(_, cluster, .success(prepared)):
            state.activity = nil
            state.preview.prepared = prepared
            state.preview.cluster = cluster
            state.preview.draftID = prepared.plan.submissionID
            // A kept edit stays what is shown and submitted until the user discards it.
            if state.preview.edited {
                state.notice = "your edited SBATCH is kept; r renders afresh (asks first)"
            } else {
                setPreview(&state, prepared.sbatch)
            }
        case let .prepared(_, _, .failure(error)):
            state.activity = nil
            state.error = "\(error)"
            // What is wrong decides where the user fixes it; a lost connection is nothing to fix in the forms.
            if error.kind == .verification || error.kind == .infoFile {
                state.screen = .infoFiles
            } else if !error.isConnection {
                state.screen = .runtime
            }
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
            return MonitorScreen.attach(&state, record)
        case let .submitted(.failure(error)):
            state.activity = nil
            state.submissionInFlight = false
            // History keeps the failed attempt under its id: a retry is a new
            // submission, so the preview is rendered again with a new one.
            state.preview.draftID = nil
            state.preview.prepared = nil
            if error.isConnection {
                // Rendering again would meet the same lost connection; History keeps the attempt and the next connection finds a queued job.
                state.error = "\(error)\n\nThe submission is kept in History; once connected again it is found if Slurm queued it, and F2 renders it afresh."
                return []
            }
            let effects = state.screen == .preview ? RunScreens.preparePreview(&state) : []
            state.error = "\(error)"
            return effects
        case let .monitor(_, reply):
            return MonitorScreen.apply(&state, reply)
        case let .cancelResult(text):
            state.notice = text
        case let .historyPage(page):
            return HistoryScreen.apply(&state, page)
        case let .historyCount(count):
            return HistoryScreen.apply(&state, count)
        case let .historyRecord(record):
            return HistoryScreen.apply(&state, record: record)
        case let .jobsListed(_, cluster, result):
            JobsScreen.apply(&state, on: cluster, result)
        case let .jobOpened(_, .success(record)):
            state.notice = nil
            return MonitorScreen.attach(&state, record)
        case let .jobOpened(_, .failure(failure)):
            state.error = failure.message
        case let .notOpen(cluster, action):
            state.activity = nil
            state.error = "\(action) was not done: this session has no connection to \(cluster). "
                + "Open its submission in History (it offers to connect), then try again."
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
}
