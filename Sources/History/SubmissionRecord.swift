import Foundation
import GRDB
import Slurm
import JobPreparation
import SecureShell

/// How far a submission got. Written before each step runs, so a crash
/// leaves a record that says where it stopped.
public enum SubmissionStage: String, Codable, Sendable, CaseIterable {
    case preparing, verified, keyed, uploaded
    /// sbatch was (about to be) sent; the job id is not stored yet.
    case submitting
    case submitted
    case failed
}

/// One submission as the local history keeps it.
public struct SubmissionRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord, Identifiable {
    public static let databaseTableName = "submission"

    public var id: String
    public var createdAt: Date
    public var updatedAt: Date
    public var clusterHost: String
    public var clusterPort: Int
    public var clusterUser: String
    /// The login the job was submitted through: where every action on it runs.
    public var cluster: ClusterID { ClusterID(user: clusterUser, host: clusterHost, port: clusterPort) }
    public var configPath: String
    public var appInfoPath: String
    public var dataInfoPath: String
    public var appInfo: InfoFile?
    public var dataInfo: InfoFile?
    public var spec: JobSpec
    public var templateName: String
    public var sbatchText: String?
    public var remoteDir: String?
    public var identityFile: String?
    public var jobID: String?
    public var stage: SubmissionStage
    /// Slurm's word for the last known state (`PENDING`, `COMPLETED`…).
    public var state: String?
    public var exitCode: Int?
    public var failure: String?
    /// When each step happened, by stage name.
    public var stepTimes: [String: Date]
    /// Bytes of the job's log already stored locally.
    public var logOffset: Int64
    public var resultsDir: String?
    /// The job's log and encrypted results on the cluster, as rendered into
    /// its script (nil for records made before paths were per submission).
    public var remoteLog: String?
    public var remoteOutput: String?

    public init(id: String, createdAt: Date = Date(), clusterHost: String, clusterPort: Int, clusterUser: String,
                configPath: String, appInfoPath: String, dataInfoPath: String, spec: JobSpec) {
        self.id = id
        self.createdAt = createdAt
        updatedAt = createdAt
        self.clusterHost = clusterHost
        self.clusterPort = clusterPort
        self.clusterUser = clusterUser
        self.configPath = configPath
        self.appInfoPath = appInfoPath
        self.dataInfoPath = dataInfoPath
        self.spec = spec
        templateName = spec.template
        stage = .preparing
        stepTimes = [SubmissionStage.preparing.rawValue: createdAt]
        logOffset = 0
    }

    /// A job hpcs-job did not submit, as a record the Monitor and `logs` can
    /// follow (never stored): its id, name, log path and time limit as Slurm
    /// reports them (`scontrol show job` says UNLIMITED when there is none).
    public static func foreignJob(_ jobID: String, name: String, logPath: String, timeLimit: SlurmTime,
                                  cluster: ClusterID,
                                  configPath: String = "", state: String? = nil) -> SubmissionRecord {
        var record = SubmissionRecord(id: "job-\(jobID)", clusterHost: cluster.host, clusterPort: cluster.port, clusterUser: cluster.user,
                                      configPath: configPath, appInfoPath: "", dataInfoPath: "",
                                      spec: JobSpec(jobName: name, partition: "", time: timeLimit, nodelist: "", workdir: ""))
        record.jobID = jobID
        record.stage = .submitted
        record.state = state
        record.remoteLog = logPath
        return record
    }

    /// Where this job's log is: as recorded at submission.
    public var logPath: String { remoteLog ?? spec.legacyLogFile }
    /// Where this job's encrypted results are: as recorded at submission.
    public var encryptedOutputPath: String { remoteOutput ?? spec.legacyEncryptedOutput }

    /// The tag sbatch puts on the job, to find it again after a crash.
    public var slurmComment: String { "hpcs-job:\(id)" }

    /// Slurm's words for a job that will not run again (for SQL filters):
    /// the one list, `JobState.isTerminal`.
    public static let finalStates: Set<String> = Set(JobState.allCases.filter(\.isTerminal).map(\.rawValue))

    /// The job's state as Slurm last reported it (stored as Slurm's word).
    public var jobState: JobState? { state.flatMap { JobState(slurm: $0) } }

    public var isFinished: Bool { stage == .failed || jobState?.isTerminal == true }
}
