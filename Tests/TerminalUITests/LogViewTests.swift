import Foundation
import Testing
@testable import TerminalUI

/// The Monitor's log pane: sanitised lines, search, wrap.
struct LogViewTests {
    func log(_ lines: [String]) -> LogViewState {
        var state = LogViewState(capacity: 100)
        state.append(Data((lines.joined(separator: "\n") + "\n").utf8))
        return state
    }

    /// The fast path for plain lines must not let invisible formatting through.
    @Test func bidiOverridesInALogLineAreShownNotApplied() {
        let state = log(["plain line", "evil\u{202E}txt.exe", "zero\u{200B}width", "en–dash “quotes” ✓"])
        #expect(state.lines[0].text == "plain line")
        #expect(state.lines[1].text == "evil<U+202E>txt.exe")
        #expect(state.lines[2].text == "zero<U+200B>width")
        #expect(state.lines[3].text == "en–dash “quotes” ✓")
    }

    /// Plain lines are checked eight bytes at a time: every kind of byte at
    /// every place in a word must give what the byte-by-byte rule gives.
    @Test func theWordAtATimeCheckAgreesWithTheRuleByteByByte() {
        func rule(_ bytes: [UInt8]) -> Bool {
            var previous: UInt8 = 0
            for byte in bytes {
                if byte < 0x20 && byte != 0x09 || byte == 0x7F || previous == 0xC2 && (0x80...0x9F).contains(byte) { return false }
                if previous == 0xE2 && (byte == 0x80 || byte == 0x81) || previous == 0xEF && byte == 0xBB
                    || previous == 0xD8 && byte == 0x9C { return false }
                previous = byte
            }
            return true
        }
        let specials: [[UInt8]] = [[0x00], [0x09], [0x1B], [0x1F], [0x20], [0x7E], [0x7F], [0x80], [0xFF], [0xC2, 0x9B], [0xC2, 0xA0],
                                   [0xE2, 0x80, 0xAE], [0xE2, 0x82, 0xAC], [0xEF, 0xBB, 0xBF], [0xD8, 0x9C], [0xC3, 0xA9]]
        var checked = 0
        for length in 0...20 {
            for position in 0...length {
                for special in specials {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    bytes.insert(contentsOf: special, at: position)
                    let fast = bytes.withUnsafeBufferPointer { LogViewState.isPlain($0) }
                    #expect(fast == rule(bytes), "\(bytes)")
                    checked += 1
                }
            }
        }
        #expect(checked == specials.count * (1...21).reduce(0, +))
    }

    /// Plain lines keep their bytes as slices of the chunk they came in: a
    /// chunk that is itself a slice (offsets not from 0), lines split across
    /// chunks and one cut at the maximum length read back exactly.
    @Test func linesKeptAsSlicesReadBackExactly() {
        let long = String(repeating: "x", count: 70_000)
        let text = "first\nsecond line\n\u{1b}[31mred\u{1b}[0m\nsplit across\n\(long)\nlast\n"
        let whole = Data(("padding" + text).utf8)
        let body = whole[whole.startIndex.advanced(by: 7)...]
        var view = LogViewState(capacity: 100)
        var offset = body.startIndex
        for size in [3, 20, 9, 13, 30_000, 39_990, 10_000] where offset < body.endIndex {
            let end = min(body.endIndex, offset + size)
            view.append(body[offset..<end])
            offset = end
        }
        let texts = (0..<view.lines.count).map { view.lines[$0].text }
        #expect(Array(texts.prefix(4)) == ["first", "second line", "red", "split across"] && texts.last == "last")
        let pieces = texts.dropFirst(4).dropLast()
        #expect(pieces.count == 2 && pieces.joined() == long, "the long line is cut once and nothing of it is lost")
        #expect(view.lines[2].runs.first?.sgr.foreground == 1, "the escape line is styled")
        #expect(view.lines[3].runs.first?.sgr.foreground == nil, "the colour was reset before it")
    }

    /// Earlier lines go before the first, the lines on screen stay put, and
    /// escape sequences in them are neutralised like any others.
    @Test func earlierLinesArePrependedInPlace() {
        var view = LogViewState(capacity: 10)
        view.append(Data("c\nd\n".utf8))
        _ = view.handle(.up, page: 1)
        #expect(view.prepend(Data("a\n\u{1b}]0;x\u{07}b\n".utf8)) == 2)
        #expect((0..<view.lines.count).map { view.lines[$0].text } == ["a", "b", "c", "d"])
        #expect(view.scrollBack == 1 && !view.following)
        var full = LogViewState(capacity: 2)
        full.append(Data("x\ny\n".utf8))
        #expect(full.prepend(Data("w\n".utf8)) == 0 && full.lines[0].text == "x", "a full ring keeps what it has")
    }

    @Test func searchJumpsUpwardsToEachMatchInTurn() {
        var state = log(["alpha one", "beta", "ALPHA two", "gamma", "delta"])
        state.search = "alpha"
        state.findPrevious()
        #expect(state.scrollBack == 2 && !state.following, "the nearest match above the bottom, case-insensitive")
        state.findPrevious()
        #expect(state.scrollBack == 4)
        state.findPrevious()
        #expect(state.scrollBack == 4, "no match further up: stays")
        var buffer = CellBuffer(width: 20, height: 3)
        LogView.draw(&buffer, state, area: Rect(x: 0, y: 0, width: 20, height: 3), theme: .builtIn)
        #expect(buffer.text.split(separator: "\n").last?.hasPrefix("alpha one") == true, "the match is the bottom row")
    }

    @Test func wrapShowsLongLinesWholeAndCutWhenOff() {
        var state = log([String(repeating: "x", count: 25) + "END"])
        var cut = CellBuffer(width: 10, height: 4)
        LogView.draw(&cut, state, area: Rect(x: 0, y: 0, width: 10, height: 4), theme: .builtIn)
        #expect(!cut.text.contains("END"))
        state.wrap.toggle()
        var wrapped = CellBuffer(width: 10, height: 4)
        LogView.draw(&wrapped, state, area: Rect(x: 0, y: 0, width: 10, height: 4), theme: .builtIn)
        #expect(wrapped.text.replacingOccurrences(of: "\n", with: "").replacingOccurrences(of: " ", with: "")
                == String(repeating: "x", count: 25) + "END")
    }
}
