import Foundation
import History
import JobPreparation
import SiteTestSupport
import Testing

/// What the CLI prints that came from outside (here: a failure text from the
/// cluster and an info-file path in the history) reaches the terminal with
/// no escape sequence, control or C1 character, and bidi overrides shown.
struct OutputSanitisingTests {
    let binary = LocalSite.repositoryRoot.appendingPathComponent(".build/debug/hpcs-job").path

    @Test func historyTextAndJSONCarryNoTerminalControls() throws {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            Issue.record("build hpcs-job first (swift build)")
            return
        }
        let home = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let data = home.appendingPathComponent("data")
        let history = try HistoryStore(url: LocalPaths(environment: ["HOME": home.path, "XDG_DATA_HOME": data.path]).historyDatabase)
        var record = SubmissionRecord(id: "20261130-000000-0badc0de", clusterHost: "login\u{1B}[2J.example", clusterPort: 22,
                                      clusterUser: "alice", configPath: "/c.conf", appInfoPath: "/a", dataInfoPath: "/d",
                                      spec: JobSpec(jobName: "j", partition: "p", time: .minutes(5), nodelist: "n", workdir: "/w"))
        record.stage = .failed
        record.failure = "sbatch: \u{1B}]52;c;ZXZpbA==\u{07}boom \u{9B}31m evil\u{202E}txt.exe"
        try history.insert(record)

        let environment = ["HOME": home.path, "XDG_DATA_HOME": data.path, "PATH": "/usr/bin:/bin"]
        let text = try Tool.run(binary, ["history"], environment: environment)
        #expect(text.status == 0, "\(text.err)")
        #expect(!text.stdout.contains(0x1B) && !text.out.unicodeScalars.contains { (0x80...0x9F).contains($0.value) })
        #expect(text.out.contains("boom") && text.out.contains("evil<U+202E>txt.exe"), "\(text.out)")

        let json = try Tool.run(binary, ["history", "--json"], environment: environment)
        #expect(!json.out.unicodeScalars.contains { $0.value == 0x1B || (0x80...0x9F).contains($0.value) || $0.value == 0x202E })
        // The data is all there, escaped as JSON.
        let records = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [[String: Any]])
        #expect((records.first?["failure"] as? String) == record.failure)
    }

    /// An error escaping a command (here ArgumentParser's, quoting what was
    /// typed; a job name from sacct reaches `jobs --wait` the same way) goes
    /// through the sanitising console too: ESC]52 would write the clipboard.
    @Test func errorsLeavingACommandCarryNoTerminalControls() throws {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            Issue.record("build hpcs-job first (swift build)")
            return
        }
        let home = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let result = try Tool.run(binary, ["jobs", "--config", "/nonexistent.conf", "--since", "\u{1B}]52;c;ZXZpbA==\u{07}x\u{9B}2J"],
                                  environment: ["HOME": home.path, "PATH": "/usr/bin:/bin"])
        #expect(result.status == 64 && result.err.contains("is neither a duration"), "\(result.err)")
        #expect(!result.err.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || (0x80...0x9F).contains($0.value) },
                "\(result.err.debugDescription)")
        // Help still reaches standard output whole, with exit 0.
        let help = try Tool.run(binary, ["history", "--help"], environment: ["HOME": home.path, "PATH": "/usr/bin:/bin"])
        #expect(help.status == 0 && help.out.contains("OVERVIEW: List past submissions"))
    }
}
