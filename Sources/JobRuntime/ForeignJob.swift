import History
import JobPreparation
import Slurm

/// A job hpcs-job did not submit (the Jobs view's or `logs JOBID`'s), as a
/// record to follow: what `scontrol show job` says of it.
public enum ForeignJob {
    public struct Unknown: Error, CustomStringConvertible {
        public let jobID: String
        public let slurmSays: String
        public var description: String {
            "job \(jobID): Slurm does not know where its log is (scontrol show job: \(slurmSays.isEmpty ? "no answer" : slurmSays))"
        }
    }

    /// Array tasks (`123_[1-4]`) are asked for by their array's id.
    public static func record(_ jobID: String, name: String, state: String? = nil, configPath: String = "",
                              on host: any RemoteHost) async throws -> SubmissionRecord {
        let shown = try await host.run(SlurmCommand.scontrolShowJob(jobID.components(separatedBy: "_[").first ?? jobID))
        guard shown.status.succeeded, let log = SlurmParser.standardOutput(shown.stdoutText) else {
            throw Unknown(jobID: jobID, slurmSays: shown.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        // scontrol always shows a TimeLimit (UNLIMITED when none); a word it
        // might show instead reads as no limit, until the first status poll says more.
        let limit = (try? SlurmParser.scontrol(shown.stdoutText))?.first?.timeLimit.flatMap { try? SlurmTime(parsing: $0) }
        return SubmissionRecord.foreignJob(jobID, name: name, logPath: log, timeLimit: limit ?? SlurmTime(seconds: nil),
                                           cluster: host.settings.cluster, configPath: configPath, state: state)
    }
}
