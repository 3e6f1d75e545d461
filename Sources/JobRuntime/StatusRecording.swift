import Foundation
import History
import JobPreparation
import Slurm

/// Where a job's status is written into its history record: one place for
/// the TUI's monitor and History, and the CLI's status and logs.
extension HistoryStore {
    /// Records `status` (its state, and the exit code once final).
    @discardableResult
    public func apply(_ status: JobStatus, to id: String) throws -> SubmissionRecord? {
        try update(id) { record in
            record.state = status.state.rawValue
            if status.state.isTerminal { record.exitCode = status.exitCode?.code }
        }
    }

    /// Asks Slurm once for all of `records`' jobs and stores what it says.
    public func refresh(_ records: [SubmissionRecord], on host: RemoteHost) async throws -> [SubmissionRecord] {
        let statuses = try await StatusPoller.poll(jobIDs: records.compactMap(\.jobID), on: host)
        return try records.map { record in
            guard let jobID = record.jobID, let status = statuses[jobID] else { return record }
            return try apply(status, to: record.id) ?? record
        }
    }
}
