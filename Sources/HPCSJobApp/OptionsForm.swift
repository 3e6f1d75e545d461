import JobPreparation
import TerminalUI

/// The Job options form's fields: title, what the job spec calls the field,
/// the cluster's choices for it, and how its text is checked.
enum OptionField: Int, CaseIterable, Sendable {
    case jobName, nodes, partition, time, account, nodeList, workdir

    var title: String {
        ["Job name", "Nodes", "Partition", "Time", "Account", "Node list", "Work directory"][rawValue]
    }

    /// The field name in `JobDraft.problems()`.
    var specName: String {
        ["job-name", "nodes", "partition", "time", "account", "nodelist", "workdir"][rawValue]
    }

    func choices(_ options: OptionsState) -> [String] {
        switch self {
        case .partition: options.partitions
        case .account: options.accounts
        case .nodeList: options.nodes
        default: []
        }
    }

    /// What is wrong with the field's text, on its own terms first, then as
    /// the job spec sees it, then against what the cluster says it has.
    func problem(_ state: AppState) -> String? {
        let text = state.options[self].text
        switch self {
        case .nodes:
            if text.isEmpty { return "Nodes is empty: how many nodes the job needs, 1 or more" }
            if Int(text) == nil { return "'\(text)' is not a node count: use a whole number of at least 1" }
        case .account:
            if text.isEmpty { return nil }
        case .jobName, .partition, .time, .nodeList, .workdir:
            if text.isEmpty {
                let known = choices(state.options)
                return "\(title) is empty" + (known.isEmpty ? "" : ": the cluster has \(known.prefix(4).joined(separator: ", "))")
            }
        }
        if let problem = state.jobDraft.problems().first(where: { $0.field == specName }) {
            return problem.fix.map { "\(problem.message): \($0)" } ?? problem.message
        }
        let known = choices(state.options)
        switch self {
        case .partition, .account:
            if !known.isEmpty, !known.contains(text) {
                return "'\(text)' is not one of the cluster's: \(known.prefix(6).joined(separator: ", "))\(known.count > 6 ? ", …" : "")"
            }
        case .nodeList:
            // Plain names are checked; ranges (nid[001-004]) are Slurm's to expand.
            let names = text.split(separator: ",").map(String.init)
            if !known.isEmpty, !text.contains("["), let unknown = names.first(where: { !known.contains($0) }) {
                return "'\(unknown)' is not a node of this cluster (\(known.prefix(4).joined(separator: ", "))\(known.count > 4 ? ", …" : ""))"
            }
        default: break
        }
        return nil
    }

    static func problems(_ state: AppState) -> [OptionField: String] {
        var found: [OptionField: String] = [:]
        for field in allCases { found[field] = field.problem(state) }
        return found
    }
}

extension OptionsState {
    subscript(field: OptionField) -> TextFieldState {
        get { fields[field.rawValue] }
        set { fields[field.rawValue] = newValue }
    }

    var focusedField: OptionField { OptionField(rawValue: focus) ?? .jobName }
}

/// Keys and drawing for the form.
enum OptionsForm {
    static func key(_ state: inout AppState, _ key: Key, _ keys: KeyMap) -> [Effect]? {
        var options = state.options
        defer { state.options = options }
        let count = OptionField.allCases.count
        if var picker = options.picker {
            // The list takes every key: letters filter, Enter picks, Esc closes.
            switch key {
            case .enter:
                if let index = picker.selectedItem { options.fields[options.focus].set(options.focusedField.choices(options)[index]) }
                options.picker = nil
            case .escape:
                options.picker = nil
            default:
                guard picker.handle(key, filtering: true) else { return keys.matches(key, .quit) ? nil : [] }
                options.picker = picker
            }
            return []
        }
        switch keys.action(for: key, among: [.focusNext, .focusPrevious, .optionsChoices]) {
        case .focusNext: options.focus = (options.focus + 1) % count
        case .focusPrevious: options.focus = (options.focus + count - 1) % count
        case .optionsChoices:
            // The live cluster's choices as a list to pick from; free text stays allowed.
            let choices = options.focusedField.choices(options)
            guard !choices.isEmpty else { state.notice = "no choices from the cluster for this field"; return [] }
            let labels = choices.map { name in options.partitionSummaries[name].map { "\(name)  ·  \($0)" } ?? name }
            options.picker = ListState(items: labels, selected: choices.firstIndex(of: options.fields[options.focus].text) ?? 0)
        default:
            switch key {
            case .down, .enter: options.focus = (options.focus + 1) % count
            case .up: options.focus = (options.focus + count - 1) % count
            default: return options.fields[options.focus].handle(key) ? [] : nil
            }
        }
        return []
    }

    /// F2: on to Runtime only when every field is right; otherwise the
    /// first wrong field gets the focus and its message.
    static func leave(_ state: inout AppState) -> Bool {
        let problems = OptionField.problems(state)
        state.options.checked = true
        guard let first = OptionField.allCases.first(where: { problems[$0] != nil }) else { return true }
        state.options.focus = first.rawValue
        return false
    }

    static func draw(_ buffer: inout CellBuffer, _ state: AppState, _ area: Rect, _ theme: Theme, _ keys: KeyMap) {
        let inner = Frame.draw(&buffer, area, title: "Slurm options", focused: true, theme: theme)
        let problems = OptionField.problems(state)
        let fields = OptionField.allCases
        // Two rows a field when there is room, else one, scrolled to the focus;
        // the rows below hold the focused field's message whole.
        let step = inner.height >= fields.count * 2 + 3 ? 2 : 1
        let formRows = min(fields.count * step, max(1, inner.height - 3))
        let visibleFields = max(1, formRows / step)
        let first = max(0, min(state.options.focus - visibleFields + 1, fields.count - visibleFields))
        let labelWidth = 18
        for field in fields.dropFirst(first).prefix(visibleFields) {
            let row = (field.rawValue - first) * step
            let focused = field.rawValue == state.options.focus
            let shown = problems[field] != nil && (state.options.checked || !state.options[field].text.isEmpty)
            Frame.line(&buffer, (shown ? "✗ " : "  ") + field.title, at: inner, row: row,
                       style: theme[shown ? .statusError : (focused ? .title : .text)])
            let fieldArea = Rect(x: inner.x + labelWidth, y: inner.y + row, width: min(40, inner.width - labelWidth), height: 1)
            TextField.draw(&buffer, state.options[field], area: fieldArea, focused: focused, theme: theme)
            let noteX = fieldArea.maxX + 2
            let noteArea = Rect(x: noteX, y: inner.y + row, width: max(0, inner.maxX - noteX), height: 1)
            let choices = field.choices(state.options)
            if shown, let problem = problems[field] {
                Frame.line(&buffer, problem, at: noteArea, row: 0, style: theme[.statusError])
            } else if field == .partition, let summary = state.options.partitionSummaries[state.options[field].text] {
                // What the cluster says about the partition chosen: its limit and idle nodes.
                Frame.line(&buffer, summary, at: noteArea, row: 0, style: theme[.dim])
            } else if !choices.isEmpty {
                Frame.line(&buffer, "\(keys.label(.optionsChoices)): " + choices.prefix(4).joined(separator: ", "), at: noteArea, row: 0,
                           style: theme[.dim])
            }
        }
        if let picker = state.options.picker {
            // Below the focused field, over the rest of the form.
            let top = inner.y + (state.options.focus - first) * step + 1
            let height = min(picker.visible.count + 3, max(3, inner.maxY - top))
            let box = Rect(x: inner.x + labelWidth - 1, y: top, width: max(10, inner.width - labelWidth + 1), height: height)
            buffer.fill(box, style: theme[.modal])
            let title = "\(state.options.focusedField.title)" + (picker.filter.isEmpty ? "" : " · \(picker.filter)")
            let listArea = Frame.draw(&buffer, box, title: title, focused: true, theme: theme)
            ListView.draw(&buffer, picker, area: listArea, focused: true, theme: theme)
            return
        }
        let messageArea = Rect(x: inner.x, y: inner.y + formRows + 1, width: inner.width, height: max(0, inner.height - formRows - 1))
        let focused = state.options.focusedField
        if let problem = problems[focused], state.options.checked || !state.options[focused].text.isEmpty {
            for (row, line) in Frame.wrap(focused.title + ": " + problem, width: max(1, messageArea.width)).enumerated() {
                Frame.line(&buffer, line, at: messageArea, row: row, style: theme[.statusError])
            }
        } else if focused == .partition, let summary = state.options.partitionSummaries[state.options[focused].text] {
            // Whole here, however narrow the note beside the field.
            for (row, line) in Frame.wrap("Partition \(state.options[focused].text): " + summary, width: max(1, messageArea.width)).enumerated() {
                Frame.line(&buffer, line, at: messageArea, row: row, style: theme[.dim])
            }
        } else if first > 0 || first + visibleFields < fields.count {
            Frame.line(&buffer, "field \(focused.rawValue + 1) of \(fields.count) · ↑↓ for the others", at: messageArea, row: 0,
                       style: theme[.dim])
        }
        let missing = state.connect.missingTools
        if !missing.isEmpty, messageArea.height >= 3 {
            // On the last rows, whole (shorter when narrow): a job would stop at step 2 for want of these.
            let width = max(1, messageArea.width), rows = messageArea.height - 1
            let lacking = "Jobs from this login node lack \(missing.joined(separator: ", "))"
            let texts = missing == ["singularity/apptainer"] ? [lacking + ": ask the site for its container runtime"]
                : [lacking + ": run `hpcs-job tools pin --config \(state.connect.active?.path ?? "CONFIG")` once (README: A new site)",
                   lacking + ": run `hpcs-job tools pin`"]
            let lines = texts.map { Frame.wrap($0, width: width) }.first { $0.count <= rows } ?? Array(Frame.wrap(texts[texts.count - 1], width: width).prefix(rows))
            for (index, line) in lines.enumerated() {
                Frame.line(&buffer, line, at: messageArea, row: messageArea.height - lines.count + index, style: theme[.statusWarn])
            }
        }
    }

    /// The cluster's choices and the job's tools, for the form.
    /// (nil for a message that is another screen's)
    static func reply(_ state: inout AppState, _ message: Message) -> [Effect]? {
        switch message {
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
        case let .toolsMissing(_, names):
            state.connect.missingTools = names
        case let .templates(names):
            if !names.isEmpty { state.runtime.templates = names }
        default: return nil
        }
        return []
    }
}
