import Foundation
import History
import JobPreparation
import JobRuntime
import SecureShell
import Slurm
import TerminalUI

/// Everything that can happen to the UI: input, and answers from effects.
/// A reply to a request carries the request's ticket (`Tickets`).
public enum Message: Sendable {
    case input(InputEvent)
    case tick
    case configLoaded(Result<HPCSConfig, PreparationError>)
    /// Configs used before, newest first, each with the cluster it names.
    case recentConfigs([String], clusters: [String: ClusterID] = [:])
    case prompt(Prompt)
    /// The connection made (or why not), with the config it was made with:
    /// the one the wizard then uses.
    case connected(Result<ClusterID, SSHError>, home: String?, config: HPCSConfig? = nil)
    /// A folder's entries.
    case listed(Ticket, path: String, Result<[RemoteFileInfo], SSHError>)
    case infoFetched(Ticket, InfoRole, path: String, Result<FetchedInfo, EffectFailure>)
    case checksumProgress(done: UInt64, total: UInt64)
    /// The checksums of both info files were checked.
    case verified(Ticket, Result<Void, EffectFailure>)
    /// What the cluster has: partitions (with their limits and idle nodes),
    /// the user's accounts, node names.
    case clusterChoices(Ticket, partitions: [SlurmParser.Partition], accounts: [String], nodes: [String])
    /// Every cluster with a connection kept open (the active one included).
    case openClusters([ClusterID])
    /// The job's tools a job from the cluster would lack (site, pinned, PATH all looked at).
    case toolsMissing(Ticket, [String])
    case templates([String])
    /// The render, on the cluster it was rendered for (where a submit of it goes).
    case prepared(Ticket, on: ClusterID, Result<PreparedSubmission, EffectFailure>)
    case edited(String)
    case submitProgress(String)
    case submitted(Result<SubmissionRecord, EffectFailure>)
    /// About the job the Monitor watches (or its results): dropped once it watches another.
    case monitor(Ticket, MonitorReply)
    case cancelResult(String)
    case historyPage(HistoryPage)
    case historyCount(HistoryCount)
    case historyRecord(SubmissionRecord)
    /// The Jobs view's list, of the cluster it was asked of.
    case jobsListed(Ticket, on: ClusterID?, Result<[JobSummary], JobsFailure>)
    /// A job from the Jobs view, as a record the Monitor can follow.
    case jobOpened(Ticket, Result<SubmissionRecord, JobsFailure>)
    /// An action on a cluster with no connection open: nothing was run.
    case notOpen(ClusterID, action: String)
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

    /// The request this message answers, when it answers one.
    var ticket: Ticket? {
        switch self {
        case let .listed(ticket, _, _), let .infoFetched(ticket, _, _, _), let .verified(ticket, _),
             let .clusterChoices(ticket, _, _, _), let .toolsMissing(ticket, _), let .prepared(ticket, _, _),
             let .monitor(ticket, _), let .jobsListed(ticket, _, _), let .jobOpened(ticket, _):
            ticket
        default: nil
        }
    }
}

/// What the effects say about the Monitor's job.
public enum MonitorReply: Sendable {
    case status(JobStatus)
    case efficiency(JobEfficiency)
    /// The view starts at this byte of the remote log (it was opened at its end).
    case logStart(Int64)
    case logBytes(Data)
    case earlierLog(Data, start: Int64)
    case reconnected(Int)
    case followEnded(String?)
    case resultsProgress(Double?)
    case results(Result<JobResults, EffectFailure>)
    case resultsScanned(URL, [ResultEntry])
    case resultFileRead(URL, Result<Data, JobsFailure>)
}

/// Work the update asks for; run off the UI loop, answered with messages.
/// Every remote effect names the cluster it runs on: a request of the
/// wizard is for the active cluster as it was when the update issued it
/// (`Update` fills in `on` and the ticket); one about a record or a listed
/// job is for that one's own cluster. None runs on "the active one" later.
public enum Effect: Equatable, Sendable {
    case loadConfig(String)
    case connect(String)
    case answerPrompt(PromptAnswer)
    case list(String, on: ClusterID? = nil, ticket: Ticket = .unissued(.listing))
    /// Info files are checked against the trust domain of the config the
    /// connection was made with (state's, never a later attempt's).
    case fetchInfo(InfoRole, String, trustDomain: String, on: ClusterID? = nil, ticket: Ticket = .unissued(.info(.application)))
    case verify([FetchedInfo], on: ClusterID? = nil, ticket: Ticket = .unissued(.verify))
    /// Partitions, nodes, and the accounts of `user` (none asked without one).
    case loadClusterChoices(user: String?, on: ClusterID? = nil, ticket: Ticket = .unissued(.choices))
    case prepare(SubmitRequest, on: ClusterID? = nil, ticket: Ticket = .unissued(.render))
    case openEditor(String)
    /// On the cluster the submission was rendered for.
    case submit(PreparedSubmission, edited: String?, on: ClusterID)
    /// Status and log of a record's job, on the record's cluster.
    case monitor(SubmissionRecord, ticket: Ticket = .unissued(.monitor))
    case stopMonitor
    /// The user gave up on the connection attempt: its result is dropped.
    case cancelConnect
    /// History's unfinished jobs: their states asked for now and periodically.
    case watchHistory
    case stopWatchingHistory
    case cancel(jobID: String, on: ClusterID)
    /// The Monitor's record's results, from its cluster.
    case fetchResults(SubmissionRecord, ticket: Ticket = .unissued(.monitor))
    case loadHistory(HistoryRequest)
    case loadHistoryRecord(String)
    /// List the user's jobs now and every few seconds until stopped.
    case watchJobs(withEnded: Bool, on: ClusterID? = nil, ticket: Ticket = .unissued(.jobs))
    case stopWatchingJobs
    case openJob(JobSummary, on: ClusterID, ticket: Ticket = .unissued(.openJob))
    case cancelJobs([String], on: ClusterID)
    /// Tell the user outside the screen (bell, desktop notification).
    case notify(title: String, body: String)
    case scanResults(URL, ticket: Ticket = .unissued(.monitor))
    case loadEarlierLog(path: String, before: Int64, on: ClusterID, ticket: Ticket = .unissued(.monitor))
    /// A results file for the pane: `path` beneath `root`, read without following links.
    case readResultFile(root: URL, path: String, ticket: Ticket = .unissued(.monitor))
    /// A results file in $PAGER (or $EDITOR), in the foreground.
    case openExternally(String, editor: Bool)
    case quit

    /// The cluster the effect runs on, once the update has issued it.
    public var cluster: ClusterID? {
        switch self {
        case let .list(_, cluster, _), let .fetchInfo(_, _, _, cluster, _), let .verify(_, cluster, _),
             let .loadClusterChoices(_, cluster, _), let .prepare(_, cluster, _), let .watchJobs(_, cluster, _):
            cluster
        case let .submit(_, _, cluster), let .cancel(_, cluster), let .openJob(_, cluster, _), let .cancelJobs(_, cluster),
             let .loadEarlierLog(_, _, cluster, _):
            cluster
        case let .monitor(record, _), let .fetchResults(record, _): record.cluster
        default: nil
        }
    }

    /// The effect as the update sends it: a request gets a new ticket of its
    /// slot (a pick also makes a pending verification stale), one that
    /// belongs to the Monitor's job carries its current ticket, and a
    /// wizard request is for the cluster active now.
    mutating func issue(_ tickets: inout Tickets, active: ClusterID?) {
        switch self {
        case let .list(path, cluster, _):
            self = .list(path, on: cluster ?? active, ticket: tickets.issue(.listing))
        case let .fetchInfo(role, path, trust, cluster, _):
            tickets.invalidate(.verify)
            self = .fetchInfo(role, path, trustDomain: trust, on: cluster ?? active, ticket: tickets.issue(.info(role)))
        case let .verify(infos, cluster, _):
            self = .verify(infos, on: cluster ?? active, ticket: tickets.issue(.verify))
        case let .loadClusterChoices(user, cluster, _):
            self = .loadClusterChoices(user: user, on: cluster ?? active, ticket: tickets.issue(.choices))
        case let .prepare(request, cluster, _):
            self = .prepare(request, on: cluster ?? active, ticket: tickets.issue(.render))
        case let .watchJobs(withEnded, cluster, _):
            self = .watchJobs(withEnded: withEnded, on: cluster ?? active, ticket: tickets.issue(.jobs))
        case let .openJob(job, cluster, _):
            self = .openJob(job, on: cluster, ticket: tickets.issue(.openJob))
        case let .monitor(record, _):
            self = .monitor(record, ticket: tickets.issue(.monitor))
        case let .fetchResults(record, _):
            self = .fetchResults(record, ticket: tickets.current(.monitor))
        case let .scanResults(root, _):
            self = .scanResults(root, ticket: tickets.current(.monitor))
        case let .readResultFile(root, path, _):
            self = .readResultFile(root: root, path: path, ticket: tickets.current(.monitor))
        case let .loadEarlierLog(path, before, cluster, _):
            self = .loadEarlierLog(path: path, before: before, on: cluster, ticket: tickets.current(.monitor))
        case .stopMonitor:
            // Nothing of the job left behind may still change the Monitor.
            tickets.invalidate(.monitor)
        case .stopWatchingJobs:
            tickets.invalidate(.jobs)
        default: break
        }
    }
}

/// What the user answered to a prompt.
public enum PromptAnswer: Equatable, Sendable {
    case hostKey(HostKeyDecision)
    case passphrase(String?)
    case keyboardInteractive([String]?)
}
