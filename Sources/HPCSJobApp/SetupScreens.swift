import Foundation
import JobPreparation
import SecureShell
import TerminalUI

/// Connect, Info files and Job options: keys → state + effects.
enum SetupScreens {
    static func connectKey(_ state: inout AppState, _ key: Key) -> [Effect] {
        switch key {
        case .enter:
            let path = state.connect.configPath.text
            guard !path.isEmpty else { state.notice = "type the path of an HPCS client config"; return [] }
            state.activity = Activity(label: "connecting", fraction: nil)
            return [.loadConfig(path), .connect(path)]
        case .up, .down:
            guard !state.connect.recent.isEmpty else { return [] }
            let current = state.connect.recent.firstIndex(of: state.connect.configPath.text) ?? -1
            let next = key == .up ? max(0, current - 1) : min(state.connect.recent.count - 1, current + 1)
            state.connect.configPath.set(state.connect.recent[next])
            return [.loadConfig(state.connect.recent[next])]
        default:
            if state.connect.configPath.handle(key) {
                state.connect.config = nil
                return []
            }
            return []
        }
    }

    static func infoKey(_ state: inout AppState, _ key: Key) -> [Effect] {
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
            default:
                _ = typed.handle(key)
                info.typedPath = typed
            }
            return []
        }
        switch key {
        case .tab, .backTab:
            info.active = info.active == .application ? .data : .application
        case .character("/"), .character(":"):
            info.typedPath = TextFieldState(info.directory.hasSuffix("/") ? info.directory : info.directory + "/")
        case .escape:
            if !info.list.filter.isEmpty { info.list.filter = ""; return [] }
            state.infoFiles = info
            Navigation.back(&state)
            info = state.infoFiles
        case .enter:
            guard let index = info.list.selectedItem else { return [] }
            if index == 0 { return [.list(parent(of: info.directory))] }
            let entry = info.entries[index - 1]
            let path = (info.directory == "/" ? "" : info.directory) + "/" + entry.name
            if entry.kind == .directory || entry.kind == .symlink && !entry.name.contains(".") { return [.list(path)] }
            info.problems[info.active.rawValue] = nil
            info.list.filter = ""
            return [.fetchInfo(info.active, path)]
        case .character("v"):
            guard let app = info.fetched(.application), let data = info.fetched(.data) else {
                state.notice = "pick both info files before verifying"
                return []
            }
            state.activity = Activity(label: "verifying SHA-512 checksums", fraction: 0)
            info.verified = nil
            return [.verify([app, data])]
        default:
            _ = info.list.handle(key, filtering: true)
        }
        return []
    }

    static func absolute(_ path: String, in directory: String) -> String {
        path.hasPrefix("/") ? path : (directory.hasSuffix("/") ? directory : directory + "/") + path
    }

    static func parent(of directory: String) -> String {
        let parent = (directory as NSString).deletingLastPathComponent
        return parent.isEmpty ? "/" : parent
    }

    static func optionsKey(_ state: inout AppState, _ key: Key) -> [Effect] {
        var options = state.options
        defer { state.options = options }
        switch key {
        case .tab, .down, .enter: options.focus = (options.focus + 1) % options.fields.count
        case .backTab, .up: options.focus = (options.focus + options.fields.count - 1) % options.fields.count
        case .escape:
            state.options = options
            Navigation.back(&state)
        case .control("o"), .function(4):
            // Cycle through the live cluster's choices; free text stays allowed.
            let choices = [2: options.partitions, 4: options.accounts, 5: options.nodes][options.focus] ?? []
            guard !choices.isEmpty else { state.notice = "no choices from the cluster for this field"; return [] }
            let current = choices.firstIndex(of: options.fields[options.focus].text) ?? -1
            options.fields[options.focus].set(choices[(current + 1) % choices.count])
        default:
            _ = options.fields[options.focus].handle(key)
        }
        return []
    }
}

/// Application arguments and Singularity flags as editable word lists.
enum RuntimeScreen {
    static func key(_ state: inout AppState, _ key: Key) -> [Effect] {
        var runtime = state.runtime
        defer { state.runtime = runtime }
        if let (field, index) = runtime.editing {
            var field = field
            switch key {
            case .enter:
                runtime.editing = nil
                store(&runtime, field.text, at: index)
            case .escape:
                runtime.editing = nil
            default:
                _ = field.handle(key)
                runtime.editing = (field, index)
            }
            return []
        }
        switch key {
        case .tab: runtime.section = RuntimeState.Section(rawValue: (runtime.section.rawValue + 1) % 5) ?? .arguments
        case .backTab: runtime.section = RuntimeState.Section(rawValue: (runtime.section.rawValue + 4) % 5) ?? .arguments
        case .escape:
            state.runtime = runtime
            Navigation.back(&state)
            runtime = state.runtime
        default:
            switch runtime.section {
            case .arguments, .flags: listKey(&runtime, key)
            case .inputScripts: _ = runtime.inputScripts.handle(key)
            case .outputScripts: _ = runtime.outputScripts.handle(key)
            case .template:
                if key == .left || key == .right || key == .enter || key == .character(" ") {
                    let count = max(1, runtime.templates.count)
                    runtime.template = (runtime.template + (key == .left ? count - 1 : 1)) % count
                }
            }
        }
        return []
    }

    static func listKey(_ runtime: inout RuntimeState, _ key: Key) {
        let isArguments = runtime.section == .arguments
        var words = isArguments ? runtime.arguments : runtime.flags
        var list = isArguments ? runtime.argumentList : runtime.flagList
        let selected = list.selectedItem
        switch key {
        case .character("a"), .character("i"): runtime.editing = (TextFieldState(), nil)
        case .character("e"), .enter:
            if let selected { runtime.editing = (TextFieldState(words[selected]), selected) }
        case .character("d"), .delete:
            if let selected { words.remove(at: selected) }
        case .character("K"):
            if let selected, selected > 0 { words.swapAt(selected, selected - 1); list.selected -= 1 }
        case .character("J"):
            if let selected, selected + 1 < words.count { words.swapAt(selected, selected + 1); list.selected += 1 }
        default:
            _ = list.handle(key)
        }
        list.items = words
        list.selected = min(list.selected, max(0, words.count - 1))
        if isArguments { runtime.arguments = words; runtime.argumentList = list } else { runtime.flags = words; runtime.flagList = list }
    }

    /// A typed entry with spaces or quotes is split with shell rules and shown word by word.
    static func store(_ runtime: inout RuntimeState, _ text: String, at index: Int?) {
        let isArguments = runtime.section == .arguments
        var words = isArguments ? runtime.arguments : runtime.flags
        var pieces = [text]
        if text.contains(where: { $0 == " " || $0 == "'" || $0 == "\"" || $0 == "\\" }) {
            do {
                pieces = try ShellWords.split(text)
                runtime.splitNotice = "split into \(pieces.count) words: " + pieces.map { "⟨\($0)⟩" }.joined(separator: " ")
            } catch {
                runtime.splitNotice = "\(error); kept as one word"
            }
        }
        if let index, words.indices.contains(index) { words.replaceSubrange(index...index, with: pieces) } else { words += pieces }
        if isArguments {
            runtime.arguments = words
            runtime.argumentList.items = words
        } else {
            runtime.flags = words
            runtime.flagList.items = words
        }
    }
}
