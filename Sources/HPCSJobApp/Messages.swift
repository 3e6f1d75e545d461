import Foundation
import History
import JobPreparation
import JobRuntime
import SecureShell
import Slurm
import TerminalUI

/// Everything that can happen to the UI: input, and answers from effects.
public enum Message: Sendable {
    case input(InputEvent)
    case tick
    case configLoaded(Result<HPCSConfig, PreparationError>)
    /// Configs used before, newest first, each with the cluster it names (user@host).
    case recentConfigs([String], clusters: [String: String] = [:])
    case prompt(Prompt)
    /// The connection made (or why not), with the config it was made with:
    /// the one the wizard then uses.
    case connected(Result<String, SSHError>, home: String?, config: HPCSConfig? = nil)
    /// A folder's entries, on the cluster (user@host:port) that listed them when known.
    case listed(path: String, cluster: String? = nil, Result<[RemoteFileInfo], SSHError>)
    case infoFetched(InfoRole, path: String, Result<FetchedInfo, PreparationError>)
    case checksumProgress(done: UInt64, total: UInt64)
    /// The checksums of these info files (their paths) were checked.
    case verified([String], Result<Void, PreparationError>)
    /// What the cluster (user@host:port) has: partitions (with their limits
    /// and idle nodes), the user's accounts, node names.
    case clusterChoices(cluster: String, partitions: [SlurmParser.Partition], accounts: [String], nodes: [String])
    /// Every cluster with a connection kept open (the active one included).
    case openClusters([String])
    /// The job's tools a job from this login node (user@host:port) would lack (site, pinned, PATH all looked at).
    case toolsMissing(cluster: String, [String])
    case templates([String])
    case prepared(Result<PreparedSubmission, PreparationError>)
    case edited(String)
    case submitProgress(String)
    case submitted(Result<SubmissionRecord, PreparationError>)
    case status(JobStatus)
    case efficiency(JobEfficiency)
    case resultsScanned(URL, [ResultEntry])
    /// The view starts at this byte of the remote log (it was opened at its end).
    case logStart(Int64)
    case earlierLog(Data, start: Int64)
    case resultFileRead(URL, Result<Data, JobsFailure>)
    case logBytes(Data)
    case reconnected(Int)
    case followEnded(String?)
    case cancelResult(String)
    case resultsProgress(Double?)
    case results(Result<JobResults, PreparationError>)
    case historyPage(HistoryPage)
    case historyCount(HistoryCount)
    case historyRecord(SubmissionRecord)
    case jobsListed(Result<[JobSummary], JobsFailure>)
    /// A job from the Jobs view, as a record the Monitor can follow.
    case jobOpened(Result<SubmissionRecord, JobsFailure>)
    case failed(String)
    /// A note for the status line that is not an error.
    case notice(String)
    /// Where the connection attempt is (resolving, TCP, handshake, signing in).
    case connectProgress(String)
    /// This many History records got a new state from Slurm.
    case historyStatesRefreshed(Int)

    /// Whether the message can change the job being prepared (quitting then asks).
    var mayChangeDraft: Bool {
        switch self {
        case .input, .edited, .infoFetched: true
        default: false
        }
    }
}

/// Work the update asks for; run off the UI loop, answered with messages.
public enum Effect: Equatable, Sendable {
    case loadConfig(String)
    case connect(String)
    case answerPrompt(PromptAnswer)
    case list(String)
    /// Info files are checked against the trust domain of the config the
    /// connection was made with (state's, never a later attempt's).
    case fetchInfo(InfoRole, String, trustDomain: String)
    case verify([FetchedInfo])
    /// Partitions, nodes, and the accounts of `user` (none asked without one).
    case loadClusterChoices(user: String?)
    case prepare(SubmitRequest)
    case openEditor(String)
    case submit(PreparedSubmission, edited: String?)
    case monitor(SubmissionRecord)
    case stopMonitor
    /// The user gave up on the connection attempt: its result is dropped.
    case cancelConnect
    /// History's unfinished jobs: their states asked for now and periodically.
    case watchHistory
    case stopWatchingHistory
    case cancel(jobID: String)
    case fetchResults(SubmissionRecord)
    case loadHistory(HistoryRequest)
    case loadHistoryRecord(String)
    /// List the user's jobs now and every few seconds until stopped.
    case watchJobs(withEnded: Bool)
    case stopWatchingJobs
    case openJob(JobSummary)
    case cancelJobs([String])
    /// Tell the user outside the screen (bell, desktop notification).
    case notify(title: String, body: String)
    case scanResults(URL)
    case loadEarlierLog(path: String, before: Int64)
    case readResultFile(URL)
    /// A results file in $PAGER (or $EDITOR), in the foreground.
    case openExternally(String, editor: Bool)
    case quit
}

/// What the user answered to a prompt.
public enum PromptAnswer: Equatable, Sendable {
    case hostKey(HostKeyDecision)
    case passphrase(String?)
    case keyboardInteractive([String]?)
}
