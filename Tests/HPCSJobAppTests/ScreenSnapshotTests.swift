@testable import HPCSJobApp
import Foundation
import Testing
import TerminalUI

/// Every screen in its main states, at the smallest supported size (60×16), 80×24 and 200×50, in two themes.
struct ScreenSnapshotTests {
    /// The shipped monochrome theme, read and parsed; a missing or broken file fails the test (it fell back silently).
    static func monochrome() throws -> Theme {
        let text = try String(contentsOf: Snapshot.directory.deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Themes/monochrome.theme"), encoding: .utf8)
        return try Theme.builtIn.patched(with: text, file: "monochrome.theme")
    }

    @Test(arguments: [(60, 16), (80, 24), (200, 50)])
    func everyScreenInEveryState(width: Int, height: Int) throws {
        let monochrome = try Self.monochrome()
        for (name, state) in Screens.all(width: width, height: height) {
            for (themeName, theme) in [("default", Theme.builtIn), ("monochrome", monochrome)] {
                let buffer = AppView.render(state, theme: theme)
                try Snapshot.check(buffer, named: "\(name)-\(width)x\(height)-\(themeName)")
            }
        }
    }

    @Test func tinyTerminalGetsAMessageNotGarbage() {
        var state = AppState()
        state.size = (40, 10)
        let text = AppView.render(state, theme: .builtIn).text
        #expect(text.contains("needs at least 60×16"))
    }

    @Test func memoryBackendShowsWhatTheRuntimeDraws() {
        let backend = MemoryBackend(width: 80, height: 24)
        backend.draw(AppView.render(Screens.all(width: 80, height: 24)[0].1, theme: .builtIn))
        #expect(backend.frame.text.contains("Connect to the login node"))
        #expect(backend.framesDrawn == 1)
    }
}
