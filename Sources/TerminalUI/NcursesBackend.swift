import CNcurses
import Foundation

/// The real terminal through ncursesw: UTF-8 (via setlocale), 256 colours
/// with an 8-colour and monochrome fallback, mouse clicks and wheel,
/// resize, and the terminal restored on exit, SIGINT/SIGTERM and crashes.
public final class NcursesBackend: TerminalBackend {
    private var lastFrame: CellBuffer?
    private var pairs: [PairKey: Int16] = [:]
    private let colorCount: Int
    private let pairLimit: Int
    public let hasColor: Bool

    struct PairKey: Hashable { let foreground: Int, background: Int }

    public init() {
        setlocale(LC_ALL, "")
        NcursesBackend.installRestoreHandlers()
        initscr()
        raw()
        noecho()
        nonl()
        keypad(hpcs_stdscr(), true)
        curs_set(0)
        set_escdelay(25)
        mousemask(hpcs_all_mouse_events(), nil)
        mouseinterval(0)
        var colors = false
        if has_colors() {
            start_color()
            use_default_colors()
            colors = true
        }
        hasColor = colors
        colorCount = Int(hpcs_colors())
        pairLimit = Int(hpcs_color_pairs())
        NcursesBackend.active = true
    }

    public var size: (width: Int, height: Int) { (Int(hpcs_cols()), Int(hpcs_lines())) }

    public func draw(_ buffer: CellBuffer) {
        if lastFrame?.width != buffer.width || lastFrame?.height != buffer.height { clear() }
        for y in 0..<buffer.height {
            for x in 0..<buffer.width {
                let cell = buffer[x, y]
                if cell.isContinuation { continue }
                if let last = lastFrame, last.width == buffer.width, last.height == buffer.height, last[x, y] == cell { continue }
                var characters = cell.text.unicodeScalars.map { wchar_t(bitPattern: $0.value) }
                if characters.isEmpty { characters = [wchar_t(32)] }
                characters.append(0)
                _ = hpcs_put_cell(Int32(y), Int32(x), characters, attributes(cell.style), pair(for: cell.style))
            }
        }
        lastFrame = buffer
        refresh()
    }

    private func attributes(_ style: Style) -> attr_t {
        var value = hpcs_attr_normal()
        if style.bold { value |= hpcs_attr_bold() }
        if style.underline { value |= hpcs_attr_underline() }
        if style.reverse { value |= hpcs_attr_reverse() }
        if style.dim { value |= hpcs_attr_dim() }
        return value
    }

    /// A colour pair for the style, reduced to the colours the terminal has.
    private func pair(for style: Style) -> Int16 {
        guard hasColor else { return 0 }
        func number(_ color: Color) -> Int {
            guard case let .indexed(index) = color else { return -1 }
            if Int(index) < colorCount { return Int(index) }
            return Int(index) % 8
        }
        let key = PairKey(foreground: number(style.foreground), background: number(style.background))
        if key.foreground == -1 && key.background == -1 { return 0 }
        if let existing = pairs[key] { return existing }
        guard pairs.count + 1 < min(pairLimit, Int(Int16.max)) else { return 0 }
        let id = Int16(pairs.count + 1)
        init_pair(id, Int16(key.foreground), Int16(key.background))
        pairs[key] = id
        return id
    }

    public func nextEvent(timeout milliseconds: Int) -> InputEvent? {
        timeout(Int32(milliseconds))
        var character: wint_t = 0
        let status = wget_wch(hpcs_stdscr(), &character)
        if status == ERR { return nil }
        if status == KEY_CODE_YES {
            return functionKey(Int32(character))
        }
        let value = UInt32(character)
        switch value {
        case 9: return .key(.tab)
        case 10, 13: return .key(.enter)
        case 27: return escapeOrAlt()
        case 127, 8: return .key(.backspace)
        case 1...26: return .key(.control(Character(UnicodeScalar(value + 96) ?? "?")))
        default:
            guard let scalar = UnicodeScalar(value) else { return nil }
            return .key(.character(Character(scalar)))
        }
    }

    /// Esc alone, Alt-x sent as ESC then x (a character already waiting: the
    /// terminal sends both at once), or a key sequence the terminfo entry
    /// does not list (tmux's End is ESC [ 4 ~): never typed as text.
    private func escapeOrAlt() -> InputEvent? {
        timeout(25)
        var next: wint_t = 0
        let status = wget_wch(hpcs_stdscr(), &next)
        if status == ERR { return .key(.escape) }
        if status == KEY_CODE_YES {
            // Backspace often comes as ncurses' KEY_BACKSPACE (terminfo's kbs).
            return Int32(next) == KEY_BACKSPACE ? .key(.alt("\u{7F}")) : functionKey(Int32(next))
        }
        switch UInt32(next) {
        case 0x5B, 0x4F:
            guard let sequence = readSequence(after: UInt32(next)) else { return .key(.alt(UInt32(next) == 0x5B ? "[" : "O")) }
            return EscapeSequence.key(sequence).map { .key($0) }
        case 127, 8: return .key(.alt("\u{7F}"))
        case 32...126, 160...:
            guard let scalar = UnicodeScalar(UInt32(next)) else { return .key(.escape) }
            return .key(.alt(Character(scalar)))
        default:
            // Esc then a control key (a second Esc, Enter): both count.
            _ = unget_wch(wchar_t(bitPattern: UInt32(next)))
            return .key(.escape)
        }
    }

    /// The rest of ESC [ … or ESC O …, up to its final byte; nil when
    /// nothing follows (Alt-[ or Alt-O typed).
    private func readSequence(after introducer: UInt32) -> String? {
        var text = introducer == 0x5B ? "[" : "O"
        for _ in 0..<16 {
            var next: wint_t = 0
            guard wget_wch(hpcs_stdscr(), &next) != ERR, let scalar = UnicodeScalar(UInt32(next)) else {
                return text.count == 1 ? nil : text
            }
            text.unicodeScalars.append(scalar)
            // ESC O takes one byte; CSI ends at a byte from @ to ~.
            if introducer == 0x4F || (0x40...0x7E).contains(scalar.value) { return text }
        }
        return text
    }

    private func functionKey(_ code: Int32) -> InputEvent? {
        switch code {
        case KEY_UP: return .key(.up)
        case KEY_DOWN: return .key(.down)
        case KEY_LEFT: return .key(.left)
        case KEY_RIGHT: return .key(.right)
        case KEY_HOME: return .key(.home)
        case KEY_END: return .key(.end)
        case KEY_PPAGE: return .key(.pageUp)
        case KEY_NPAGE: return .key(.pageDown)
        case KEY_BACKSPACE: return .key(.backspace)
        case KEY_DC: return .key(.delete)
        case KEY_BTAB: return .key(.backTab)
        case KEY_ENTER: return .key(.enter)
        case KEY_RESIZE:
            lastFrame = nil
            return .resize(width: Int(hpcs_cols()), height: Int(hpcs_lines()))
        case KEY_MOUSE:
            var event = MEVENT()
            guard getmouse(&event) == OK else { return nil }
            let kind: MouseKind
            if event.bstate & hpcs_button4_pressed() != 0 { kind = .wheelUp }
            else if event.bstate & hpcs_button5_pressed() != 0 { kind = .wheelDown }
            else if event.bstate & (hpcs_button1_pressed() | hpcs_button1_clicked()) != 0 { kind = .click }
            else { return nil }
            return .mouse(x: Int(event.x), y: Int(event.y), kind: kind)
        default:
            for n in 1...12 where code == hpcs_key_f(Int32(n)) { return .key(.function(n)) }
            return nil
        }
    }

    public func suspend() {
        def_prog_mode()
        endwin()
    }

    public func resume() {
        reset_prog_mode()
        lastFrame = nil
        clear()
        refresh()
    }

    public func send(_ bytes: [UInt8]) {
        // Straight to the terminal; ncurses has written its frame by now (draw ends in refresh).
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { Glibc.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            written += count
        }
    }

    public func stop() {
        guard NcursesBackend.active else { return }
        NcursesBackend.active = false
        endwin()
    }

    // MARK: Restoring the terminal whatever happens

    nonisolated(unsafe) static var active = false

    private static func installRestoreHandlers() {
        atexit {
            if NcursesBackend.active { endwin() }
        }
        let restoreAndExit: @convention(c) (Int32) -> Void = { signal in
            if NcursesBackend.active { endwin() }
            // Default action (terminate, or core dump for crashes).
            Foundation.signal(signal, SIG_DFL)
            raise(signal)
        }
        for sig in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGSEGV, SIGBUS, SIGILL, SIGABRT, SIGFPE, SIGTRAP] {
            signal(sig, restoreAndExit)
        }
    }
}
