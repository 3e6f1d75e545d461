import Foundation
import JobPreparation
import SecureShell
import Slurm

/// Job states for a set of jobs in one remote command: squeue for jobs in
/// the queue, then sacct (or `scontrol show job` where accounting is off)
/// for jobs that left it, so a final state always comes with its exit code.
public enum StatusPoller {
    static let sacctMarker = "@@hpcs-job:sacct"
    static let scontrolMarker = "@@hpcs-job:scontrol"

    public static func command(jobIDs: [String]) -> RemoteCommand {
        let squeue = RemoteCommand(SlurmCommand.squeue(jobIDs: jobIDs)).description
        let sacct = RemoteCommand(SlurmCommand.sacct(jobIDs: jobIDs)).description
        let scontrol = jobIDs.map { RemoteCommand(SlurmCommand.scontrolShowJob($0)).description + " 2>/dev/null" }
            .joined(separator: "; ")
        return RemoteCommand(script: "\(squeue) 2>/dev/null; echo \(sacctMarker); if ! \(sacct) 2>/dev/null; then "
                             + "echo \(scontrolMarker); \(scontrol); fi; true")
    }

    /// Parsed answer: the best-known status of each job.
    public static func parse(_ output: String) throws -> [String: JobStatus] {
        let parts = output.components(separatedBy: sacctMarker + "\n")
        let queueText = parts.first ?? ""
        let rest = parts.count > 1 ? parts[1] : ""
        var result: [String: JobStatus] = [:]
        for status in try SlurmParser.squeue(queueText) { result[status.jobID] = status }
        let accountingParts = rest.components(separatedBy: scontrolMarker + "\n")
        let finals = accountingParts.count > 1 ? try SlurmParser.scontrol(accountingParts[1])
                                               : try SlurmParser.sacct(accountingParts[0])
        for final in finals {
            // Accounting wins once the job is final (it carries the exit code);
            // while queued, squeue's reason and elapsed time are fresher.
            if let queued = result[final.jobID], !queued.state.isTerminal, !final.state.isTerminal { continue }
            var merged = final
            if let queued = result[final.jobID] {
                merged.reason = merged.reason ?? queued.reason
                merged.nodes = merged.nodes ?? queued.nodes
                if !final.state.isTerminal && queued.state.isTerminal { merged = queued; merged.exitCode = final.exitCode }
            }
            result[final.jobID] = merged
        }
        return result
    }

    public static func poll(jobIDs: [String], on host: RemoteHost) async throws -> [String: JobStatus] {
        guard !jobIDs.isEmpty else { return [:] }
        let result = try await host.run(command(jobIDs: jobIDs))
        return try parse(result.stdoutText)
    }

    /// How well a finished job used its allocation (nil where accounting is off).
    public static func efficiency(jobID: String, on host: RemoteHost) async throws -> JobEfficiency? {
        let result = try await host.run(SlurmCommand.sacctEfficiency(jobID: jobID))
        guard result.status.succeeded else { return nil }
        return try SlurmParser.efficiency(result.stdoutText, jobID: jobID)
    }

    /// How long to wait before the next poll: fast right after submission,
    /// slower while pending or long-running.
    public static func interval(sinceSubmit elapsed: Duration, state: JobState?) -> Duration {
        if elapsed < .seconds(15) { return .seconds(1) }
        guard let state else { return .seconds(2) }
        if state.isPending { return elapsed < .seconds(120) ? .seconds(3) : .seconds(10) }
        return elapsed < .seconds(300) ? .seconds(2) : .seconds(5)
    }
}
