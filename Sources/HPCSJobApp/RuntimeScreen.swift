import Foundation
import JobPreparation
import SecureShell
import TerminalUI

/// Application arguments and Singularity flags as editable word lists.
enum RuntimeScreen {
    static func key(_ state: inout AppState, _ key: Key, _ keys: KeyMap) -> [Effect]? {
        var runtime = state.runtime
        defer { state.runtime = runtime }
        if let (field, index) = runtime.editing {
            var field = field
            switch key {
            case .enter:
                store(&runtime, field.text, at: index)
            case .escape:
                runtime.editing = nil
                runtime.notice = nil
            default:
                guard field.handle(key) else { return nil }
                runtime.editing = (field, index)
            }
            return []
        }
        switch keys.action(for: key, among: [.focusNext, .focusPrevious]) {
        case .focusNext:
            runtime.section = RuntimeState.Section(rawValue: (runtime.section.rawValue + 1) % 5) ?? .arguments
            return []
        case .focusPrevious:
            runtime.section = RuntimeState.Section(rawValue: (runtime.section.rawValue + 4) % 5) ?? .arguments
            return []
        default: break
        }
        switch runtime.section {
        case .arguments, .flags:
            return listKey(&runtime, key, keys) ? [] : nil
        case .inputScripts, .outputScripts, .template:
            // ↑↓ move between these fields, as on Job options.
            if key == .up || key == .down {
                // Up from the first field reaches the flags list; down stops at the template.
                let next = min(runtime.section.rawValue + (key == .up ? -1 : 1), RuntimeState.Section.template.rawValue)
                runtime.section = RuntimeState.Section(rawValue: next) ?? .flags
                return []
            }
            if runtime.section == .inputScripts { return runtime.inputScripts.handle(key) ? [] : nil }
            if runtime.section == .outputScripts { return runtime.outputScripts.handle(key) ? [] : nil }
            guard key == .left || key == .right || key == .enter || key == .character(" ") else { return nil }
            let count = max(1, runtime.templates.count)
            runtime.template = (runtime.template + (key == .left ? count - 1 : 1)) % count
            return []
        }
    }

    /// False when the key is not for the list.
    static func listKey(_ runtime: inout RuntimeState, _ key: Key, _ keys: KeyMap) -> Bool {
        let isArguments = runtime.section == .arguments
        var words = isArguments ? runtime.arguments : runtime.flags
        var list = isArguments ? runtime.argumentList : runtime.flagList
        let selected = list.selectedItem
        let actions: [Action] = [.runtimeAdd, .runtimeEdit, .runtimeDelete, .runtimeMoveUp, .runtimeMoveDown, .runtimeUndo]
        switch keys.action(for: key, among: actions) {
        case .runtimeAdd:
            runtime.editing = (TextFieldState(), nil)
        case .runtimeEdit:
            // Shown quoted, so keeping it unchanged gives back the same one word.
            guard let selected else { runtime.notice = "nothing to edit: a adds a word"; return true }
            runtime.editing = (TextFieldState(ShellQuote.quoteIfNeeded(words[selected])), selected)
        case .runtimeDelete:
            guard let selected else { runtime.notice = "nothing to delete"; return true }
            let word = words.remove(at: selected)
            runtime.deleted = (runtime.section, selected, word)
            runtime.notice = "deleted ⟨\(word)⟩: u puts it back"
        case .runtimeMoveUp:
            guard let selected, selected > 0 else { runtime.notice = "already the first word"; return true }
            words.swapAt(selected, selected - 1)
            list.selected -= 1
        case .runtimeMoveDown:
            guard let selected, selected + 1 < words.count else { runtime.notice = "already the last word"; return true }
            words.swapAt(selected, selected + 1)
            list.selected += 1
        case .runtimeUndo:
            guard let deleted = runtime.deleted, deleted.section == runtime.section else {
                runtime.notice = "nothing deleted here to put back"
                return true
            }
            words.insert(deleted.word, at: min(deleted.index, words.count))
            list.selected = min(deleted.index, words.count - 1)
            runtime.deleted = nil
            runtime.notice = "⟨\(deleted.word)⟩ is back"
        default:
            guard list.handle(key) else { return false }
        }
        list.items = words
        list.selected = min(list.selected, max(0, words.count - 1))
        if isArguments { runtime.arguments = words; runtime.argumentList = list } else { runtime.flags = words; runtime.flagList = list }
        return true
    }

    /// A typed entry with spaces or quotes is split with shell rules and
    /// shown word by word; one that does not parse stays in the field.
    static func store(_ runtime: inout RuntimeState, _ text: String, at index: Int?) {
        let isArguments = runtime.section == .arguments
        var words = isArguments ? runtime.arguments : runtime.flags
        var pieces = [text]
        runtime.notice = nil
        if text.contains(where: { $0 == " " || $0 == "'" || $0 == "\"" || $0 == "\\" }) {
            do {
                pieces = try ShellWords.split(text)
            } catch {
                runtime.notice = "\(error): close the quote, or Esc to discard"
                return
            }
            if pieces.count > 1 {
                runtime.notice = "split into \(pieces.count) words: " + pieces.map { "⟨\($0)⟩" }.joined(separator: " ")
            }
        }
        runtime.editing = nil
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
