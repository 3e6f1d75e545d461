/// One row of a user's job list: a job (or a folded array) as squeue or
/// sacct shows it.
public struct JobSummary: Sendable, Hashable, Codable {
    public var jobID: String
    public var name: String
    public var partition: String
    public var state: JobState
    public var reason: String?
    public var elapsed: String
    public var timeLimit: String?
    public var nodeCount: Int?
    public var nodeList: String?
    public var exitCode: SlurmExitCode?
    /// `--comment`: hpcs-job tags its submissions `hpcs-job:<submission id>`.
    public var comment: String?

    public init(jobID: String, name: String, partition: String, state: JobState, reason: String? = nil, elapsed: String,
                timeLimit: String? = nil, nodeCount: Int? = nil, nodeList: String? = nil, exitCode: SlurmExitCode? = nil,
                comment: String? = nil) {
        self.jobID = jobID
        self.name = name
        self.partition = partition
        self.state = state
        self.reason = reason
        self.elapsed = elapsed
        self.timeLimit = timeLimit
        self.nodeCount = nodeCount
        self.nodeList = nodeList
        self.exitCode = exitCode
        self.comment = comment
    }

    /// The hpcs-job submission this job belongs to, from its comment tag.
    public var submissionID: String? {
        guard let comment, comment.hasPrefix("hpcs-job:") else { return nil }
        let id = comment.dropFirst("hpcs-job:".count)
        return id.isEmpty ? nil : String(id)
    }

    /// `123_[4-9]`: pending tasks of an array, folded into one row.
    public var isFoldedArray: Bool { jobID.contains("_[") }
}

extension SlurmCommand {
    static let listQueueFields = ["%i", "%j", "%P", "%T", "%r", "%M", "%l", "%D", "%N", "%k"]
    static let listAccountingFields = ["JobID", "JobName", "Partition", "State", "ExitCode", "Elapsed", "Timelimit", "NNodes",
                                       "NodeList", "Comment"]

    /// Every job of `user` in the queue, arrays' pending tasks folded as squeue folds them.
    public static func squeueJobs(user: String) -> [String] {
        ["squeue", "-h", "-u", user, "-o", listQueueFields.joined(separator: separator)]
    }

    /// Jobs of `user` that ended since `since` (a time sacct reads, e.g. `now-2days`), allocations only.
    public static func sacctFinishedJobs(user: String, since: String) -> [String] {
        ["sacct", "-n", "-X", "-P", "--delimiter=" + separator, "-u", user, "-S", since, "-E", "now",
         "-s", "CD,F,CA,TO,OOM,NF,PR,BF,DL", "--format=" + listAccountingFields.joined(separator: ",")]
    }
}

extension SlurmParser {
    /// Output of ``SlurmCommand/squeueJobs(user:)``.
    public static func queueJobs(_ output: String) throws -> [JobSummary] {
        try output.split(separator: "\n").map { line in
            let f = try listFields(line, count: 10, command: "squeue")
            try checkJobID(f[0], line: line, command: "squeue")
            guard let state = JobState(slurm: f[3]) else {
                throw SlurmParseError(command: "squeue", line: String(line), reason: "unknown state \(f[3])")
            }
            return JobSummary(jobID: f[0], name: f[1], partition: f[2], state: state, reason: listNone(f[4]), elapsed: f[5],
                              timeLimit: listNone(f[6]), nodeCount: SlurmParser.count(f[7]), nodeList: listNone(f[8]), comment: listNone(f[9]))
        }
    }

    /// Output of ``SlurmCommand/sacctFinishedJobs(user:since:)``.
    public static func finishedJobs(_ output: String) throws -> [JobSummary] {
        try output.split(separator: "\n").map { line in
            let f = try listFields(line, count: 10, command: "sacct")
            try checkJobID(f[0], line: line, command: "sacct")
            guard let state = JobState(slurm: f[3]) else {
                throw SlurmParseError(command: "sacct", line: String(line), reason: "unknown state \(f[3])")
            }
            return JobSummary(jobID: f[0], name: f[1], partition: f[2], state: state, elapsed: f[5], timeLimit: listNone(f[6]),
                              nodeCount: SlurmParser.count(f[7]), nodeList: listNone(f[8]), exitCode: SlurmExitCode(f[4]), comment: listNone(f[9]))
        }
    }

    static func checkJobID(_ id: String, line: Substring, command: String) throws {
        guard !id.isEmpty, id.allSatisfy({ $0.isASCII && ($0.isNumber || "_[]-,%+".contains($0)) }) else {
            throw SlurmParseError(command: command, line: String(line), reason: "bad job id")
        }
    }

    static func listFields(_ line: Substring, count: Int, command: String) throws -> [String] {
        // The last field (a comment) may hold the separator itself: cut at the first count-1.
        let parts = line.split(separator: Character(SlurmCommand.separator), maxSplits: count - 1, omittingEmptySubsequences: false)
            .map(String.init)
        guard parts.count == count else {
            throw SlurmParseError(command: command, line: String(line), reason: "expected \(count) fields, found \(parts.count)")
        }
        return parts
    }

    static func listNone(_ text: String) -> String? {
        ["", "(null)", "None", "None assigned", "N/A", "Unknown"].contains(text) ? nil : text
    }
}
