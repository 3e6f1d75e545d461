import Foundation
import SiteTestSupport
import Testing

/// `hpcs-job doctor` against the local site and against broken variants of it.
@Suite(.enabled(if: LocalSite.isExpected, "\(LocalSite.howToStart)"))
struct DoctorTests {
    let binary = LocalSite.repositoryRoot.appendingPathComponent(".build/debug/hpcs-job").path

    func doctor(_ arguments: [String], home: URL) throws -> ToolResult {
        try Tool.run(binary, ["doctor"] + arguments, environment: [
            "HOME": home.path, "XDG_DATA_HOME": home.appendingPathComponent("data").path,
            "XDG_CONFIG_HOME": home.appendingPathComponent("config").path, "PATH": "/usr/bin:/bin",
        ])
    }

    /// The site's config with `[supercomputer]` keys replaced.
    func config(_ site: LocalSite, in home: URL, _ changes: [String: String]) throws -> String {
        var lines = try String(contentsOfFile: site.config, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            .map(String.init)
        let section = try #require(lines.firstIndex(of: "[supercomputer]"))
        for (key, value) in changes {
            let index = try #require(lines[section...].firstIndex { $0.hasPrefix("\(key) =") })
            lines[index] = "\(key) = \(value)"
        }
        let file = home.appendingPathComponent("doctor-\(UUID().uuidString.prefix(8)).conf")
        try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    func checks(_ result: ToolResult) throws -> [String: [String: Any]] {
        let object = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any], "\(result.out)")
        let list = try #require(object["checks"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: list.map { ($0["check"] as? String ?? "", $0) })
    }

    @Test func everyCheckPassesOnTheLocalSite() throws {
        let site = try LocalSite.require()
        let home = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let result = try doctor(["--config", site.config, "--json"], home: home)
        #expect(result.status == 0, "\(result.out)\(result.err)")
        let found = try checks(result)
        let expected = ["config", "spire-trust", "dns", "tcp", "host-key", "auth", "slurm-commands", "slurm", "accounting", "test-job",
                        "tools", "vault", "hpcs-server", "spire-server"]
        #expect(Set(found.keys) == Set(expected))
        for id in expected { #expect(found[id]?["status"] as? String == "pass", "\(id): \(found[id] ?? [:])") }
        // The fingerprint shown is the real key's, as ssh-keygen prints it.
        let keygen = try Tool.run("/usr/bin/ssh-keygen", ["-l", "-f", site["HPCS_SITE_ROOT"] + "/etc/ssh_host_ed25519_key.pub"])
        let fingerprint = try #require(keygen.out.split(separator: " ").dropFirst().first.map(String.init))
        #expect((found["host-key"]?["detail"] as? String)?.contains(fingerprint) == true)
        #expect((found["auth"]?["detail"] as? String)?.contains("publickey \(site.identity)") == true)

        // The text form: one line per check, a summary, exit 0.
        let text = try doctor(["--config", site.config], home: home)
        #expect(text.status == 0 && text.out.contains("[ok]   test submission") && text.out.contains("all 14 checks passed"))

        // Where jobs run: the same tools found through srun on a compute node.
        let compute = try doctor(["--config", site.config, "--json", "--on-compute-node", "-p", site.partition], home: home)
        #expect(compute.status == 0, "\(compute.out)")
        let tools = try checks(compute)["tools"]
        #expect(tools?["title"] as? String == "HPCS tools (compute node)")
        #expect((tools?["detail"] as? String)?.contains("singularity: /") == true, "\(tools ?? [:])")
    }

    @Test func aClosedPortFailsAtTCPAndSkipsTheRest() throws {
        let site = try LocalSite.require()
        let home = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let closed = try FreePort.find(ipv6: false)
        let result = try doctor(["--config", try config(site, in: home, ["port": String(closed)]), "--json"], home: home)
        #expect(result.status == 69)
        let found = try checks(result)
        #expect(found["dns"]?["status"] as? String == "pass")
        #expect(found["tcp"]?["status"] as? String == "fail")
        #expect((found["tcp"]?["detail"] as? String)?.contains("port \(closed)") == true)
        #expect((found["tcp"]?["fix"] as? String)?.contains("port") == true)
        for id in ["host-key", "auth", "slurm-commands", "tools"] { #expect(found[id]?["status"] as? String == "skip") }
    }

    @Test func anUnknownHostKeyFailsShowingItsFingerprintAndWritesNothing() throws {
        let site = try LocalSite.require()
        let home = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let knownHosts = home.appendingPathComponent("known_hosts_empty")
        let result = try doctor(["--config", try config(site, in: home, ["known-hosts": knownHosts.path])], home: home)
        #expect(result.status == 69)
        #expect(result.out.contains("[FAIL] host key") && result.out.contains("SHA256:") && result.out.contains("--accept-new-host-key"),
                "\(result.out)")
        #expect(result.out.contains("[skip] authentication"))
        #expect(!FileManager.default.fileExists(atPath: knownHosts.path))
    }

    @Test func aLoginNodeWithoutSlurmOnPathIsNamed() throws {
        let site = try LocalSite.require()
        let home = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        // The login shell's PATH holds a shell and curl, but no Slurm.
        let bin = home.appendingPathComponent("bare-bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        for tool in ["sh", "bash", "env", "curl", "awk", "timeout"] {
            try FileManager.default.createSymbolicLink(atPath: bin.appendingPathComponent(tool).path,
                                                       withDestinationPath: Tool.which(tool) ?? "/usr/bin/\(tool)")
        }
        _ = chmod(home.path, 0o755)
        let node = try TestLoginNode(site: site, directory: home, dropping: ["SetEnv"], adding: ["SetEnv PATH=\(bin.path)"])
        defer { node.stop() }
        let knownHosts = home.appendingPathComponent("known_hosts")
        try (node.knownHostsLine + "\n").write(to: knownHosts, atomically: true, encoding: .utf8)
        let result = try doctor(["--config", try config(site, in: home, ["port": String(node.port), "known-hosts": knownHosts.path]),
                                 "--json"], home: home)
        #expect(result.status == 70)
        let found = try checks(result)
        #expect(found["auth"]?["status"] as? String == "pass")
        #expect(found["slurm-commands"]?["status"] as? String == "fail")
        #expect((found["slurm-commands"]?["detail"] as? String)?.contains("sbatch, squeue, sacct, scancel") == true)
        #expect(found["test-job"]?["status"] as? String == "skip")
    }
}
