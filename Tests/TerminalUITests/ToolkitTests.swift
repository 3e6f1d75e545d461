import Foundation
import Testing
import TerminalUI

struct CellBufferTests {
    @Test func wideGraphemesTakeTwoCellsAndAreNeverSplit() {
        var buffer = CellBuffer(width: 6, height: 1)
        let end = buffer.write("a漢😀e\u{301}", x: 0, y: 0, style: .plain)
        #expect(end == 6)
        #expect(buffer.lines == ["a漢😀é"])
        var clipped = CellBuffer(width: 4, height: 1)
        clipped.write("ab漢字", x: 0, y: 0, style: .plain, clip: Rect(x: 0, y: 0, width: 3, height: 1))
        #expect(clipped.lines == ["ab  "])
        #expect(DisplayWidth.of("漢字") == 4 && DisplayWidth.of("e\u{301}") == 1)
    }

    @Test func controlCharactersNeverReachTheBuffer() {
        var buffer = CellBuffer(width: 5, height: 1)
        buffer.write("a\u{1b}b", x: 0, y: 0, style: .plain)
        #expect(!buffer.lines[0].contains("\u{1b}"))
    }
}

struct SanitizerTests {
    @Test func sgrIsKeptEverythingElseDropped() {
        let input = "\u{1b}[1;31mred\u{1b}[0m \u{1b}]0;title\u{07}\u{1b}[2J\u{1b}[Hx\u{1b}P1;2q\u{1b}\\y\u{9b}31mz\r\u{7}"
        let (runs, _) = TerminalSanitizer.styledRuns(input)
        #expect(runs.map(\.text).joined() == "red xyz\u{FFFD}")
        #expect(runs.first?.sgr.foreground == 1 && runs.first?.sgr.bold == true)
        #expect(TerminalSanitizer.plainText("a\u{1b}]52;c;ZXZpbA==\u{1b}\\b") == "ab")
    }

    @Test func bidiOverridesAndZeroWidthCharactersAreShownNotApplied() {
        // "Trojan source": text that reads differently from what it is.
        #expect(TerminalSanitizer.plainText("evil\u{202E}txt.exe") == "evil<U+202E>txt.exe")
        #expect(TerminalSanitizer.plainText("a\u{200B}b\u{2066}c\u{FEFF}") == "a<U+200B>b<U+2066>c<U+FEFF>")
        #expect(TerminalSanitizer.plainText("naïve café") == "naïve café")
    }

    @Test func utf8SplitAcrossChunksIsNotCorrupted() {
        let decoder = UTF8StreamDecoder()
        let bytes = Array("é😀".utf8)
        var text = ""
        for byte in bytes { text += decoder.decode(Data([byte])) }
        #expect(text + decoder.finish() == "é😀")
    }
}

struct WidgetTests {
    @Test func textFieldEditingKeys() {
        var field = TextFieldState("hello world")
        _ = field.handle(.control("w"))
        #expect(field.text == "hello ")
        _ = field.handle(.home)
        _ = field.handle(.character(">"))
        _ = field.handle(.end)
        _ = field.handle(.backspace)
        #expect(field.text == ">hello")
        _ = field.handle(.control("u"))
        #expect(field.text == "")
    }

    @Test func listFilterRanksPrefixMatchesFirst() {
        var list = ListState(items: [".hpcs-job/", "hpcs-data/", "work/"])
        _ = list.handle(.character("h"), filtering: true)
        _ = list.handle(.character("p"), filtering: true)
        #expect(list.visible == [1, 0])
        #expect(list.selectedItem == 1)
    }

    @Test func ringBufferStaysBounded() {
        var ring = RingBuffer<Int>(capacity: 3)
        for value in 1...10 { ring.append(value) }
        #expect((0..<ring.count).map { ring[$0] } == [8, 9, 10])
        #expect(ring.dropped == 7)
        var log = LogViewState(capacity: 100)
        for index in 0..<1000 { log.append(Data("line \(index)\n".utf8)) }
        #expect(log.lines.count == 100 && log.lines[99].text == "line 999")
    }

    @Test func layoutSplitsCoverTheArea() {
        let area = Rect(x: 0, y: 0, width: 100, height: 30)
        let parts = area.rows([1, 2])
        #expect(parts.map(\.height) == [10, 20] && parts[1].y == 10)
        let (top, rest) = area.splitRows(-2)
        #expect(top.height == 28 && rest.height == 2)
    }

    @Test func themesLoadPatchAndFallBack() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("themes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "focus = white red bold\n".write(to: dir.appendingPathComponent("mine.theme"), atomically: true, encoding: .utf8)
        try "focus = purple\n".write(to: dir.appendingPathComponent("broken.theme"), atomically: true, encoding: .utf8)
        let (mine, problem) = Theme.load(named: "mine", directories: [dir], noColor: false)
        #expect(problem == nil && mine[.focus].background == .red && mine[.title] == Theme.builtIn[.title])
        let (fallback, reason) = Theme.load(named: "broken", directories: [dir], noColor: false)
        #expect(fallback == Theme.builtIn && reason?.contains("unknown colour 'purple'") == true)
        let (plain, _) = Theme.load(named: "default", directories: [dir], noColor: true)
        #expect(plain[.focus].background == .default && plain[.focus].bold)
    }

    @Test func keyMapUserFileOverridesOnlyWhatItNames() throws {
        let map = KeyMap(defaults: ["quit": [.character("q")], "help": [.function(1)]])
        let patched = try map.patched(with: "# mine\nquit = ctrl-x F10\n")
        #expect(patched.keys(for: "quit") == [.control("x"), .function(10)])
        #expect(patched.keys(for: "help") == [.function(1)])
        #expect(throws: KeyMap.LoadError.self) { _ = try map.patched(with: "fly = x") }
    }
}

struct TextAreaTests {
    @Test func editsAcrossLines() {
        var area = TextAreaState("ab\ncd")
        for key: Key in [.end, .enter, .character("x"), .down, .home, .backspace] { _ = area.handle(key) }
        #expect(area.text == "ab\nxcd")
        _ = area.handle(.end)
        _ = area.handle(.delete)
        _ = area.handle(.up)
        _ = area.handle(.home)
        _ = area.handle(.delete)
        #expect(area.text == "b\nxcd")
        var buffer = CellBuffer(width: 10, height: 3)
        TextArea.draw(&buffer, &area, area: buffer.bounds, focused: true, theme: .builtIn)
        #expect(buffer.lines.prefix(2) == ["b         ", "xcd       "])
    }
}

/// Sequences a terminfo entry may not list are keys, never text.
struct EscapeSequenceTests {
    @Test func knownSequencesAreKeysAndUnknownOnesAreDropped() {
        #expect(EscapeSequence.key("[4~") == .end, "tmux's End")
        #expect(EscapeSequence.key("[1~") == .home && EscapeSequence.key("[3~") == .delete)
        #expect(EscapeSequence.key("[5~") == .pageUp && EscapeSequence.key("[6;5~") == .pageDown)
        #expect(EscapeSequence.key("OA") == .up && EscapeSequence.key("[1;5C") == .right)
        #expect(EscapeSequence.key("[15~") == .function(5) && EscapeSequence.key("OP") == .function(1))
        #expect(EscapeSequence.key("[Z") == .backTab)
        #expect(EscapeSequence.key("[2~") == nil && EscapeSequence.key("[99~") == nil && EscapeSequence.key("[?1;2c") == nil)
    }

    @Test func altWordKeysEditByWord() {
        var field = TextFieldState("cp  some-file.txt /tmp")
        _ = field.handle(.alt("b"))
        #expect(field.cursor == "cp  some-file.txt /".count)
        _ = field.handle(.alt("b"))
        _ = field.handle(.alt("b"))
        #expect(field.cursor == "cp  some-".count, "punctuation separates words, as in readline")
        _ = field.handle(.alt("d"))
        #expect(field.text == "cp  some-.txt /tmp")
        _ = field.handle(.alt("\u{7F}"))
        #expect(field.text == "cp  .txt /tmp" && field.cursor == "cp  ".count)
        _ = field.handle(.home)
        _ = field.handle(.alt("f"))
        #expect(field.cursor == 2)
    }
}
