import Foundation
import Testing
import TerminalUI

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
