import Foundation
import SiteTestSupport
import Testing
import TerminalUI

/// Golden files: the screen's text, then one letter per cell naming its
/// style, then the legend. `SNAPSHOT_RECORD=1 swift test` re-records;
/// a missing file fails.
enum Snapshot {
    static let directory = LocalSite.repositoryRoot.appendingPathComponent("Tests/HPCSJobAppTests/Snapshots")

    static func render(_ buffer: CellBuffer) -> String {
        var legend: [Style] = []
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var styleRows: [String] = []
        for y in 0..<buffer.height {
            var row = ""
            for x in 0..<buffer.width {
                let style = buffer[x, y].style
                let index = legend.firstIndex(of: style) ?? { legend.append(style); return legend.count - 1 }()
                row.append(index < letters.count ? letters[index] : "?")
            }
            styleRows.append(row)
        }
        let legendText = legend.enumerated().map { index, style in
            "\(index < letters.count ? letters[index] : "?") = \(describe(style))"
        }
        return buffer.text + "\n--- styles\n" + styleRows.joined(separator: "\n") + "\n--- legend\n" + legendText.joined(separator: "\n") + "\n"
    }

    static func describe(_ style: Style) -> String {
        func color(_ color: Color) -> String {
            switch color { case .default: return "default"; case let .indexed(n): return String(n) }
        }
        var parts = ["fg \(color(style.foreground))", "bg \(color(style.background))"]
        if style.bold { parts.append("bold") }
        if style.underline { parts.append("underline") }
        if style.reverse { parts.append("reverse") }
        if style.dim { parts.append("dim") }
        return parts.joined(separator: " ")
    }

    /// Compares with the golden file. A missing or unreadable file fails
    /// unless recording was asked for (SNAPSHOT_RECORD=1), and recording is
    /// refused in CI: a golden file is written only on purpose, and reviewed.
    static func check(_ buffer: CellBuffer, named name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let file = directory.appendingPathComponent(name + ".txt")
        let actual = render(buffer)
        let environment = ProcessInfo.processInfo.environment
        if environment["SNAPSHOT_RECORD"] == "1" {
            guard environment["CI"] != "true" else {
                Issue.record("SNAPSHOT_RECORD=1 is refused in CI: record locally and commit the reviewed files",
                             sourceLocation: sourceLocation)
                return
            }
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try actual.write(to: file, atomically: true, encoding: .utf8)
            return
        }
        guard FileManager.default.fileExists(atPath: file.path) else {
            Issue.record("missing snapshot \(file.path): record it with SNAPSHOT_RECORD=1 and review it", sourceLocation: sourceLocation)
            return
        }
        guard let expected = try? String(contentsOf: file, encoding: .utf8) else {
            Issue.record("cannot read snapshot \(file.path)", sourceLocation: sourceLocation)
            return
        }
        #expect(actual == expected, "snapshot \(name) differs; re-record with SNAPSHOT_RECORD=1 if intended", sourceLocation: sourceLocation)
    }
}
