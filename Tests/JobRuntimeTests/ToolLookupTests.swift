import Foundation
import HostTestSupport
import JobPreparation
@testable import JobRuntime
import SecureShell
import Testing

/// A login node whose shell is this machine's bash, in an environment the
/// test sets (PATH of fake tools, HPCS_TOOLS_MANIFEST, …): the probes run
/// for real, no site needed.
/// (Unchecked: a test sets the environment before anything runs.)
final class LocalShellNode: @unchecked Sendable {
    let folder: URL
    let bin: URL
    let host = InMemoryHost()
    var environment: [String: String]

    init(tools: [String]) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("hpcs-tools-\(UUID().uuidString)")
        bin = folder.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        for tool in tools {
            let file = bin.appendingPathComponent(tool)
            // A Slurm command answers as an idle cluster does; curl as a service that is up.
            try "#!/bin/sh\n[ \"$(basename \"$0\")\" = curl ] && printf 200\nexit 0\n".write(to: file, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.path)
        }
        // Only these tools and the few utilities the probes themselves use are on PATH.
        for utility in ["awk", "sed", "head", "basename", "cat", "tr"] {
            try FileManager.default.createSymbolicLink(atPath: bin.appendingPathComponent(utility).path, withDestinationPath: "/usr/bin/\(utility)")
        }
        environment = ["PATH": bin.path, "HOME": folder.path]
        for program in ["bash", "sh", "timeout"] + tools { host.on(program) { [self] words in try self.runLocally(words) } }
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    func runLocally(_ words: [String]) throws -> CommandResult {
        var argv = words
        switch argv[0] {
        case "bash", "sh": argv[0] = "/bin/" + argv[0]
        case "timeout":
            argv[0] = "/usr/bin/timeout"
            if argv.count > 2, argv[2] == "bash" { argv[2] = "/bin/bash" }
        default: argv[0] = bin.appendingPathComponent(argv[0]).path
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile(), stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(stdout: stdout, stderr: stderr, status: RemoteExitStatus(code: process.terminationStatus, signal: nil))
    }

    /// A site manifest (`name url sha256`) listing these tools.
    func siteManifest(_ names: [String]) throws -> String {
        let file = folder.appendingPathComponent("site-tools.manifest")
        try names.map { "\($0) https://tools.example.org/\($0).tar.gz \(String(repeating: "a", count: 64))" }.joined(separator: "\n")
            .write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }
}

/// Where the job finds its tools is decided once: the Options screen's line
/// (`ToolLookup.missing` of `tools status`) and doctor agree, and both
/// answer as the job script's own `find_tool` does.
struct ToolLookupTests {
    static let config = try? HPCSConfig.parse("""
        [spire-server]
        address = 127.0.0.1
        port = 9
        trust-domain = hpcs.example.org
        [hpcs-server]
        url = https://hpcs.example.org
        [vault]
        url = https://vault.example.org
        [supercomputer]
        address = login.example.org
        username = alice
        """, path: "/home/alice/hpcs-client.conf")

    func doctorsToolsCheck(_ node: LocalShellNode) async throws -> DoctorCheck {
        let config = try #require(Self.config)
        let doctor = SiteDoctor(configPath: config.path, interaction: NonInteractive())
        let checks = await doctor.clusterChecks(node.host, config: config, user: "alice")
        return try #require(checks.first { $0.id == "tools" }, "\(checks)")
    }

    /// A site that sets only HPCS_TOOLS_MANIFEST (the Options line used to
    /// warn "lack age, gocryptfs, spire-agent" while doctor passed).
    @Test func aSiteManifestAloneSatisfiesBothTheOptionsLineAndDoctor() async throws {
        let node = try LocalShellNode(tools: ["singularity", "curl", "sbatch", "squeue", "sacct", "scancel"])
        node.environment["HPCS_TOOLS_MANIFEST"] = try node.siteManifest(["age", "gocryptfs", "spire-agent"])
        let reports = try await ToolPinner(host: node.host).status(nil)
        #expect(ToolLookup.missing(reports).isEmpty, "the Options line: \(reports)")
        let doctor = try await doctorsToolsCheck(node)
        #expect(doctor.status == .pass && doctor.detail.contains("age: \(node.environment["HPCS_TOOLS_MANIFEST"] ?? "") (the site's manifest)"),
                "\(doctor)")
    }

    @Test func bothSayTheSameWhenToolsAreMissing() async throws {
        let node = try LocalShellNode(tools: ["age", "sbatch", "squeue", "sacct", "scancel"])
        let missing = ToolLookup.missing(try await ToolPinner(host: node.host).status(nil))
        #expect(missing == ["gocryptfs", "spire-agent", "singularity/apptainer", "curl"])
        let doctor = try await doctorsToolsCheck(node)
        #expect(doctor.status == .fail && doctor.detail.hasSuffix(missing.joined(separator: ", ")), "\(doctor)")
    }

    /// The probe answers as the job script's `find_tool` (taken from the
    /// template itself) for each of the site's ways.
    @Test func theProbeFollowsTheJobScriptsOwnLookup() async throws {
        let template = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Templates/hpcs.sbatch")
        let text = try String(contentsOf: template, encoding: .utf8)
        let start = try #require(text.range(of: "find_tool() {"))
        let end = try #require(text.range(of: "\n}\n", range: start.upperBound..<text.endIndex))
        let findTool = String(text[start.lowerBound..<end.upperBound])
        let node = try LocalShellNode(tools: ["age", "gocryptfs"])
        let dir = node.folder.appendingPathComponent("site-dir")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let siteAge = dir.appendingPathComponent("age")
        try "#!/bin/sh\n".write(to: siteAge, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: siteAge.path)
        let manifest = try node.siteManifest(["gocryptfs", "spire-agent"])
        for (dirSetting, manifestSetting) in [(nil, nil), (dir.path, nil), (nil, manifest), (dir.path, manifest)] as [(String?, String?)] {
            node.environment["HPCS_TOOLS_DIR"] = dirSetting
            node.environment["HPCS_TOOLS_MANIFEST"] = manifestSetting
            // The job's lookup with its downloads stubbed: it says which way it took.
            let stubs = "fetch_pinned() { echo \"site-manifest $1\"; }\nfail() { echo missing; }\ntools_manifest=\n"
            for name in ["age", "gocryptfs", "spire-agent", "curl"] {
                let job = try node.runLocally(["bash", "-c", stubs + findTool + "\nfind_tool \"$1\"", "job", name]).stdoutText
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                let probe = try #require(ToolLookup.parse(try node.runLocally(ToolLookup.command([name])).stdoutText)[name])
                let probeSays = probe.site.map { $0.hasSuffix("(the site's manifest)") ? "site-manifest \(name)" : $0 } ?? probe.path ?? "missing"
                #expect(job == probeSays, "\(name) with HPCS_TOOLS_DIR=\(dirSetting ?? "-") HPCS_TOOLS_MANIFEST=\(manifestSetting ?? "-")")
            }
        }
    }
}
