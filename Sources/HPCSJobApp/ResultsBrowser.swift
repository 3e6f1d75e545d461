import Foundation
import JobRuntime
import TerminalUI

/// What a job's results unpacked to: a tree with sizes, a text file shown
/// in a pane (sanitised, searchable), a file opened in $PAGER or $EDITOR,
/// and the path to copy. Opened with `b` in the Monitor once results are in.
public struct ResultsBrowserState: Sendable {
    public var root: URL
    public var entries: [ResultEntry] = []
    public var scanned = false
    public var selected = 0
    public var top = 0
    /// The file shown in the pane, and its text.
    public var viewing: String?
    public var view = LogViewState(capacity: 200_000)
    public var searching: TextFieldState?
    public var searchMatch: SearchMatch?

    public init(root: URL) { self.root = root }

    public var selectedEntry: ResultEntry? { entries.indices.contains(selected) ? entries[selected] : nil }
}

public struct ResultEntry: Equatable, Sendable {
    /// Relative to the results folder.
    public var path: String
    public var size: Int64
    public var isDirectory: Bool
    public var depth: Int

    public init(path: String, size: Int64, isDirectory: Bool, depth: Int) {
        self.path = path
        self.size = size
        self.isDirectory = isDirectory
        self.depth = depth
    }
}

enum ResultsBrowser {
    /// Files larger than this are not loaded into the pane ($PAGER shows them).
    static let viewLimit = 8 << 20

    /// The tree under `root`, directories first then files, each sorted; symbolic links are listed, not followed.
    static func scan(_ root: URL) -> [ResultEntry] {
        var entries: [ResultEntry] = []
        func walk(_ directory: URL, _ relative: String, _ depth: Int) {
            guard depth < 32, let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return }
            var directories: [String] = []
            var files: [(String, Int64)] = []
            for name in names.sorted() {
                var info = stat()
                guard lstat(directory.appendingPathComponent(name).path, &info) == 0 else { continue }
                if (info.st_mode & S_IFMT) == S_IFDIR { directories.append(name) } else { files.append((name, Int64(info.st_size))) }
            }
            for name in directories {
                let path = relative.isEmpty ? name : relative + "/" + name
                entries.append(ResultEntry(path: path, size: 0, isDirectory: true, depth: depth))
                walk(directory.appendingPathComponent(name), path, depth + 1)
            }
            for (name, size) in files {
                entries.append(ResultEntry(path: relative.isEmpty ? name : relative + "/" + name, size: size, isDirectory: false, depth: depth))
            }
        }
        walk(root, "", 0)
        return entries
    }

    /// A file's bytes for the pane, or why it is not shown there: read
    /// beneath the results' root without following any link.
    static func read(_ path: String, in root: URL) -> Result<Data, JobsFailure> {
        let url = root.appendingPathComponent(path)
        let data: Data
        do { data = try BeneathRoot.read(path, in: root, limit: viewLimit) } catch let refused as BeneathRoot.NotPlain {
            let tooLarge = refused.reason.contains("more than")
            return .failure(JobsFailure(message: tooLarge ? "\(url.lastPathComponent) is too large for the pane: o opens it in $PAGER"
                                                          : "\(url.lastPathComponent) is not shown: \(refused.reason)"))
        } catch {
            return .failure(JobsFailure(message: "cannot read \(url.path)"))
        }
        if data.prefix(8192).contains(0) {
            return .failure(JobsFailure(message: "\(url.lastPathComponent) is binary (\(data.count) bytes): o opens it in $PAGER"))
        }
        return .success(data)
    }

    static func visibleRows(_ state: AppState) -> Int { max(1, state.size.height - 8) }

    /// Text rows of the file pane: the body less the job panel (8), the frame (2) and the path row.
    static func paneRows(_ state: AppState) -> Int { max(1, state.size.height - 3 - 8 - 3) }

    static func key(_ state: inout AppState, _ key: Key, _ keys: KeyMap) -> [Effect]? {
        guard var browser = state.monitor.browser else { return nil }
        var closing = false
        defer { state.monitor.browser = closing ? nil : browser }
        if var search = browser.searching {
            switch key {
            case .enter:
                browser.searching = nil
                (browser.searchMatch, state.notice) = PaneSearch.start(&browser.view, query: search.text)
            case .escape: browser.searching = nil
            default:
                guard search.handle(key) else { return nil }
                browser.searching = search
            }
            return []
        }
        let action = keys.action(for: key, among: [.back, .resultsPager, .resultsEditor, .monitorSearch, .monitorNextMatch, .monitorPreviousMatch,
                                                   .monitorWrap, .monitorBrowse])
        if action == .resultsPager || action == .resultsEditor { return open(&state, browser, editor: action == .resultsEditor) }
        if browser.viewing != nil {
            switch action {
            case .back:
                browser.viewing = nil
                browser.view = LogViewState(capacity: 200_000)
            case .monitorSearch: browser.searching = TextFieldState()
            case .monitorNextMatch, .monitorPreviousMatch:
                (browser.searchMatch, state.notice) = PaneSearch.step(&browser.view, older: action == .monitorNextMatch)
            case .monitorWrap: browser.view.wrap.toggle()
            default: return browser.view.handle(key, page: visibleRows(state)) ? [] : nil
            }
            return []
        }
        let page = max(1, visibleRows(state) - 1)
        switch action {
        case .back, .monitorBrowse:
            closing = true
            return []
        default: break
        }
        switch key {
        case .up, .character("k"): browser.selected -= 1
        case .down, .character("j"): browser.selected += 1
        case .pageUp: browser.selected -= page
        case .pageDown: browser.selected += page
        case .home, .character("g"): browser.selected = 0
        case .end, .character("G"): browser.selected = browser.entries.count - 1
        case .enter:
            guard let entry = browser.selectedEntry, !entry.isDirectory else { return [] }
            return [.readResultFile(root: browser.root, path: entry.path)]
        default: return nil
        }
        browser.selected = max(0, min(browser.selected, browser.entries.count - 1))
        browser.top = max(0, min(browser.top, browser.selected), browser.selected - visibleRows(state) + 1)
        return []
    }

    static func open(_ state: inout AppState, _ browser: ResultsBrowserState, editor: Bool) -> [Effect] {
        let path = browser.viewing ?? browser.selectedEntry.flatMap { $0.isDirectory ? nil : $0.path }
        guard let path else { return [] }
        // $PAGER and $EDITOR follow links: only a plain file of the results reaches them.
        guard BeneathRoot.isPlainFile(path, in: browser.root) else {
            state.notice = "\(path) is a link or not a regular file: not opened"
            return []
        }
        return [.openExternally(browser.root.appendingPathComponent(path).path, editor: editor)]
    }

    static func draw(_ buffer: inout CellBuffer, _ browser: ResultsBrowserState, area: Rect, theme: Theme) {
        buffer.fill(area, style: theme[.text])
        if let viewing = browser.viewing {
            var title = viewing
            title += PaneSearch.title(browser.view, browser.searchMatch)
            let inner = Frame.draw(&buffer, area, title: title, focused: true, theme: theme)
            let (body, pathRow) = inner.splitRows(-1)
            if let searching = browser.searching {
                let (row, rest) = body.splitRows(1)
                buffer.write("/", x: row.x, y: row.y, style: theme[.hintKey])
                TextField.draw(&buffer, searching, area: Rect(x: row.x + 1, y: row.y, width: row.width - 1, height: 1), focused: true, theme: theme)
                LogView.draw(&buffer, browser.view, area: rest, theme: theme)
            } else {
                LogView.draw(&buffer, browser.view, area: body, theme: theme)
            }
            Frame.line(&buffer, browser.root.appendingPathComponent(viewing).path, at: pathRow, row: 0, style: theme[.dim])
            return
        }
        let total = browser.entries.filter { !$0.isDirectory }.reduce(Int64(0)) { $0 + $1.size }
        let inner = Frame.draw(&buffer, area, title: "Results: \(browser.entries.filter { !$0.isDirectory }.count) files, \(byteText(total))",
                               focused: true, theme: theme)
        let (list, pathRow) = inner.splitRows(-1)
        if browser.entries.isEmpty {
            Frame.line(&buffer, browser.scanned ? "the results are empty" : "reading…", at: list, row: 0, style: theme[.dim])
        }
        for row in 0..<list.height {
            let index = browser.top + row
            guard browser.entries.indices.contains(index) else { break }
            let entry = browser.entries[index]
            let name = String(repeating: "  ", count: entry.depth) + (entry.path.split(separator: "/").last.map(String.init) ?? entry.path)
                + (entry.isDirectory ? "/" : "")
            let size = entry.isDirectory ? "" : byteText(entry.size)
            let width = max(0, list.width - 11)
            let text = DisplayWidth.truncate(name, to: width) + String(repeating: " ", count: max(0, width - DisplayWidth.of(DisplayWidth.truncate(name, to: width))))
                + " " + String(repeating: " ", count: max(0, 10 - size.count)) + size
            Frame.line(&buffer, text, at: list, row: row, style: theme[index == browser.selected ? .focus : .text], pad: index == browser.selected)
        }
        if let entry = browser.selectedEntry {
            Frame.line(&buffer, browser.root.appendingPathComponent(entry.path).path, at: pathRow, row: 0, style: theme[.dim])
        }
    }

    static func byteText(_ bytes: Int64) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        if bytes < 1 << 20 { return String(format: "%.1f KiB", Double(bytes) / 1024) }
        if bytes < 1 << 30 { return String(format: "%.1f MiB", Double(bytes) / Double(1 << 20)) }
        return String(format: "%.1f GiB", Double(bytes) / Double(1 << 30))
    }
}
