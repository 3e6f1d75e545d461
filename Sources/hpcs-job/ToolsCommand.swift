import ArgumentParser
import Foundation
import JobPreparation
import JobRuntime
import SecureShell

/// `hpcs-job tools`: pin the job's tools once, cache them on the cluster.
struct Tools: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Pin the tools HPCS jobs need (age, gocryptfs, spire-agent) and cache them on the cluster.",
        discussion: """
            A new site provides none of them. `tools pin` downloads each release archive on the login node, \
            verifies it (against the checksum file its project publishes, or a SHA-256 you confirm), caches it in \
            ~/.hpcs-job/tools on the cluster's shared filesystem and records it in $XDG_CONFIG_HOME/hpcs-job/tools/USER@HOST:PORT.manifest, \
            which every submission to that login node uploads with the job. The job checks the cached copy's SHA-256 again before use. \
            Tools the login environment provides (HPCS_TOOLS_DIR, HPCS_TOOLS_MANIFEST) win over pinned ones.
            """,
        subcommands: [Pin.self, ToolsStatus.self])

    struct Connection: ParsableArguments {
        @Option(name: .long, help: "HPCS client configuration (INI) naming the cluster.") var config: String
        @Flag(name: .long, help: "Accept and remember an unknown host key.") var acceptNewHostKey = false
        @Option(name: .customLong("ssh-config"), help: "Use this ssh_config file instead of ~/.ssh/config (like ssh -F).")
        var sshConfig: String?
    }

    struct Pin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download, verify and cache the tools on the cluster; record them locally.")

        @OptionGroup var connection: Connection
        @Option(name: .long, help: "A site mirror laid out like https://github.com (OWNER/REPO/releases/download/TAG/FILE).")
        var mirror: String?
        @Option(name: .long, help: "The compute nodes' architecture (amd64, arm64); default: what Slurm reports.")
        var arch: String?
        @Option(name: .customLong("accept-sha256"), help: "A SHA-256 you checked, for a tool whose project publishes no checksum (repeatable).")
        var acceptSHA256: [String] = []

        func validate() throws {
            if let mirror {
                let host = URLComponents(string: mirror)?.host
                guard mirror.hasPrefix("https://") || mirror.hasPrefix("http://"), host != nil,
                      !mirror.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0 == "'" || $0 == "\"" }) else {
                    throw ValidationError("--mirror '\(mirror)' is not an http(s) URL")
                }
                if mirror.hasPrefix("http://"), !HPCSConfig.isLoopback(host) {
                    throw ValidationError("--mirror '\(mirror)' is plain HTTP to another machine: its checksum files could be altered on the way; use https://")
                }
            }
            if let arch, !["amd64", "arm64"].contains(arch) { throw ValidationError("--arch '\(arch)': use amd64 or arm64") }
        }

        func run() async throws {
            let config = try loadConfig(connection.config)
            let paths = LocalPaths()
            let ssh = try await connect(config, acceptNewHostKey: connection.acceptNewHostKey, sshConfigPath: connection.sshConfig)
            defer { ssh.close() }
            var manifest: ToolManifest
            do {
                manifest = try ToolManifest.load(paths, cluster: ssh.settings) ?? ToolManifest()
            } catch {
                throw fail("\(error)", code: ExitCodes.config)
            }
            let pinner = ToolPinner(host: ssh)
            let arch: String
            do {
                arch = try await self.arch.asyncOr { try await pinner.architecture() }
            } catch {
                throw fail("\(error)", code: ExitCodes.usage)
            }
            let base = mirror ?? ToolRelease.upstream
            Console.output("Pinning for linux-\(arch) from \(base) on \(ssh.settings.host) (cache ~/\(ToolManifest.cacheDirectory)):")
            let accepted = Set(acceptSHA256.map { $0.lowercased() })
            var failures: [ToolPinner.Failure] = []
            for release in ToolRelease.catalogue {
                do {
                    let outcome = try await pinner.pin(release, base: base, arch: arch, existing: manifest[release.name]) { tool in
                        accepted.contains(tool.sha256) || Self.confirm(tool)
                    }
                    manifest.pin(outcome.tool)
                    // Saved after each tool: an interruption keeps what was pinned.
                    try manifest.save(paths, cluster: ssh.settings)
                    Console.output("  \(release.name) \(release.version)  sha256 \(outcome.tool.sha256)  " + Self.describe(outcome.verification))
                } catch let failure as ToolPinner.Failure {
                    failures.append(failure)
                    Console.output("  \(release.name) \(release.version)  NOT PINNED")
                } catch {
                    failures.append(ToolPinner.Failure(tool: release.name, reason: "\(error)", fix: nil))
                    Console.output("  \(release.name) \(release.version)  NOT PINNED")
                }
            }
            if !manifest.tools.isEmpty {
                Console.output("Manifest: \(paths.toolsManifest(for: ssh.settings).path) (uploaded with every job to this login node)")
            }
            guard failures.isEmpty else {
                for failure in failures { Console.error("hpcs-job: \(failure)\n") }
                throw ExitCode(ExitCodes.verification)
            }
        }

        static func describe(_ verification: ToolPinner.Verification) -> String {
            switch verification {
            case .published(let url): "matches \(url)"
            case .confirmedByUser: "confirmed by you (no published checksum)"
            case .alreadyCached: "already cached, unchanged"
            }
        }

        /// As with an unknown host key: the SHA-256 is shown and only `yes`
        /// or the SHA-256 itself accepts it; without a terminal nothing is.
        static func confirm(_ tool: PinnedTool) -> Bool {
            let text = """
                \(tool.name) \(tool.version): \(tool.url)
                  SHA-256 \(tool.sha256)
                Its project publishes no checksum. Compare this one with a source you trust (the release page, your site).
                """
            guard ControllingTerminal.isAvailable else {
                Console.error("hpcs-job: \(text)\n  If it is right, run again with --accept-sha256 \(tool.sha256)\n")
                return false
            }
            let answer = ControllingTerminal.ask(text + "\nPin it (yes/no/[sha256])? ", echo: true)?
                .trimmingCharacters(in: .whitespaces).lowercased()
            return answer == "yes" || answer == tool.sha256
        }
    }

    struct ToolsStatus: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status", abstract: "What is pinned, what is cached on the cluster, what the login environment provides.")

        @OptionGroup var connection: Connection
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() async throws {
            let config = try loadConfig(connection.config)
            let ssh = try await connect(config, acceptNewHostKey: connection.acceptNewHostKey, sshConfigPath: connection.sshConfig)
            defer { ssh.close() }
            let manifest: ToolManifest?
            do {
                manifest = try ToolManifest.load(LocalPaths(), cluster: ssh.settings)
            } catch {
                throw fail("\(error)", code: ExitCodes.config)
            }
            let reports: [ToolPinner.Report]
            do {
                reports = try await ToolPinner(host: ssh).status(manifest)
            } catch {
                throw fail("\(error)", code: ExitCodes.connection)
            }
            if json {
                return try printJSON(reports.map { report in
                    var object: [String: Any] = ["name": report.name]
                    if let pinned = report.pinned {
                        object["pinned"] = ["version": pinned.version, "sha256": pinned.sha256, "url": pinned.url]
                    }
                    if let cache = report.cache { object["cache"] = cache.rawValue }
                    if let site = report.siteSetting { object["site"] = site }
                    if let path = report.onPath { object["path"] = path }
                    object["job_uses"] = Self.used(report)
                    return object
                })
            }
            Console.output(["TOOL", "PINNED", "CACHE", "LOGIN ENVIRONMENT", "A JOB USES"].joined(separator: "\t"))
            for report in reports {
                Console.output([report.name, report.pinned.map { "\($0.version) \($0.sha256.prefix(12))…" } ?? "-",
                                report.cache?.rawValue ?? "-", report.siteSetting ?? report.onPath ?? "-", Self.used(report)]
                                   .joined(separator: "\t"))
            }
            let missing = reports.filter { Self.used($0) == "nothing: missing" && $0.name != "apptainer" }
            if !missing.isEmpty {
                Console.output("Missing: \(missing.map(\.name).joined(separator: ", ")); run `hpcs-job tools pin --config \(connection.config)`"
                               + (missing.contains { $0.name == "singularity" } ? " (the container runtime is the site's: ask it)" : ""))
            }
        }

        /// The job's order: the site's setting, then the pinned copy, then PATH.
        static func used(_ report: ToolPinner.Report) -> String {
            report.jobUses ?? report.cache.map { "pinned, cache \($0.rawValue): pin again" } ?? "nothing: missing"
        }
    }
}

extension Optional {
    func asyncOr(_ fallback: () async throws -> Wrapped) async rethrows -> Wrapped {
        if let value = self { return value }
        return try await fallback()
    }
}
