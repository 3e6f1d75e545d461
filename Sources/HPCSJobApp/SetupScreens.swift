import Foundation
import JobPreparation
import SecureShell
import TerminalUI

/// Connect, Info files and Job options: keys → state + effects. Each returns
/// nil for a key it does not use, so the global bindings get it.
enum SetupScreens {
    static func connectKey(_ state: inout AppState, _ key: Key, _ keys: KeyMap) -> [Effect]? {
        if state.connecting {
            guard keys.matches(key, .back) || key == .enter else { return nil }
            if key == .enter { state.notice = "already connecting; \(keys.label(.back)) gives up"; return [] }
            state.connecting = false
            state.activity = nil
            state.notice = "connection attempt cancelled"
            return [.cancelConnect]
        }
        switch key {
        case .enter:
            let path = state.connect.configPath.text
            guard !path.isEmpty else { state.notice = "type the path of an HPCS client config"; return [] }
            state.activity = Activity(label: "connecting", fraction: nil, startedTick: state.tick)
            state.connecting = true
            return [.loadConfig(path), .connect(path)]
        case .up, .down:
            guard !state.connect.recent.isEmpty else { return [] }
            let current = state.connect.recent.firstIndex(of: state.connect.configPath.text) ?? -1
            let next = key == .up ? max(0, current - 1) : min(state.connect.recent.count - 1, current + 1)
            state.connect.configPath.set(state.connect.recent[next])
            return [.loadConfig(state.connect.recent[next])]
        default:
            guard state.connect.configPath.handle(key) else { return nil }
            state.connect.config = nil
            return []
        }
    }

    /// The cluster's choices, for the config the connection was made with.
    static let verifying = "verifying SHA-512 checksums"

    static func loadChoices(_ state: AppState) -> Effect { .loadClusterChoices(user: state.connect.active?.supercomputer.username) }

    static func fetch(_ state: AppState, _ role: InfoRole, _ path: String) -> Effect {
        .fetchInfo(role, path, trustDomain: state.connect.active?.spireServer.trustDomain ?? "")
    }

    /// The file list filters as the user types: every printable key is
    /// the filter's, except the few that start a typed path.
    static func infoKey(_ state: inout AppState, _ key: Key, _ keys: KeyMap) -> [Effect]? {
        var info = state.infoFiles
        defer { state.infoFiles = info }
        if var typed = info.typedPath {
            switch key {
            case .enter:
                info.typedPath = nil
                let path = absolute(typed.text, in: info.directory)
                if path.hasSuffix("/") || !path.contains(".") { return [.list(path)] }
                return [fetch(state, info.active, path)]
            case .escape:
                info.typedPath = nil
            case .character("/") where typed.text.hasSuffix("/") && typed.cursor == typed.text.count:
                // A "/" right after a "/" starts an absolute path over the
                // prefilled folder, as in a file dialog: "/u/" + "/abs" is "/abs".
                info.typedPath = TextFieldState("/")
            case .character("~") where typed.text.hasSuffix("/") && typed.cursor == typed.text.count:
                info.typedPath = TextFieldState(homeFolder(state) + "/")
            case .tab:
                let (effects, notice) = complete(&typed, in: info)
                info.typedPath = typed
                if let notice { state.notice = notice }
                return effects
            default:
                guard typed.handle(key) else { return nil }
                info.typedPath = typed
            }
            return []
        }
        switch keys.action(for: key, among: [.focusNext, .focusPrevious, .infoTypePath, .infoHome, .infoVerify, .back]) {
        case .focusNext, .focusPrevious:
            info.active = info.active == .application ? .data : .application
            return []
        case .infoTypePath:
            info.typedPath = TextFieldState(info.directory.hasSuffix("/") ? info.directory : info.directory + "/")
            return []
        case .infoHome:
            info.list.filter = ""
            return [.list(homeFolder(state))]
        case .infoVerify:
            guard let app = info.fetched(.application), let data = info.fetched(.data) else {
                state.notice = "pick both info files before verifying"
                return []
            }
            state.activity = Activity(label: SetupScreens.verifying, fraction: 0)
            info.verified = nil
            return [.verify([app, data])]
        case .back:
            // Esc clears the filter first; with none, the screen is left.
            guard !info.list.filter.isEmpty else { return nil }
            info.list.filter = ""
            info.list.selected = 0
            return []
        default: break
        }
        switch key {
        case .enter:
            guard let index = info.list.selectedItem else { return [] }
            if index == 0 { return [.list(parent(of: info.directory))] }
            let entry = info.entries[index - 1]
            let path = (info.directory == "/" ? "" : info.directory) + "/" + entry.name
            if entry.kind == .directory || entry.kind == .symlink && !entry.name.contains(".") { return [.list(path)] }
            guard entry.name.hasSuffix(".yaml") || entry.name.hasSuffix(".yml") else {
                state.notice = "\(entry.name) is not an info file: pick the *.info.yaml that describes it (/ types any path)"
                return []
            }
            info.problems[info.active.rawValue] = nil
            info.list.filter = ""
            return [fetch(state, info.active, path)]
        case .left:
            return [.list(parent(of: info.directory))]
        case .backspace where info.list.filter.isEmpty:
            return [.list(parent(of: info.directory))]
        default:
            return info.list.handle(key, filtering: true) ? [] : nil
        }
    }

    static func homeFolder(_ state: AppState) -> String { state.connect.home ?? "/" }

    /// Tab in a typed path, as in a shell: completes from the folder shown;
    /// another folder is read first (Tab again completes).
    static func complete(_ typed: inout TextFieldState, in info: InfoFilesState) -> ([Effect], String?) {
        let text = typed.text
        let slash = text.lastIndex(of: "/")
        let folderText = slash.map { String(text[...$0]) } ?? ""
        let prefix = slash.map { String(text[text.index(after: $0)...]) } ?? text
        let folder = absolute(folderText, in: info.directory).dropLastSlash
        guard folder == info.directory else { return ([.list(folder)], "reading \(folder); Tab again completes") }
        let names = info.entries.filter { $0.name.hasPrefix(prefix) }.map { $0.kind == .directory ? $0.name + "/" : $0.name }.sorted()
        guard let first = names.first else { return ([], "nothing in \(folder) starts with “\(prefix)”") }
        let common = names.dropFirst().reduce(first) { shared, name in String(zip(shared, name).prefix { $0 == $1 }.map(\.0)) }
        typed.set(folderText + common)
        if names.count == 1, common.hasSuffix("/") {
            return ([.list(absolute(folderText + common, in: info.directory).dropLastSlash)], nil)
        }
        return ([], names.count > 1 ? "\(names.count) match: " + names.prefix(6).joined(separator: "  ") : nil)
    }

    static func absolute(_ path: String, in directory: String) -> String {
        path.hasPrefix("/") ? path : (directory.hasSuffix("/") ? directory : directory + "/") + path
    }

    static func parent(of directory: String) -> String {
        let parent = (directory as NSString).deletingLastPathComponent
        return parent.isEmpty ? "/" : parent
    }

    /// Connect and Info files: the connection, the config, listings, picks, checksums.
    /// (nil for a message that is another screen's)
    static func reply(_ state: inout AppState, _ message: Message) -> [Effect]? {
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
                    effects += HistoryActions.act(&state, action, on: record)
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
        default: return nil
        }
        return []
    }

    /// Sensible starting values from the config (all editable).
    static func fillDefaults(_ state: inout AppState, _ config: HPCSConfig) {
        if state.options.fields[0].text.isEmpty { state.options.fields[0].set(JobSpec.defaultJobName(username: config.supercomputer.username)) }
        if state.options.fields[1].text.isEmpty { state.options.fields[1].set("1") }
        if state.options.fields[3].text.isEmpty { state.options.fields[3].set("01:00:00") }
    }
}

extension String {
    /// A folder path without its trailing slash (but "/" stays "/").
    var dropLastSlash: String { count > 1 && hasSuffix("/") ? String(dropLast()) : self }
}
