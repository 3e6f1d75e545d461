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
                return [.fetchInfo(info.active, path)]
            case .escape:
                info.typedPath = nil
            case .character("/") where typed.text.hasSuffix("/") && typed.cursor == typed.text.count:
                // A "/" right after a "/" starts an absolute path over the
                // prefilled folder, as in a file dialog: "/u/" + "/abs" is "/abs".
                info.typedPath = TextFieldState("/")
            case .character("~") where typed.text.hasSuffix("/") && typed.cursor == typed.text.count:
                info.typedPath = TextFieldState(homeFolder(state) + "/")
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
            state.activity = Activity(label: "verifying SHA-512 checksums", fraction: 0)
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
            info.problems[info.active.rawValue] = nil
            info.list.filter = ""
            return [.fetchInfo(info.active, path)]
        case .left:
            return [.list(parent(of: info.directory))]
        case .backspace where info.list.filter.isEmpty:
            return [.list(parent(of: info.directory))]
        default:
            return info.list.handle(key, filtering: true) ? [] : nil
        }
    }

    static func homeFolder(_ state: AppState) -> String { state.connect.home ?? "/" }

    static func absolute(_ path: String, in directory: String) -> String {
        path.hasPrefix("/") ? path : (directory.hasSuffix("/") ? directory : directory + "/") + path
    }

    static func parent(of directory: String) -> String {
        let parent = (directory as NSString).deletingLastPathComponent
        return parent.isEmpty ? "/" : parent
    }
}
