import Foundation
import JobPreparation
import SecureShell
import Slurm

/// Every job of a user on the cluster in one remote command, however many:
/// squeue for the queue, then (when asked) sacct for jobs that ended since
/// a time. A job in both is shown as squeue sees it.
public enum JobLister {
    static let marker = "@@hpcs-job:finished"

    /// `finishedSince`: a time sacct reads (`now-2days`, `2026-11-01`), or nil for the queue alone.
    public static func command(user: String, finishedSince: String?) -> RemoteCommand {
        let queue = RemoteCommand(SlurmCommand.squeueJobs(user: user)).description
        guard let finishedSince else { return RemoteCommand(script: queue) }
        let finished = RemoteCommand(SlurmCommand.sacctFinishedJobs(user: user, since: finishedSince)).description
        // Without accounting the finished part is empty, not an error.
        return RemoteCommand(script: "\(queue) && echo \(marker) && { \(finished) 2>/dev/null || true; }")
    }

    /// The queue first (as squeue orders it), then finished jobs, newest first.
    public static func parse(_ output: String) throws -> [JobSummary] {
        let parts = output.components(separatedBy: marker + "\n")
        let queued = try SlurmParser.queueJobs(parts[0])
        let inQueue = Set(queued.map(\.jobID))
        let finished = parts.count > 1 ? try SlurmParser.finishedJobs(parts[1]).filter { !inQueue.contains($0.jobID) } : []
        return queued + finished.reversed()
    }

    public static func list(user: String, finishedSince: String?, on host: RemoteHost) async throws -> [JobSummary] {
        let result = try await host.run(command(user: user, finishedSince: finishedSince))
        guard result.status.succeeded else {
            throw PreparationError(.submission, "squeue failed on the login node: \(result.stderrText.prefix(500))")
        }
        return try parse(result.stdoutText)
    }

    /// `30m`, `12h`, `2d`, `1w` as sacct's relative time (`now-2days`); a date passes as it is.
    public static func sacctTime(_ text: String) -> String? {
        let units: [Character: String] = ["m": "minutes", "h": "hours", "d": "days", "w": "weeks"]
        if let last = text.last, let unit = units[last], let count = Int(text.dropLast()), count >= 0 { return "now-\(count)\(unit)" }
        let date = /\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?/
        return text.wholeMatch(of: date) != nil ? text : nil
    }
}
