/// Every job state Slurm reports (long names, as squeue %T and sacct print).
public enum JobState: String, Sendable, Hashable, CaseIterable, Codable {
    case pending = "PENDING"
    case configuring = "CONFIGURING"
    case running = "RUNNING"
    case completing = "COMPLETING"
    case suspended = "SUSPENDED"
    case requeued = "REQUEUED"
    case requeueHold = "REQUEUE_HOLD"
    case requeueFed = "REQUEUE_FED"
    case resizing = "RESIZING"
    case resvDelHold = "RESV_DEL_HOLD"
    case signaling = "SIGNALING"
    case stageOut = "STAGE_OUT"
    case stopped = "STOPPED"
    case specialExit = "SPECIAL_EXIT"
    case revoked = "REVOKED"
    case completed = "COMPLETED"
    case failed = "FAILED"
    case cancelled = "CANCELLED"
    case timeout = "TIMEOUT"
    case outOfMemory = "OUT_OF_MEMORY"
    case nodeFail = "NODE_FAIL"
    case preempted = "PREEMPTED"
    case bootFail = "BOOT_FAIL"
    case deadline = "DEADLINE"

    /// Parses Slurm's word; sacct writes `CANCELLED by 1001`, squeue may
    /// abbreviate in other formats, both handled.
    public init?(slurm text: some StringProtocol) {
        let word = String(text.prefix(while: { $0 != " " }))
        if let state = JobState(rawValue: word.uppercased()) { self = state; return }
        let short: [String: JobState] = [
            "PD": .pending, "CF": .configuring, "R": .running, "CG": .completing, "S": .suspended, "RQ": .requeued,
            "RH": .requeueHold, "RF": .requeueFed, "RS": .resizing, "RD": .resvDelHold, "SI": .signaling,
            "SO": .stageOut, "ST": .stopped, "SE": .specialExit, "RV": .revoked, "CD": .completed, "F": .failed,
            "CA": .cancelled, "TO": .timeout, "OOM": .outOfMemory, "NF": .nodeFail, "PR": .preempted,
            "BF": .bootFail, "DL": .deadline,
        ]
        guard let state = short[word.uppercased()] else { return nil }
        self = state
    }

    /// The job will not change any more.
    public var isTerminal: Bool {
        switch self {
        case .completed, .failed, .cancelled, .timeout, .outOfMemory, .nodeFail, .preempted, .bootFail, .deadline,
             .specialExit, .revoked:
            return true
        default:
            return false
        }
    }

    /// Finished and successful.
    public var isSuccess: Bool { self == .completed }

    /// Finished without success.
    public var isFailure: Bool { isTerminal && !isSuccess }

    /// Waiting to start.
    public var isPending: Bool { [.pending, .configuring, .requeued, .requeueHold, .requeueFed, .resvDelHold].contains(self) }
}
