import Foundation
import SiteTestSupport
import Testing

/// The `hpcs-job` binary as scripts use it: JSON out, distinct exit codes.
@Suite(.enabled(if: LocalSite.isExpected, "\(LocalSite.howToStart)"), .serialized)
struct CommandLineTests {
    let binary = LocalSite.repositoryRoot.appendingPathComponent(".build/debug/hpcs-job").path

    func hpcsJob(_ arguments: [String], home: URL) throws -> ToolResult { try HPCSJobBinary.run(arguments, home: home) }

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

    /// A binary file given as an info file is named, not dumped (ELF bytes
    /// in a YAML parser's message would reach the terminal).
    @Test func aBinaryFileGivenAsAnInfoFileIsNamedNotShown() throws {
        let site = try LocalSite.require()
        let home = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        var arguments = submitArguments(site) + ["--dry-run"]
        if let index = arguments.firstIndex(of: site.appInfo) { arguments[index] = "/usr/bin/env" }
        let result = try hpcsJob(arguments, home: home)
        #expect(result.status == 65, "\(result.err)")
        #expect(result.err.contains("/usr/bin/env") && result.err.contains("is not an info file: it holds binary data"), "\(result.err)")
        #expect(!result.err.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" || (0x7F...0x9F).contains($0.value) })
    }

    /// The site's config with `[supercomputer] known-hosts` pointing elsewhere.
    func config(_ site: LocalSite, knownHosts: String, in home: URL) throws -> String {
        let text = try String(contentsOfFile: site.config, encoding: .utf8).replacingOccurrences(of: site.knownHosts, with: knownHosts)
        let file = home.appendingPathComponent("kh-\(UUID().uuidString.prefix(6)).conf")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    @Test func acceptNewHostKeyWritesTheKeyAndTheNextRunKnowsIt() throws {
        let site = try LocalSite.require()
        let home = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let knownHosts = home.appendingPathComponent("ssh/known_hosts")
        let conf = try config(site, knownHosts: knownHosts.path, in: home)
        let first = try hpcsJob(submitArguments(site, config: conf) + ["--dry-run", "--accept-new-host-key"], home: home)
        #expect(first.status == 0, "\(first.err)")
        let hostKey = try String(contentsOfFile: site["HPCS_SITE_ROOT"] + "/etc/ssh_host_ed25519_key.pub", encoding: .utf8)
            .split(separator: " ").prefix(2).joined(separator: " ")
        // One line with the key, under the name OpenSSH looks up (hashed when
        // ssh_config says HashKnownHosts yes, as Debian's /etc/ssh/ssh_config does).
        let written = try String(contentsOf: knownHosts, encoding: .utf8)
        #expect(written.hasSuffix(" \(hostKey)\n") && written.split(separator: "\n").count == 1, "\(written)")
        let found = try Tool.run("/usr/bin/ssh-keygen", ["-F", "[\(site.host)]:\(site.port)", "-f", knownHosts.path])
        #expect(found.status == 0, "ssh-keygen -F finds the entry: \(written)")
        // Without the flag, the key written is the one recognised.
        let second = try hpcsJob(submitArguments(site, config: conf) + ["--dry-run"], home: home)
        #expect(second.status == 0, "\(second.err)")
    }

    /// On the two-factor node with no terminal to ask on: exit 69, naming
    /// keyboard-interactive and the key that was accepted.
    @Test func aOneTimeCodeWithoutATerminalFailsSayingSo() throws {
        let site = try LocalSite.require()
        let home = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        // setsid: no controlling terminal, even when the tests run in one.
        let result = try Tool.run("/usr/bin/setsid", ["--wait", binary] + submitArguments(site, config: site["HPCS_SITE_2FA_CONFIG"])
                                    + ["--dry-run"], stdin: Data(), environment: [
            "HOME": home.path, "XDG_DATA_HOME": home.appendingPathComponent("data").path, "PATH": "/usr/bin:/bin"])
        #expect(result.status == 69)
        #expect(result.err.contains("keyboard-interactive") && result.err.contains("no terminal")
                && result.err.contains("accepted: publickey \(site.identity)"), "\(result.err)")
    }

    /// An RSA key: a submission where libssh2 signs with SHA-2, else the clear
    /// RSA message and exit 69 — never the generic failure.
    @Test func anRSAKeySubmitsOrSaysWhyNot() throws {
        let site = try LocalSite.require()
        let home = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let text = try String(contentsOfFile: site.config, encoding: .utf8)
            .replacingOccurrences(of: site.identity, with: site["HPCS_SITE_RSA_IDENTITY"])
        let conf = home.appendingPathComponent("rsa.conf")
        try text.write(to: conf, atomically: true, encoding: .utf8)
        let result = try Tool.run("/usr/bin/setsid", ["--wait", binary] + submitArguments(site, config: conf.path) + ["--dry-run"],
                                  stdin: Data(), environment: ["HOME": home.path, "XDG_DATA_HOME": home.appendingPathComponent("data").path,
                                                               "PATH": "/usr/bin:/bin"])
        if result.status == 0 { return }
        #expect(result.status == 69)
        #expect(result.err.contains("is an RSA key") && result.err.contains("SHA-1") && result.err.contains("ed25519"), "\(result.err)")
    }

    /// A host alias from a file pulled in by `Include` in ~/.ssh/config,
    /// reached through a ProxyCommand: the HPCS config names only the alias
    /// and the user, and the job is submitted.
    @Test func anIncludedAliasThroughAProxyCommandSubmits() throws {
        let site = try LocalSite.require()
        let home = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let marker = home.appendingPathComponent("proxy-ran")
        let configD = home.appendingPathComponent(".ssh/config.d")
        try FileManager.default.createDirectory(at: configD, withIntermediateDirectories: true)
        try "Include config.d/*.conf\n".write(to: home.appendingPathComponent(".ssh/config"), atomically: true, encoding: .utf8)
        try """
            Host hpcs-proxied
                HostName \(site.host)
                Port \(site.port)
                IdentityFile \(site.identity)
                UserKnownHostsFile \(site.knownHosts)
                ProxyCommand touch \(marker.path); exec nc %h %p
            """.write(to: configD.appendingPathComponent("hpcs.conf"), atomically: true, encoding: .utf8)
        let original = try String(contentsOfFile: site.config, encoding: .utf8)
        let cluster = try #require(original.range(of: "[supercomputer]"))
        let conf = home.appendingPathComponent("alias.conf")
        try (original[..<cluster.lowerBound] + "[supercomputer]\naddress = hpcs-proxied\nusername = \(site.user)\n")
            .write(to: conf, atomically: true, encoding: .utf8)
        let result = try hpcsJob(submitArguments(site, config: conf.path), home: home)
        #expect(result.status == 0 && result.out.contains("submitted "), "\(result.err)")
        #expect(FileManager.default.fileExists(atPath: marker.path), "the connection went through the ProxyCommand")
    }

    /// `--ssh-config FILE` (like ssh -F) is read instead of ~/.ssh/config.
    @Test func anSSHConfigFileGivenOnTheCommandLineIsUsed() throws {
        let site = try LocalSite.require()
        let home = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let file = home.appendingPathComponent("my_ssh_config")
        try """
            Host cluster-by-flag
                HostName \(site.host)
                Port \(site.port)
                IdentityFile \(site.identity)
                UserKnownHostsFile \(site.knownHosts)
            """.write(to: file, atomically: true, encoding: .utf8)
        let original = try String(contentsOfFile: site.config, encoding: .utf8)
        let cluster = try #require(original.range(of: "[supercomputer]"))
        let conf = home.appendingPathComponent("flag.conf")
        try (original[..<cluster.lowerBound] + "[supercomputer]\naddress = cluster-by-flag\nusername = \(site.user)\n")
            .write(to: conf, atomically: true, encoding: .utf8)
        let result = try hpcsJob(submitArguments(site, config: conf.path) + ["--dry-run", "--ssh-config", file.path], home: home)
        #expect(result.status == 0, "\(result.err)")
        // A real submission records the cluster the file led to, not the alias.
        let submitted = try hpcsJob(submitArguments(site, config: conf.path) + ["--ssh-config", file.path], home: home)
        #expect(submitted.status == 0, "\(submitted.err)")
        let listed = try hpcsJob(["history", "--jsonl", "--limit", "1"], home: home)
        #expect(listed.out.contains("\"cluster\":\"\(site.user)@\(site.host):\(site.port)\""), "\(listed.out)")
        let missing = try hpcsJob(submitArguments(site, config: conf.path) + ["--dry-run", "--ssh-config", "/nonexistent"], home: home)
        #expect(missing.status == 78 && missing.err.contains("--ssh-config /nonexistent"), "\(missing.err)")
    }

    /// A missing identity file is named before connecting, and the failure says so too.
    @Test func aMissingIdentityFileIsNamedAsSuch() throws {
        let site = try LocalSite.require()
        let home = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let text = try String(contentsOfFile: site.config, encoding: .utf8).replacingOccurrences(of: site.identity, with: "/nonexistent/id_ed25519")
        let conf = home.appendingPathComponent("missing-key.conf")
        try text.write(to: conf, atomically: true, encoding: .utf8)
        let result = try hpcsJob(submitArguments(site, config: conf.path) + ["--dry-run"], home: home)
        #expect(result.status == 69)
        #expect(result.err.hasPrefix("hpcs-job: warning: no such identity file /nonexistent/id_ed25519"), "\(result.err)")
        #expect(!result.err.contains("publickey /nonexistent"), "not reported as a key the server refused: \(result.err)")
    }

    /// logs, cancel, status and results by id, id prefix and job id; a
    /// prefix with _ or % is literal.
    @Test func logsCancelStatusAndResultsFindTheirSubmission() throws {
        let site = try LocalSite.require()
        let home = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let held = try hpcsJob(submitArguments(site).map { $0 == "--mode 'fast run'" ? "--hold" : $0 } + ["--json"], home: home)
        #expect(held.status == 0, "\(held.err)")
        let heldObject = try #require(try JSONSerialization.jsonObject(with: held.stdout) as? [String: Any])
        let heldID = try #require(heldObject["submission_id"] as? String)
        let heldJob = try #require(heldObject["job_id"] as? String)
        let cancelled = try hpcsJob(["cancel", heldJob], home: home)
        #expect(cancelled.status == 0 && cancelled.out.contains("cancel requested for job \(heldJob)"), "\(cancelled.err)")

        let arguments = submitArguments(site)
        let done = try hpcsJob(arguments + ["--json", "--follow"], home: home)
        #expect(done.status == 0, "\(done.err)")
        let id = try #require(String(decoding: done.stdout, as: UTF8.self).firstMatch(of: /"submission_id" : "([0-9a-f-]+)"/).map { String($0.1) })
        let prefix = String(id.prefix(id.count - 3))
        // Whatever the job wrote, logs prints no escape sequence to the terminal.
        let workdir = try #require(arguments.firstIndex(of: "-s").map { arguments[$0 + 1] })
        let appended = try site.openSSH(#"printf '\033]0;pwned\007\033[2Jtitle \302\233 cleared\n' >> "# + "\(workdir)/hpcs_\(site.user)-\(id).out")
        #expect(appended.status == 0, "\(appended.err)")
        let logs = try hpcsJob(["logs", prefix], home: home)
        #expect(logs.status == 0 && logs.out.contains("step 12/12"), "\(logs.err)")
        #expect(!logs.stdout.contains(0x1B) && logs.out.contains("title") && !logs.out.contains("pwned"), "\(logs.out.suffix(200))")
        let results = try hpcsJob(["results", prefix, "--output", home.appendingPathComponent("out").path], home: home)
        #expect(results.status == 0 && results.out.contains("results in \(home.path)/out/\(id)/files"), "\(results.out)\(results.err)")
        #expect(results.out.contains("argument: fast run"))
        // The cancelled one settles as CANCELLED.
        var state = ""
        for _ in 0..<60 where state != "CANCELLED" {
            let status = try hpcsJob(["status", heldID, "--json"], home: home)
            state = ((try? JSONSerialization.jsonObject(with: status.stdout) as? [[String: Any]])?.first?["state"] as? String) ?? ""
            if state != "CANCELLED" { Thread.sleep(forTimeInterval: 1) }
        }
        #expect(state == "CANCELLED")
        // _ and % are not wildcards in a lookup.
        let wildcard = try hpcsJob(["logs", String(id.prefix(8)) + "_"], home: home)
        #expect(wildcard.status == 64 && wildcard.err.contains("no submission"), "\(wildcard.err)")
    }

    /// The plain template (an unencrypted Singularity run) on the site.
    @Test func thePlainTemplateRunsOnTheSite() throws {
        let site = try LocalSite.require()
        let home = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let dir = "\(site.workdir)/plain-\(UUID().uuidString.prefix(8))"
        let made = try site.openSSH("""
            set -e; mkdir -p \(dir)/image; printf '#!/bin/bash\\necho "plain run: $*"\\n' > \(dir)/image/entrypoint
            chmod +x \(dir)/image/entrypoint; tar -C \(dir)/image -czf \(dir)/plain.sif .
            sum=$(sha512sum \(dir)/plain.sif | cut -d' ' -f1)
            printf 'info:\\n  path_at_rest: %s\\n  secret_path: none\\n  access_role: none\\n  checksum: %s\\n  spiffeID: spiffe://hpcs.local/c/plain\\n' \\
              \(dir)/plain.sif "$sum" > \(dir)/plain.info.yaml
            """)
        #expect(made.status == 0, "\(made.err)")
        let submitted = try hpcsJob(submitArguments(site).map { $0 == site.appInfo ? "\(dir)/plain.info.yaml" : $0 }
                                        + ["--template", "plain", "--follow"], home: home)
        #expect(submitted.status == 0, "\(submitted.err)")
        #expect(submitted.out.contains("plain run: --mode fast run") && submitted.out.contains("step 2/2: done"), "\(submitted.out)")
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
