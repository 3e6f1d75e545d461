import ArgumentParser
import Foundation
import History
import JobPreparation
import JobRuntime
import SecureShell
import Slurm

/// `hpcs-job submit`: the reference client's options, long and short.
struct Submit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Prepare and submit a secure job without the UI.")

    @Option(name: .long, help: "HPCS client configuration (INI).") var config: String
    @Option(name: [.customShort("J"), .long], help: "Job name (default hpcs_<username>).") var jobName: String?
    @Option(name: [.customShort("N"), .long], help: "Number of nodes.") var nodes: Int = 1
    @Option(name: [.customShort("p"), .long], help: "Partition.") var partition: String
    @Option(name: [.customShort("t"), .long], help: "Time limit: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S.") var time: String
    @Option(name: [.customShort("A"), .long], help: "Account.") var account: String?
    @Option(name: [.customShort("w"), .long], help: "Compute node(s) the SPIRE identities are bound to.") var nodelist: String
    @Option(name: [.customShort("s"), .long], help: "Work directory on the cluster.") var workdir: String
    @Option(name: [.customLong("ai", withSingleDash: true), .customLong("application-info")],
            help: "Container image's info file on the login node.") var applicationInfo: String
    @Option(name: [.customLong("di", withSingleDash: true), .customLong("data-info")],
            help: "Dataset's info file on the login node.") var dataInfo: String
    @Option(name: [.customShort("i"), .customLong("supplementary-input-scripts")],
            help: "Directory of input scripts on the cluster.") var supplementaryInputScripts: String?
    @Option(name: [.customShort("o"), .customLong("supplementary-output-scripts")],
            help: "Directory of output scripts on the cluster.") var supplementaryOutputScripts: String?
    @Option(name: [.customLong("flags", withSingleDash: true), .customLong("singularity-supplementary-flags")],
            parsing: .unconditional, help: "Extra singularity flags (split with shell rules).") var singularityFlags: String?
    @Option(name: [.customLong("args", withSingleDash: true), .customLong("arguments")],
            parsing: .unconditional, help: "Application arguments (split with shell rules).") var arguments: String?
    @Flag(name: [.customShort("f"), .long], help: "Follow the job's log until it ends.") var follow = false
    @Option(name: .long, help: "SBATCH template name.") var template = "hpcs"
    @Flag(name: .long, help: "Print the SBATCH and stop; only validation contacts the cluster.") var dryRun = false
    @Flag(name: .long, help: "Accept and remember an unknown host key (like OpenSSH's accept-new).") var acceptNewHostKey = false
    @Option(name: .customLong("ssh-config"), help: "Use this ssh_config file instead of ~/.ssh/config and /etc/ssh/ssh_config (like ssh -F).")
    var sshConfig: String?
    @Flag(name: .long, help: "Print one JSON object.") var json = false

    /// A word list split with shell rules; an error names the option it came from.
    func words(_ text: String?, option: String) throws -> [String] {
        guard let text else { return [] }
        do {
            return try ShellWords.split(text)
        } catch {
            throw fail("\(option): \(error)", code: ExitCodes.usage)
        }
    }

    func run() async throws {
        let config = try loadConfig(config)
        // The options as typed, checked and parsed as the TUI's forms are.
        let draft = JobDraft(jobName: jobName ?? JobSpec.defaultJobName(username: config.supercomputer.username), nodes: String(nodes),
                             partition: partition, time: time, account: account ?? "", nodelist: nodelist, workdir: workdir,
                             inputScriptsDir: supplementaryInputScripts ?? "", outputScriptsDir: supplementaryOutputScripts ?? "",
                             singularityFlags: try words(singularityFlags, option: "-flags (--singularity-supplementary-flags)"),
                             applicationArguments: try words(arguments, option: "-args (--arguments)"), follow: follow,
                             template: template)
        let spec: JobSpec
        do { spec = try draft.spec() } catch { throw fail("\(error)", code: ExitCodes.usage) }
        let history = try openHistory()
        let submitter = Submitter(history: history, paths: LocalPaths(), templates: TemplateStore.standard())
        let connection = try await connect(config, acceptNewHostKey: acceptNewHostKey, sshConfigPath: sshConfig)
        defer { connection.close() }
        _ = try? await submitter.recover(on: connection, cluster: connection.settings)
        let request = SubmitRequest(config: config, appInfoPath: applicationInfo, dataInfoPath: dataInfo, spec: spec)
        let quiet = json
        let report: @Sendable (SubmitEvent) -> Void = { event in
            guard !quiet, case let .step(text) = event else { return }
            Console.error("hpcs-job: \(text)\n")
        }
        do {
            let prepared = try await submitter.prepare(request, on: connection, dryRun: dryRun, events: report)
            if dryRun {
                Console.document(prepared.sbatch)
                return
            }
            let record = try await submitter.submit(prepared, on: connection, events: report)
            if json {
                try printJSON(record.jsonObject)
            } else {
                Console.output("submitted \(record.id) as job \(record.jobID ?? "?") (remote dir \(record.remoteDir ?? "?"))")
            }
            if follow { try await followLog(record, history: history, connection: connection) }
        } catch let error as ExitCode {
            throw error
        } catch {
            throw fail("\(error)", code: exitStatus(for: error))
        }
    }
}
