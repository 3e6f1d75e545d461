import Foundation

/// A fixed-capacity ring of the last N items: memory stays bounded however
/// much arrives.
public struct RingBuffer<Element: Sendable>: Sendable {
    private var storage: [Element?]
    private var start = 0
    public private(set) var count = 0
    /// Items dropped because the ring was full.
    public private(set) var dropped = 0

    public init(capacity: Int) { storage = Array(repeating: nil, count: max(1, capacity)) }

    public var capacity: Int { storage.count }

    public mutating func append(_ element: Element) {
        if count < storage.count {
            storage[(start + count) % storage.count] = element
            count += 1
        } else {
            storage[start] = element
            start = (start + 1) % storage.count
            dropped += 1
        }
    }

    public subscript(index: Int) -> Element {
        // Always set for 0..<count.
        storage[(start + index) % storage.count].unsafelyUnwrapped
    }

    public var last: Element? { count == 0 ? nil : self[count - 1] }

    /// Puts `element` before the first item; false (and nothing changes) when
    /// the ring is full, since the oldest items are the ones a ring gives up.
    @discardableResult
    public mutating func prepend(_ element: Element) -> Bool {
        guard count < storage.count else { return false }
        start = (start - 1 + storage.count) % storage.count
        storage[start] = element
        count += 1
        return true
    }

    public mutating func replaceLast(_ element: Element) {
        guard count > 0 else { return append(element) }
        storage[(start + count - 1) % storage.count] = element
    }
}

/// A remote log as lines of styled runs: SGR colours kept, every other
/// escape neutralised, UTF-8 split across chunks handled.
public struct LogViewState: Sendable {
    public struct Line: Sendable, Equatable {
        public var runs: [TerminalSanitizer.Run]
        public var isStderr: Bool
        public var text: String { runs.map(\.text).joined() }
    }

    public private(set) var lines: LogLines
    /// Bytes of the unterminated last line (complete lines are decoded whole,
    /// so a character split across chunks is never corrupted).
    private var partial: [UInt8] = []
    private var sgr = TerminalSanitizer.SGRState()
    /// Lines scrolled up from the bottom (0 = newest at the bottom).
    public var scrollBack = 0
    public var following = true
    public var wrap = false
    public var search: String?
    public private(set) var totalBytes: Int64 = 0
    /// A line longer than this is cut into pieces (memory stays bounded).
    static let maximumLineBytes = 64 * 1024

    public init(capacity: Int = 100_000) { lines = LogLines(capacity: capacity) }

    /// Puts earlier lines of the file (whole lines, as read back by byte
    /// range) before the first one, the lines on screen staying put; returns
    /// how many fitted.
    @discardableResult
    public mutating func prepend(_ data: Data) -> Int {
        var earlier: [Line] = []
        for piece in data.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast(data.last == 0x0A ? 1 : 0) {
            let text = String(decoding: piece.prefix(Self.maximumLineBytes), as: UTF8.self)
            earlier.append(Line(runs: TerminalSanitizer.styledRuns(text).runs, isStderr: false))
        }
        var added = 0
        for line in earlier.reversed() {
            guard lines.prepend(line) else { break }
            added += 1
        }
        // scrollBack counts from the bottom: the lines shown stay the same.
        return added
    }

    /// Appends raw bytes from the remote file.
    public mutating func append(_ data: Data, stderr: Bool = false) {
        totalBytes += Int64(data.count)
        var added = 0
        let first = data.startIndex
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            guard let base = raw.baseAddress else { return }
            var start = 0
            while start < raw.count {
                // memchr: the newline search is most of the work on a fast log.
                guard let found = memchr(base + start, 0x0A, raw.count - start) else {
                    partial.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[start...]))
                    if partial.count > Self.maximumLineBytes { completePartial(stderr: stderr); added += 1 }
                    break
                }
                let newline = base.distance(to: UnsafeRawPointer(found))
                let piece = UnsafeRawBufferPointer(rebasing: raw[start..<newline]).bindMemory(to: UInt8.self)
                if !partial.isEmpty {
                    partial.append(contentsOf: piece)
                    completePartial(stderr: stderr)
                } else if Self.isPlain(piece) {
                    lines.appendPlain(data[(first + start)..<(first + newline)], sgr: sgr, stderr: stderr)
                } else {
                    appendStyled(piece, stderr: stderr)
                }
                added += 1
                start = newline + 1
            }
        }
        if !following { scrollBack += added }
    }

    /// The line gathered across chunks (or cut at the maximum length) as a line of its own.
    private mutating func completePartial(stderr: Bool) {
        let whole = partial
        partial.removeAll(keepingCapacity: true)
        whole.withUnsafeBufferPointer { bytes in
            if Self.isPlain(bytes) { lines.appendPlain(Data(bytes), sgr: sgr, stderr: stderr) } else { appendStyled(bytes, stderr: stderr) }
        }
    }

    private mutating func appendStyled(_ bytes: UnsafeBufferPointer<UInt8>, stderr: Bool) {
        let styled = TerminalSanitizer.styledRuns(String(decoding: bytes, as: UTF8.self), starting: sgr)
        sgr = styled.state
        lines.append(Line(runs: styled.runs, isStderr: stderr))
    }

    /// No escape, no control character (C0 but tab, DEL, C1 as UTF-8) and
    /// nothing that could be an invisible formatting character (bidi
    /// overrides, zero-width: E2 80/81 …, EF BB BF, D8 9C): the common case,
    /// shown as it is without a character-by-character pass.
    static func isPlain(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        // Eight bytes at a time while they are all printable ASCII (0x20–0x7E),
        // as almost every log line is; the first word that is not goes on byte by byte.
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        var index = 0
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            while index + 8 <= bytes.count {
                let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                let below20 = (word &- ones &* 0x20) & ~word & highs
                let delete = word ^ (ones &* 0x7F)
                let is7F = (delete &- ones) & ~delete & highs
                if word & highs != 0 || below20 != 0 || is7F != 0 { break }
                index += 8
            }
        }
        var previous: UInt8 = 0 // the bytes before `index` were ASCII: no sequence is open
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x20 && byte != 0x09 || byte == 0x7F || previous == 0xC2 && (0x80...0x9F).contains(byte) { return false }
            if previous == 0xE2 && (byte == 0x80 || byte == 0x81) || previous == 0xEF && byte == 0xBB
                || previous == 0xD8 && byte == 0x9C { return false }
            previous = byte
            index += 1
        }
        return true
    }

    /// The unterminated last line, shown but not yet stored.
    public var pendingLine: Line? {
        partial.isEmpty ? nil : Line(runs: TerminalSanitizer.styledRuns(String(decoding: partial, as: UTF8.self), starting: sgr).runs,
                                     isStderr: false)
    }

    public mutating func handle(_ key: Key, page: Int) -> Bool {
        switch key {
        case .up, .character("k"): scrollBack = min(lines.count, scrollBack + 1); following = false
        case .down, .character("j"): scrollBack = max(0, scrollBack - 1)
        case .pageUp: scrollBack = min(lines.count, scrollBack + page); following = false
        case .pageDown: scrollBack = max(0, scrollBack - page)
        case .home, .character("g"): scrollBack = lines.count; following = false
        case .end, .character("G"): scrollBack = 0; following = true
        default: return false
        }
        if scrollBack == 0 { following = true }
        return true
    }

    /// Follow mode on (and to the end) or off.
    public mutating func toggleFollow() {
        following.toggle()
        if following { scrollBack = 0 }
    }

    /// Jumps to the next line (upwards) containing the search text.
    public mutating func findPrevious() { _ = find(older: true) }

    /// The line at the bottom of the view: where a search goes on from.
    public var currentLine: Int { lines.count - 1 - scrollBack }

    /// Jumps to the nearest matching line above (older) or below (newer) the
    /// current one (or the current one itself, for a new query); false when
    /// there is none (the view stays).
    public mutating func find(older: Bool, includingCurrent: Bool = false) -> Bool {
        guard let search, !search.isEmpty, lines.count > 0 else { return false }
        let from = includingCurrent ? currentLine : currentLine + (older ? -1 : 1)
        let range = older ? Array(stride(from: min(from, lines.count - 1), through: 0, by: -1)) : Array(max(0, from)..<lines.count)
        for index in range where lines[index].text.localizedCaseInsensitiveContains(search) {
            scrollBack = lines.count - 1 - index
            following = false
            return true
        }
        return false
    }

    /// Which match the current line is, of how many (nil when it is not one).
    public func matchPosition() -> (number: Int, count: Int)? {
        guard let search, !search.isEmpty, lines.count > 0, currentLine >= 0,
              lines[currentLine].text.localizedCaseInsensitiveContains(search) else { return nil }
        var count = 0
        var number = 0
        for index in 0..<lines.count where lines[index].text.localizedCaseInsensitiveContains(search) {
            count += 1
            if index <= currentLine { number = count }
        }
        return (number, count)
    }
}

public enum LogView {
    public static func draw(_ buffer: inout CellBuffer, _ state: LogViewState, area: Rect, theme: Theme,
                            styleFor: (LogViewState.Line) -> Role? = { _ in nil }) {
        guard area.height > 0, area.width > 0 else { return }
        var all: [LogViewState.Line] = []
        let needed = area.height + state.scrollBack
        let available = state.lines.count
        let first = max(0, available - needed)
        for index in first..<available { all.append(state.lines[index]) }
        if let pending = state.pendingLine, state.scrollBack == 0 { all.append(pending) }
        // Rows, wrapped or cut, newest at the bottom.
        var rows: [[TerminalSanitizer.Run]] = []
        var roles: [Role?] = []
        for line in all {
            let role = styleFor(line) ?? (line.isStderr ? .logStderr : nil)
            if state.wrap {
                for chunk in wrapRuns(line.runs, width: area.width) { rows.append(chunk); roles.append(role) }
            } else {
                rows.append(line.runs)
                roles.append(role)
            }
        }
        let end = max(0, rows.count - (state.wrap ? 0 : state.scrollBack))
        let start = max(0, end - area.height)
        for (row, index) in (start..<end).enumerated() {
            var x = area.x
            for run in rows[index] {
                var style = roles[index].map { theme[$0] } ?? theme[.logStdout]
                if theme.usesColor {
                    if let foreground = run.sgr.foreground { style.foreground = .indexed(UInt8(clamping: foreground)) }
                    if let background = run.sgr.background { style.background = .indexed(UInt8(clamping: background)) }
                }
                style.bold = style.bold || run.sgr.bold
                style.underline = run.sgr.underline
                style.reverse = run.sgr.reverse
                if let search = state.search, !search.isEmpty, run.text.localizedCaseInsensitiveContains(search) {
                    style = theme[.highlight]
                }
                x = buffer.write(run.text.replacingOccurrences(of: "\t", with: "    "), x: x, y: area.y + row, style: style, clip: area)
            }
        }
    }

    static func wrapRuns(_ runs: [TerminalSanitizer.Run], width: Int) -> [[TerminalSanitizer.Run]] {
        var rows: [[TerminalSanitizer.Run]] = [[]]
        var used = 0
        for run in runs {
            var current = ""
            for char in run.text {
                let w = DisplayWidth.of(char)
                if used + w > width {
                    if !current.isEmpty { rows[rows.count - 1].append(.init(text: current, sgr: run.sgr)) }
                    rows.append([])
                    current = ""
                    used = 0
                }
                current.append(char)
                used += w
            }
            if !current.isEmpty { rows[rows.count - 1].append(.init(text: current, sgr: run.sgr)) }
        }
        return rows
    }
}

/// Scrollable read-only text with a style per line (the SBATCH preview).
public struct ScrollState: Equatable, Sendable {
    public var offset = 0
    public init() {}

    public mutating func handle(_ key: Key, lineCount: Int, page: Int) -> Bool {
        let maximum = max(0, lineCount - page)
        switch key {
        case .up, .character("k"): offset = max(0, offset - 1)
        case .down, .character("j"): offset = min(maximum, offset + 1)
        case .pageUp: offset = max(0, offset - page)
        case .pageDown, .character(" "): offset = min(maximum, offset + page)
        case .home, .character("g"): offset = 0
        case .end, .character("G"): offset = maximum
        default: return false
        }
        return true
    }
}
