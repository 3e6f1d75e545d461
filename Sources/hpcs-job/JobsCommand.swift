import ArgumentParser
import Foundation
import History
import JobPreparation
import JobRuntime
import SecureShell
import Slurm

/// Every job of the user on the cluster, hpcs-job's own marked and linked to
/// their history records; or, with `--wait`, until the given jobs end.
struct Jobs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List your jobs on the cluster (squeue, and sacct with --all-states), or wait for some to end.",
        discussion: "One remote command per listing, however many jobs. With --wait, exits 0 when every job COMPLETED, 1 otherwise.")

    @Option(name: .long, help: "HPCS client configuration (INI) naming the cluster.") var config: String
    @Flag(name: .long, help: "Also jobs that ended (sacct), since --since.") var allStates = false
    @Option(name: .long, help: "With --all-states: ended since then: 30m, 12h, 2d, 1w, or a date (2026-11-01). Default 1d.")
    var since = "1d"
    @Option(name: .long, parsing: .upToNextOption, help: "Wait until these jobs (Slurm job ids or submission ids) end, then print their states.")
    var wait: [String] = []
    @Flag(name: .long, help: "Print JSON.") var json = false
    @Flag(name: .long, help: "Accept and remember an unknown host key.") var acceptNewHostKey = false
    @Option(name: .customLong("ssh-config"), help: "Use this ssh_config file instead of ~/.ssh/config and /etc/ssh/ssh_config (like ssh -F).")
    var sshConfig: String?

    func validate() throws {
        if JobLister.sacctTime(since) == nil {
            throw ValidationError("--since '\(since)' is neither a duration (30m, 12h, 2d, 1w) nor a date (2026-11-01)")
        }
    }

    func run() async throws {
        let config = try loadConfig(self.config)
        let ssh = try await connect(config, acceptNewHostKey: acceptNewHostKey, sshConfigPath: sshConfig)
        defer { ssh.close() }
        if !wait.isEmpty { return try await waitForJobs(on: ssh) }
        let jobs: [JobSummary]
        do {
            jobs = try await JobLister.list(user: ssh.settings.user, finishedSince: allStates ? JobLister.sacctTime(since) : nil, on: ssh)
        } catch {
            throw fail("\(error)", code: ExitCodes.submission)
        }
        if json { return try printJSON(jobs.map(\.jsonObject)) }
        Console.output(["JOBID", "NAME", "PARTITION", "STATE", "REASON", "ELAPSED/LIMIT", "NODES", "EXIT", "SUBMISSION"].joined(separator: "\t"))
        for job in jobs {
            Console.output([job.jobID, job.name, job.partition, job.state.rawValue, job.reason ?? "-",
                            "\(job.elapsed)/\(job.timeLimit ?? "-")", job.nodeList ?? job.nodeCount.map(String.init) ?? "-",
                            job.exitCode.map { "\($0.code):\($0.signal)" } ?? "-", job.submissionID ?? "-"].joined(separator: "\t"))
        }
    }

    /// Polls the jobs (one round trip for all) until each is final.
    func waitForJobs(on ssh: SSHConnection) async throws {
        let history = try? openHistory()
        let ids = wait.map { reference in (try? history?.find(reference))??.jobID ?? reference }
        var statuses: [String: JobStatus] = [:]
        var delay: Duration = .seconds(1)
        while true {
            statuses = try await StatusPoller.poll(jobIDs: ids, on: ssh)
            if ids.allSatisfy({ statuses[$0]?.state.isTerminal ?? false }) { break }
            try await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(10))
        }
        if json {
            try printJSON(ids.map { id -> [String: Any] in
                let status = statuses[id]
                return ["job_id": id, "state": status?.state.rawValue ?? NSNull(), "exit_code": status?.exitCode?.code ?? NSNull()]
            })
        } else {
            for id in ids {
                let status = statuses[id]
                Console.output("\(id)\t\(status?.state.rawValue ?? "-")\t\(status?.exitCode.map { "\($0.code):\($0.signal)" } ?? "-")")
            }
        }
        if !ids.allSatisfy({ statuses[$0]?.state == .completed }) { throw ExitCode(1) }
    }
}

extension JobSummary {
    var jsonObject: [String: Any] {
        [
            "job_id": jobID, "name": name, "partition": partition, "state": state.rawValue, "reason": reason ?? NSNull(),
            "elapsed": elapsed, "time_limit": timeLimit ?? NSNull(), "nodes": nodeCount ?? NSNull(), "node_list": nodeList ?? NSNull(),
            "exit_code": exitCode?.code ?? NSNull(), "submission_id": submissionID ?? NSNull(), "array_folded": isFoldedArray,
        ]
    }
}
