import Foundation
import JobPreparation
import SecureShell

/// One line of `hpcs-job doctor`: what was checked, how it went and, when
/// it failed, what to do about it.
public struct DoctorCheck: Sendable, Equatable {
    public enum Status: String, Sendable { case pass, fail, skip }
    /// Which exit code a failure maps to: configuration, connection, cluster.
    public enum Area: String, Sendable { case config, connection, cluster }

    public let id: String
    public let title: String
    public let area: Area
    public var status: Status
    public var detail: String
    public var fix: String?

    init(_ id: String, _ title: String, _ area: Area, _ status: Status, _ detail: String, fix: String? = nil) {
        self.id = id
        self.title = title
        self.area = area
        self.status = status
        self.detail = detail
        self.fix = fix
    }
}

/// The checks a user (or a site's support desk) runs when something does not
/// work, in the order a submission needs them. A failed step skips the
/// steps that need it, naming it.
public struct SiteDoctor: Sendable {
    public var configPath: String
    public var sshConfig: SSHConfigFile?
    public var interaction: SSHInteraction
    /// Look for the job's tools on a compute node (through `srun`) instead of the login node.
    public var onComputeNode = false
    public var partition: String?
    public var account: String?
    /// Where the user's pinned tools are recorded (a manifest per login
    /// node): a valid cached copy counts as found. Nil: pins are not looked at.
    public var pinnedToolPaths: LocalPaths?

    public init(configPath: String, sshConfig: SSHConfigFile? = nil, interaction: SSHInteraction) {
        self.configPath = configPath
        self.sshConfig = sshConfig
        self.interaction = interaction
    }

    /// Runs every check, handing each to `report` as soon as it is known.
    public func run(report: @Sendable (DoctorCheck) -> Void) async -> [DoctorCheck] {
        var checks: [DoctorCheck] = []
        func add(_ check: DoctorCheck) {
            checks.append(check)
            report(check)
        }
        func skipAll(_ rest: [(String, String, DoctorCheck.Area)], because reason: String) {
            for (id, title, area) in rest { add(DoctorCheck(id, title, area, .skip, "not checked: \(reason)")) }
        }

        let config: HPCSConfig
        do {
            config = try HPCSConfig.load(path: configPath)
            add(DoctorCheck("config", "configuration", .config, .pass,
                            "\(configPath) parses: \(config.supercomputer.username)@\(config.supercomputer.address)"))
        } catch {
            add(DoctorCheck("config", "configuration", .config, .fail, "\(error)",
                            fix: "correct the file (README: Configuration), then run doctor again"))
            skipAll(Self.afterConfig, because: "the configuration does not load")
            return checks
        }
        add(trustCheck(config))
        let settings = config.connectionSettings(sshConfig: sshConfig)
        // Through ProxyJump, this machine reaches only the first hop itself.
        let firstHop = settings.jumpHosts.first ?? settings
        let via = settings.jumpHosts.isEmpty ? "" : " (first jump host, for \(settings.host))"

        do {
            let addresses = try NetworkProbe.addresses(of: firstHop.host, port: firstHop.port)
            add(DoctorCheck("dns", "name resolution", .connection, .pass,
                            "\(firstHop.host)\(via) is \(addresses.joined(separator: ", "))"))
        } catch {
            add(DoctorCheck("dns", "name resolution", .connection, .fail, "\(error)",
                            fix: "check [supercomputer] address (or HostName in ~/.ssh/config); on a VPN-only site, connect the VPN"))
            skipAll(Self.afterDNS, because: "\(firstHop.host) does not resolve")
            return checks
        }
        do {
            let took = try NetworkProbe.tcp(host: firstHop.host, port: firstHop.port, timeout: firstHop.connectTimeout)
            add(DoctorCheck("tcp", "TCP to the login node", .connection, .pass,
                            "\(firstHop.host) port \(firstHop.port)\(via) answers (\(Self.milliseconds(took)) ms)"))
        } catch {
            add(DoctorCheck("tcp", "TCP to the login node", .connection, .fail, "\(error)",
                            fix: "check the port ([supercomputer] port or Port in ~/.ssh/config) and that this machine may reach the login node (VPN, firewall)"))
            skipAll(Self.afterTCP, because: "no TCP connection")
            return checks
        }

        let connection: SSHConnection
        do {
            connection = try await SSHConnection.connect(settings, interaction: interaction)
        } catch let error as SSHError {
            switch error {
            case .hostKeyNotAccepted(let key):
                add(DoctorCheck("host-key", "host key", .connection, .fail,
                                "\(key.hostDescription) is not in \(settings.knownHostsFiles.joined(separator: ", ")): \(key.keyType) \(key.fingerprint)",
                                fix: "compare the fingerprint with the one your site publishes, then run again with --accept-new-host-key"))
                skipAll(Self.afterHostKey, because: "the host key is not accepted")
            case .hostKeyChanged:
                add(DoctorCheck("host-key", "host key", .connection, .fail, "\(error)",
                                fix: "ask the site whether the key was changed; only then remove the old line"))
                skipAll(Self.afterHostKey, because: "the host key changed")
            case .authentication:
                add(DoctorCheck("host-key", "host key", .connection, .pass, "known"))
                add(DoctorCheck("auth", "authentication", .connection, .fail, "\(error)",
                                fix: "check [supercomputer] username and identity-file; the key's public half must be in ~/.ssh/authorized_keys on the cluster"))
                skipAll(Self.afterAuth, because: "not logged in")
            default:
                add(DoctorCheck("host-key", "host key", .connection, .fail, "SSH handshake failed: \(error)",
                                fix: "is it an SSH server? (try `ssh -v` to the same host and port)"))
                skipAll(Self.afterHostKey, because: "no SSH session")
            }
            return checks
        } catch {
            add(DoctorCheck("host-key", "host key", .connection, .fail, "\(error)"))
            skipAll(Self.afterHostKey, because: "no SSH session")
            return checks
        }
        defer { connection.close() }
        let details = connection.details
        add(DoctorCheck("host-key", "host key", .connection, .pass,
                        "\(details.hostKey.keyType) \(details.hostKey.fingerprint)"
                            + (details.hostKeyWasKnown ? " (known)" : " (accepted now, added to \(settings.knownHostsFiles[0]))")))
        add(DoctorCheck("auth", "authentication", .connection, .pass,
                        "server offers \(details.offeredMethods.joined(separator: ", ")); logged in as \(settings.user) with \(details.authenticatedWith)"))

        for check in await clusterChecks(connection, config: config, user: settings.user) { add(check) }
        return checks
    }

    // MARK: On the cluster

    /// What is checked once logged in, on any login node (the site's, or one in memory).
    func clusterChecks(_ ssh: any RemoteHost, config: HPCSConfig, user: String) async -> [DoctorCheck] {
        var checks: [DoctorCheck] = []
        let commands = await remote(ssh, ["sh", "-c", Self.findCommands, "doctor", "sbatch", "squeue", "sacct", "scancel", "srun"])
        let found = Self.table(commands?.stdoutText ?? "")
        let missing = ["sbatch", "squeue", "sacct", "scancel"].filter { found[$0] == nil }
        if commands == nil || !missing.isEmpty {
            checks.append(DoctorCheck("slurm-commands", "Slurm commands", .cluster, .fail,
                                      commands == nil ? "cannot run commands on the login node"
                                          : "not on PATH of the login shell: \(missing.joined(separator: ", "))",
                                      fix: "hpcs-job runs them through your login shell: load Slurm there for non-interactive shells (e.g. `module load slurm` in ~/.bashrc), or ask the site"))
            for (id, title, area) in Self.afterSlurmCommands {
                checks.append(DoctorCheck(id, title, area, .skip, "not checked: no Slurm commands"))
            }
            return checks
        }
        checks.append(DoctorCheck("slurm-commands", "Slurm commands", .cluster, .pass,
                                  ["sbatch", "squeue", "sacct", "scancel"].map { found[$0] ?? $0 }.joined(separator: " ")))

        let queue = await remote(ssh, ["squeue", "-h", "-u", user, "-o", "%i"])
        if let queue, queue.exitCode == 0 {
            let count = queue.stdoutText.split(separator: "\n").count
            checks.append(DoctorCheck("slurm", "Slurm answers", .cluster, .pass, "squeue: \(count) job(s) of \(user) queued or running"))
        } else {
            checks.append(DoctorCheck("slurm", "Slurm answers", .cluster, .fail, Self.said(queue, "squeue"),
                                      fix: "slurmctld does not answer the login node; ask the site (or retry: it may be restarting)"))
        }

        let accounting = await remote(ssh, ["sacct", "-n", "-X", "-P", "-u", user, "-S", "now-7days", "-o", "JobID"])
        let accountingText = (accounting?.stdoutText ?? "") + (accounting?.stderrText ?? "")
        if let accounting, accounting.exitCode == 0, !accountingText.localizedCaseInsensitiveContains("disabled") {
            let count = accounting.stdoutText.split(separator: "\n").count
            checks.append(DoctorCheck("accounting", "accounting (sacct)", .cluster, .pass, "sacct: \(count) job(s) of \(user) in the last 7 days"))
        } else {
            checks.append(DoctorCheck("accounting", "accounting (sacct)", .cluster, .fail, Self.said(accounting, "sacct"),
                                      fix: "without accounting, finished jobs' states are unknown to hpcs-job; ask the site to enable slurmdbd"))
        }

        var test = ["sbatch", "--test-only", "-N", "1", "-t", "1", "-J", "hpcs-job-doctor"]
        if let partition { test += ["-p", partition] }
        if let account { test += ["-A", account] }
        let trial = await remote(ssh, test + ["--wrap", "true"])
        if let trial, trial.exitCode == 0 {
            let line = trial.stderrText.split(separator: "\n").last.map(String.init) ?? "accepted"
            checks.append(DoctorCheck("test-job", "test submission", .cluster, .pass, line))
        } else {
            checks.append(DoctorCheck("test-job", "test submission", .cluster, .fail,
                                      "sbatch --test-only of a 1-node, 1-minute job" + (partition == nil ? " in your default partition" : "")
                                          + ": " + Self.said(trial, "sbatch"),
                                      fix: "name the partition and account your jobs use: doctor --partition P --account A"))
        }

        checks.append(await toolsCheck(ssh))
        checks += await serviceChecks(ssh, config: config)
        return checks
    }

    /// The job's tools as `tools status` and the Options screen see them
    /// (`ToolLookup`), on the login node or, through srun, a compute node.
    private func toolsCheck(_ host: any RemoteHost) async -> DoctorCheck {
        let title = onComputeNode ? "HPCS tools (compute node)" : "HPCS tools"
        var srun: [String] = []
        if onComputeNode {
            srun = ["srun", "--quiet", "-N", "1", "-n", "1", "-t", "2", "-J", "hpcs-job-doctor"]
            if let partition { srun += ["-p", partition] }
            if let account { srun += ["-A", account] }
        }
        let pinned = pinnedToolPaths.flatMap { try? ToolManifest.load($0, cluster: host.settings) }
        let reports: [ToolPinner.Report]
        do { reports = try await ToolPinner(host: host).status(pinned, probePrefix: srun) } catch {
            return DoctorCheck("tools", title, .cluster, .fail, "cannot look for the tools: \(error)",
                               fix: onComputeNode ? "srun could not start a step; try --partition/--account" : nil)
        }
        let missing = ToolLookup.missing(reports)
        let where_ = onComputeNode ? "on the compute node" : "for jobs from this login node"
        if missing.isEmpty {
            // The container runtime under the name a job would use.
            let runtime = reports.first { $0.name == "singularity" && $0.jobUses != nil } ?? reports.first { $0.name == "apptainer" }
            let shown = reports.filter { !["singularity", "apptainer"].contains($0.name) || $0 == runtime }
            return DoctorCheck("tools", title, .cluster, .pass, shown.map { "\($0.name): \(Self.whereFound($0))" }.joined(separator: "; "))
        }
        return DoctorCheck("tools", title, .cluster, .fail, "not found \(where_): \(missing.joined(separator: ", "))",
                           fix: "run `hpcs-job tools pin` (README: A new site), ask the site, or set HPCS_TOOLS_DIR / HPCS_TOOLS_MANIFEST in your login environment"
                               + (onComputeNode ? "" : "; --on-compute-node checks where jobs run"))
    }

    /// Where a job finds the tool, in the job script's order.
    static func whereFound(_ report: ToolPinner.Report) -> String {
        if let site = report.siteSetting { return site }
        if let pinned = report.pinned, report.cache == .valid { return "pinned \(pinned.version) (cached)" }
        return report.onPath ?? "missing"
    }

    private func serviceChecks(_ ssh: any RemoteHost, config: HPCSConfig) async -> [DoctorCheck] {
        var checks: [DoctorCheck] = [await vaultCheck(ssh, config: config)]
        let url = config.hpcsServerURL
        let result = await remote(ssh, ["curl", "-sS", "-o", "/dev/null", "--max-time", "10", "-w", "%{http_code}", url])
        if let result, result.exitCode == 0 {
            checks.append(DoctorCheck("hpcs-server", "HPCS server reachable", .cluster, .pass, "\(url) answers HTTP \(result.stdoutText)"))
        } else {
            checks.append(DoctorCheck("hpcs-server", "HPCS server reachable", .cluster, .fail, "from the login node: " + Self.said(result, "curl"),
                                      fix: "check [hpcs-server] url in \(configPath); the job needs it from the compute nodes too"))
        }
        let spire = config.spireServer
        let probe = await remote(ssh, ["timeout", "10", "bash", "-c", "exec 3<>\"/dev/tcp/$1/$2\"", "doctor", spire.address, String(spire.port)])
        if let probe, probe.exitCode == 0 {
            checks.append(DoctorCheck("spire-server", "SPIRE server reachable", .cluster, .pass, "\(spire.address) port \(spire.port) answers"))
        } else {
            checks.append(DoctorCheck("spire-server", "SPIRE server reachable", .cluster, .fail,
                                      "from the login node: \(spire.address) port \(spire.port): " + Self.said(probe, "bash"),
                                      fix: "check [spire-server] address and port in \(configPath)"))
        }
        return checks
    }

    /// Vault's health endpoint, as the login node reaches it: ok (active or
    /// a standby that forwards), sealed, not initialised, or unreachable.
    private func vaultCheck(_ ssh: any RemoteHost, config: HPCSConfig) async -> DoctorCheck {
        let url = config.vaultURL.trimmingSuffix("/") + "/v1/sys/health"
        let title = "Vault reachable"
        let result = await remote(ssh, ["curl", "-sS", "-o", "/dev/null", "--max-time", "10", "-w", "%{http_code}", url])
        guard let result, result.exitCode == 0 else {
            return DoctorCheck("vault", title, .cluster, .fail, "unreachable from the login node: " + Self.said(result, "curl"),
                               fix: "check [vault] url in \(configPath); the job needs it from the compute nodes too")
        }
        let code = result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        switch code {
        case "200": return DoctorCheck("vault", title, .cluster, .pass, "\(url): ok (initialised, unsealed, active)")
        case "429", "472", "473": return DoctorCheck("vault", title, .cluster, .pass, "\(url): ok (a standby, HTTP \(code))")
        case "503": return DoctorCheck("vault", title, .cluster, .fail, "\(url): sealed (HTTP 503)",
                                       fix: "Vault is sealed: jobs cannot read their keys until the site unseals it; ask the site")
        case "501": return DoctorCheck("vault", title, .cluster, .fail, "\(url): not initialised (HTTP 501)", fix: "ask the site")
        default: return DoctorCheck("vault", title, .cluster, .fail, "\(url) answers HTTP \(code), not Vault's health answer",
                                    fix: "check [vault] url in \(configPath): it should be the Vault server's base URL")
        }
    }

    /// Whether the job's SPIRE agent can know its server: a readable trust
    /// bundle. Without one it fails, whether or not the user opted into an
    /// insecure bootstrap (then jobs run, but the check says what that costs).
    private func trustCheck(_ config: HPCSConfig) -> DoctorCheck {
        let title = "SPIRE trust bundle"
        guard config.spireServer.trustBundle != nil else {
            let detail = config.spireServer.insecureBootstrap
                ? "none; insecure-bootstrap = yes: the job's agent trusts the first server it reaches"
                : "none: jobs are refused until one is named (or insecure-bootstrap = yes)"
            return DoctorCheck("spire-trust", title, .config, .fail, detail,
                               fix: "name the SPIRE server's CA bundle as trust-bundle = FILE under [spire-server] in \(configPath); your site publishes it")
        }
        do {
            _ = try config.readTrustBundle()
            return DoctorCheck("spire-trust", title, .config, .pass, config.spireServer.trustBundle ?? "")
        } catch {
            return DoctorCheck("spire-trust", title, .config, .fail, "\(error)")
        }
    }

    /// A command's result, or nil when the connection could not run it.
    private func remote(_ ssh: any RemoteHost, _ arguments: [String]) async -> CommandResult? {
        try? await ssh.run(arguments)
    }

    // MARK: Helpers

    static let afterConfig: [(String, String, DoctorCheck.Area)] = [("spire-trust", "SPIRE trust bundle", .config),
                                                                    ("dns", "name resolution", .connection)] + afterDNS
    static let afterDNS: [(String, String, DoctorCheck.Area)] = [("tcp", "TCP to the login node", .connection)] + afterTCP
    static let afterTCP: [(String, String, DoctorCheck.Area)] = [("host-key", "host key", .connection)] + afterHostKey
    static let afterHostKey: [(String, String, DoctorCheck.Area)] = [("auth", "authentication", .connection)] + afterAuth
    static let afterAuth: [(String, String, DoctorCheck.Area)] = [("slurm-commands", "Slurm commands", .cluster)] + afterSlurmCommands
    static let afterSlurmCommands: [(String, String, DoctorCheck.Area)] = [
        ("slurm", "Slurm answers", .cluster), ("accounting", "accounting (sacct)", .cluster),
        ("test-job", "test submission", .cluster), ("tools", "HPCS tools", .cluster),
        ("vault", "Vault reachable", .cluster), ("hpcs-server", "HPCS server reachable", .cluster),
        ("spire-server", "SPIRE server reachable", .cluster),
    ]

    /// `name path` for each argument found on PATH (names come as "$@").
    static let findCommands = #"for c in "$@"; do p=$(command -v "$c") && printf '%s %s\n' "$c" "$p"; done; exit 0"#

    /// Lines `name rest…` as a dictionary.
    static func table(_ text: String) -> [String: String] {
        var table: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2 { table[String(parts[0])] = String(parts[1]) }
        }
        return table
    }

    /// What a failed command said, in one line.
    static func said(_ result: CommandResult?, _ name: String) -> String {
        guard let result else { return "\(name) could not be run (connection lost)" }
        let text = (result.stderrText + " " + result.stdoutText)
            .split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .joined(separator: " / ")
        let status = result.exitCode.map { "exit \($0)" } ?? "killed"
        if result.exitCode == 127 { return "\(name) not found (\(status))" }
        return text.isEmpty ? status : "\(text) (\(status))"
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
