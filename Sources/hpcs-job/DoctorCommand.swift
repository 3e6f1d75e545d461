import ArgumentParser
import Foundation
import JobPreparation
import JobRuntime
import SecureShell
import TerminalUI

struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check everything a submission needs, each step with the fix when it fails.",
        discussion: """
            Checks, in order: the configuration file; name resolution and TCP to the login node; its host key; \
            authentication (codes are asked for as usual); the Slurm commands on the login node and Slurm answering; \
            accounting (sacct); a test submission (sbatch --test-only); the tools the job script needs, found as the \
            job finds them; Vault, the HPCS server and the SPIRE server reachable from the login node. \
            Exit status 0 only when every check passes; otherwise 78 (configuration), 69 (connection) or 70 (cluster).
            """)

    @Option(name: .long, help: "The HPCS client configuration (INI).") var config: String
    @Flag(name: .long, help: "Accept and remember an unknown host key.") var acceptNewHostKey = false
    @Option(name: .customLong("ssh-config"), help: "Use this ssh_config file instead of ~/.ssh/config and /etc/ssh/ssh_config (like ssh -F).")
    var sshConfig: String?
    @Flag(name: .long, help: "Look for the job's tools on a compute node (through srun).") var onComputeNode = false
    @Option(name: [.customShort("p"), .long], help: "Partition for the test submission and srun (default: the cluster's default).") var partition: String?
    @Option(name: [.customShort("A"), .long], help: "Account for the test submission and srun.") var account: String?
    @Flag(name: .long, help: "Print the checks as JSON.") var json = false

    func run() async throws {
        var doctor = SiteDoctor(configPath: config, interaction: TerminalInteraction(acceptNewHostKeys: acceptNewHostKey))
        doctor.pinnedToolPaths = LocalPaths()
        doctor.sshConfig = try sshConfigFile(sshConfig)
        doctor.onComputeNode = onComputeNode
        doctor.partition = partition
        doctor.account = account
        let printAsYouGo = !json
        let checks = await doctor.run { check in
            if printAsYouGo { Self.printLine(check) }
        }
        let failed = checks.filter { $0.status == .fail }
        if json {
            try printJSON([
                "ok": failed.isEmpty,
                "checks": checks.map { check -> [String: Any] in
                    ["check": check.id, "title": check.title, "status": check.status.rawValue,
                     "detail": TerminalSanitizer.plainText(check.detail), "fix": check.fix ?? NSNull()]
                },
            ])
        } else {
            print(failed.isEmpty ? "all \(checks.count) checks passed" : "\(failed.count) of \(checks.count) checks failed")
        }
        guard let first = failed.first else { return }
        switch first.area {
        case .config: throw ExitCode(ExitCodes.config)
        case .connection: throw ExitCode(ExitCodes.connection)
        case .cluster: throw ExitCode(ExitCodes.submission)
        }
    }

    /// `[ok]   title   detail`, and the fix under a failure; outside text sanitised.
    static func printLine(_ check: DoctorCheck) {
        let mark = switch check.status {
        case .pass: "[ok]  "
        case .fail: "[FAIL]"
        case .skip: "[skip]"
        }
        let title = check.title.padding(toLength: 26, withPad: " ", startingAt: 0)
        print("\(mark) \(title) \(TerminalSanitizer.plainText(check.detail))")
        if check.status == .fail, let fix = check.fix {
            print("       \(String(repeating: " ", count: 26)) fix: \(fix)")
        }
    }
}
