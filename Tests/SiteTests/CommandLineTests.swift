import Foundation
import SiteTestSupport
import Testing

/// The `hpcs-job` binary as scripts use it: JSON out, distinct exit codes.
@Suite(.enabled(if: LocalSite.isExpected, "\(LocalSite.howToStart)"), .serialized)
struct CommandLineTests {
    let binary = LocalSite.repositoryRoot.appendingPathComponent(".build/debug/hpcs-job").path

    func hpcsJob(_ arguments: [String], home: URL) throws -> ToolResult {
        try Tool.run(binary, arguments, environment: [
            "HOME": home.path, "XDG_DATA_HOME": home.appendingPathComponent("data").path,
            "XDG_CONFIG_HOME": home.appendingPathComponent("config").path, "PATH": "/usr/bin:/bin",
        ])
    }

    func submitArguments(_ site: LocalSite, config: String? = nil, time: String = "5") -> [String] {
        ["submit", "--config", config ?? site.config, "-p", site.partition, "-t", time, "-w", site.node, "-A", site.account,
         "-s", "\(site.workdir)/cli-\(UUID().uuidString.prefix(8))", "-ai", site.appInfo, "-di", site.dataInfo,
         "-args", "--mode 'fast run'"]
    }

    @Test func submitStatusAndHistorySpeakJSON() throws {
        let site = try LocalSite.require()
        let home = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let submitted = try hpcsJob(submitArguments(site) + ["--json"], home: home)
        #expect(submitted.status == 0, "\(submitted.err)")
        let object = try #require(try JSONSerialization.jsonObject(with: submitted.stdout) as? [String: Any])
        let id = try #require(object["submission_id"] as? String)
        #expect(object["job_id"] is String && (object["remote_dir"] as? String)?.hasSuffix(id) == true)

        let status = try hpcsJob(["status", id, "--json"], home: home)
        let statuses = try #require(try JSONSerialization.jsonObject(with: status.stdout) as? [[String: Any]])
        #expect(statuses.first?["submission_id"] as? String == id)
        #expect(statuses.first?["state"] is String && statuses.first?.keys.contains("exit_code") == true)

        let history = try hpcsJob(["history", "--json"], home: home)
        let records = try #require(try JSONSerialization.jsonObject(with: history.stdout) as? [[String: Any]])
        #expect(records.first?["submission_id"] as? String == id)
        #expect(Set(["job_id", "job_name", "state", "created_at"]).isSubset(of: Set(records.first?.keys.map { $0 } ?? [])))
    }

    @Test func dryRunPrintsTheScriptAndRecordsNothing() throws {
        let site = try LocalSite.require()
        let home = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let result = try hpcsJob(submitArguments(site) + ["--dry-run"], home: home)
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.hasPrefix("#!/bin/bash") && result.out.contains("app_args=( '--mode' 'fast run' )"))
        #expect(try hpcsJob(["history", "--json"], home: home).out.trimmingCharacters(in: .whitespacesAndNewlines) == "[\n\n]"
                || (try JSONSerialization.jsonObject(with: hpcsJob(["history", "--json"], home: home).stdout) as? [Any])?.isEmpty == true)
    }

    @Test func distinctExitCodes() throws {
        let site = try LocalSite.require()
        let home = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        // Configuration: a missing key, named with file and section.
        let badConfig = home.appendingPathComponent("bad.conf")
        try "[vault]\nurl = http://x\n".write(to: badConfig, atomically: true, encoding: .utf8)
        let config = try hpcsJob(submitArguments(site, config: badConfig.path), home: home)
        #expect(config.status == 78 && config.err.contains(badConfig.path) && config.err.contains("[spire-server]"))
        // Usage: an invalid time limit, named with how to write one.
        let usage = try hpcsJob(submitArguments(site, time: "25:61"), home: home)
        #expect(usage.status == 64 && usage.err.contains("time"))
        // Connection: an unknown host key is refused, its fingerprint shown.
        let text = try String(contentsOfFile: site.config, encoding: .utf8)
        let unknownHosts = home.appendingPathComponent("known_hosts_empty")
        let strict = home.appendingPathComponent("strict.conf")
        try text.replacingOccurrences(of: site.knownHosts, with: unknownHosts.path).write(to: strict, atomically: true, encoding: .utf8)
        let hostKey = try hpcsJob(submitArguments(site, config: strict.path), home: home)
        #expect(hostKey.status == 69 && hostKey.err.contains("SHA256:") && hostKey.err.contains("--accept-new-host-key"))
        #expect(!FileManager.default.fileExists(atPath: unknownHosts.path))
        // Verification: an info file that is not one.
        let verification = try hpcsJob(submitArguments(site).map { $0 == site.dataInfo ? "/etc/hostname" : $0 }, home: home)
        #expect(verification.status == 65, "\(verification.err)")
        // Submission: sbatch's own words for an unknown partition.
        let submission = try hpcsJob(submitArguments(site).map { $0 == site.partition ? "nosuch" : $0 }, home: home)
        #expect(submission.status == 70 && submission.err.contains("invalid partition"), "\(submission.err)")
    }
}
