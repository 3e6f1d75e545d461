import Foundation
import SiteTestSupport
import Testing

/// A new site, as a user meets it: the bare login node provides no HPCS
/// tool and sets no environment. `tools pin` from the site's release mirror
/// makes the sample secure job run through its 12 steps.
@Suite(.enabled(if: LocalSite.isExpected, "\(LocalSite.howToStart)"), .serialized)
struct ToolsCommandTests {
    func hpcsJob(_ arguments: [String], home: URL) throws -> ToolResult { try HPCSJobBinary.run(arguments, home: home) }

    func submitArguments(_ site: LocalSite) -> [String] {
        ["submit", "--config", site["HPCS_SITE_BARE_CONFIG"], "-p", site.partition, "-t", "5", "-w", site.node, "-A", site.account,
         "-s", "\(site.workdir)/bare-\(UUID().uuidString.prefix(8))", "-ai", site.appInfo, "-di", site.dataInfo,
         "-args", "--mode 'fast run'", "-f"]
    }

    @Test func pinOnABareSiteThenTheSampleJobRunsAndItsResultsDecrypt() throws {
        let site = try LocalSite.require()
        let home = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let bare = site["HPCS_SITE_BARE_CONFIG"]

        // Nothing pinned: the job stops at step 2, naming the tool and the fix.
        let unprepared = try hpcsJob(submitArguments(site), home: home)
        #expect(unprepared.out.contains("FAILED at step 2/12"), "\(unprepared.out)")
        #expect(unprepared.out.contains("tool 'spire-agent' is not on this node") && unprepared.out.contains("hpcs-job tools pin"),
                "\(unprepared.out)")

        // doctor says the same and names the fix.
        let before = try hpcsJob(["doctor", "--config", bare, "--json"], home: home)
        let missing = try #require(try tools(before), "\(before.out)")
        #expect(missing["status"] as? String == "fail" && (missing["detail"] as? String)?.contains("spire-agent") == true, "\(missing)")
        #expect((missing["fix"] as? String)?.contains("hpcs-job tools pin") == true, "\(missing)")

        // age and gocryptfs publish no checksum: the SHA-256 is shown and must be accepted.
        let pin = ["tools", "pin", "--config", bare, "--mirror", site["HPCS_SITE_TOOLS_MIRROR"]]
        let first = try hpcsJob(pin, home: home)
        #expect(first.status == 65, "\(first.out)\(first.err)")
        let shown = first.err.matches(of: /--accept-sha256 ([0-9a-f]{64})/).map { String($0.1) }
        #expect(shown.count == 2, "\(first.err)")
        #expect(first.out.contains("spire-agent 1.12.6  sha256") && first.out.contains("_sha256sum.txt"), "\(first.out)")
        let second = try hpcsJob(pin + shown.flatMap { ["--accept-sha256", $0] }, home: home)
        #expect(second.status == 0, "\(second.out)\(second.err)")
        #expect(second.out.components(separatedBy: "confirmed by you").count == 3, "\(second.out)")
        // One manifest per login node, named after it.
        let manifests = try FileManager.default.contentsOfDirectory(atPath: home.appendingPathComponent("config/hpcs-job/tools").path)
        #expect(manifests.count == 1 && manifests[0].hasSuffix(":\(site["HPCS_SITE_BARE_SSH_PORT"]).manifest"), "\(manifests)")
        let manifest = try String(contentsOf: home.appendingPathComponent("config/hpcs-job/tools/\(manifests[0])"), encoding: .utf8)
        #expect(Set(manifest.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { $0.split(separator: " ").first })
                == ["age", "gocryptfs", "spire-agent"])

        let status = try hpcsJob(["tools", "status", "--config", bare, "--json"], home: home)
        let reports = try #require(try JSONSerialization.jsonObject(with: status.stdout) as? [[String: Any]], "\(status.err)")
        for name in ["age", "gocryptfs", "spire-agent"] {
            #expect(reports.first { $0["name"] as? String == name }?["job_uses"] as? String == "pinned (cached)", "\(status.out)")
        }

        // doctor counts a valid pinned copy as found.
        let after = try hpcsJob(["doctor", "--config", bare, "--json"], home: home)
        let found = try #require(try tools(after), "\(after.out)")
        #expect(found["status"] as? String == "pass" && (found["detail"] as? String)?.contains("spire-agent: pinned 1.12.6 (cached)") == true,
                "\(found)")

        let run = try hpcsJob(submitArguments(site), home: home)
        for step in 1...12 { #expect(run.out.contains("[hpcs-job] step \(step)/12:"), "\(run.out)\(run.err)") }
        for tool in ["age 1.1.1", "gocryptfs 2.4.0", "spire-agent 1.12.6"] {
            #expect(run.out.contains("using \(tool) from the cache (SHA-256 verified)"), "\(run.out)")
        }
        // This config names no trust bundle: the log says the agent's bootstrap is insecure.
        #expect(run.out.contains("insecure bootstrap"), "\(run.out)")
        let id = try #require(run.out.firstMatch(of: /submitted (\S+) as job/).map { String($0.1) }, "\(run.out)")
        let results = try hpcsJob(["results", id, "--output", home.appendingPathComponent("out").path], home: home)
        #expect(results.status == 0 && results.out.contains("argument: fast run"), "\(results.out)\(results.err)")
    }

    /// doctor's "tools" check, from its JSON.
    func tools(_ result: ToolResult) throws -> [String: Any]? {
        let object = try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any]
        return (object?["checks"] as? [[String: Any]])?.first { $0["check"] as? String == "tools" }
    }

    @Test func aMirrorOverPlainHTTPElsewhereIsRefused() throws {
        let site = try LocalSite.require()
        let home = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let result = try hpcsJob(["tools", "pin", "--config", site["HPCS_SITE_BARE_CONFIG"], "--mirror", "http://mirror.example.org"],
                                 home: home)
        #expect(result.status == 64 && result.err.contains("plain HTTP to another machine"), "\(result.err)")
    }
}
