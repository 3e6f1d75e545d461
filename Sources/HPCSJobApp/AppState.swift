import Foundation
import History
import JobPreparation
import JobRuntime
import SecureShell
import Slurm
import TerminalUI

/// The screens, in wizard order, then History and the cluster's Jobs.
public enum Screen: Int, CaseIterable, Sendable, Comparable {
    public static func < (lhs: Screen, rhs: Screen) -> Bool { lhs.rawValue < rhs.rawValue }

    case connect, infoFiles, options, runtime, preview, monitor, history, jobs

    var title: String {
        ["Connect", "Info files", "Job options", "Runtime", "Preview", "Monitor", "History", "Jobs"][rawValue]
    }

    /// Connect to Preview: the steps of preparing a job.
    var isWizard: Bool { self <= .preview }

    var shortTitle: String {
        ["Connect", "Info", "Options", "Runtime", "Preview", "Monitor", "History", "Jobs"][rawValue]
    }
}

/// Something in flight, shown with a spinner or a progress bar.
public struct Activity: Equatable, Sendable {
    public var label: String
    public var fraction: Double?
    /// The tick it began at, when the status line shows how long it has taken.
    public var startedTick: Int?
}

/// A question only the user can answer, raised while connecting.
public enum Prompt: Equatable, Sendable {
    /// OpenSSH's question: the user types yes (or the fingerprint) to accept
    /// and remember, once to accept for this connection only, no to refuse.
    case hostKey(UnknownHostKey, answer: TextFieldState)
    case passphrase(file: String, field: TextFieldState)
    case keyboardInteractive(KeyboardInteractiveChallenge, fields: [TextFieldState], focus: Int)
    case confirmQuit(reason: String)
    /// The question names the cluster: the job is cancelled there, whichever is active.
    case confirmCancel(jobID: String, on: ClusterID)
    /// Several jobs from the Jobs view, cancelled with one scancel on their cluster.
    case confirmCancelJobs([String], on: ClusterID)
    case confirmSubmit
    /// Esc on a Preview holding an $EDITOR edit: keep it, discard it, or stay.
    case leaveEditedPreview
    /// `r` on an edited Preview: the fresh render would replace the edit.
    case discardEditAndRender
    /// An action on a record of a cluster this session has no connection to.
    case connectForRecord(SubmissionRecord, RecordAction)
}

/// What History does with a record once connected to its cluster.
public enum RecordAction: Equatable, Sendable {
    case monitor, results, cancel
    /// The wizard filled with the record, for a new job on its cluster.
    case resubmit
}

public struct ConnectState: Equatable, Sendable {
    public var configPath = TextFieldState()
    public var recent: [String] = []
    /// The cluster each recent config names.
    public var recentClusters: [String: ClusterID] = [:]
    /// The config named in the field (shown on Connect as it is read).
    public var config: HPCSConfig?
    /// The config of the live connection: what the wizard and submissions use.
    public var active: HPCSConfig?
    public var configProblem: String?
    /// The active cluster: the wizard's requests go there.
    public var connectedTo: ClusterID?
    public var home: String?
    /// Clusters with a connection kept open, the active one included.
    public var openClusters: [ClusterID] = []
    /// Tools a job from this login node would not find (`hpcs-job tools status`).
    public var missingTools: [String] = []
}

public enum InfoRole: Int, Sendable, CaseIterable {
    case application, data
    var title: String { self == .application ? "Container image info" : "Dataset info" }
}

public struct InfoFilesState: Equatable, Sendable {
    public var directory = ""
    public var entries: [RemoteFileInfo] = []
    public var list = ListState()
    public var active = InfoRole.application
    public var typedPath: TextFieldState?
    public var fetched: [Int: FetchedInfo] = [:]
    public var problems: [Int: String] = [:]
    public var verified: Bool?
    public var verdict: String?

    func fetched(_ role: InfoRole) -> FetchedInfo? { fetched[role.rawValue] }
}

public struct OptionsState: Equatable, Sendable {
    public var fields: [TextFieldState] = Array(repeating: TextFieldState(), count: OptionField.allCases.count)
    public var focus = 0
    public var partitions: [String] = []
    public var accounts: [String] = []
    public var nodes: [String] = []
    /// The cluster's choices for the focused field, as a list to pick from (Ctrl-O).
    public var picker: ListState?
    /// A partition's time limit and idle nodes, as the cluster said.
    public var partitionSummaries: [String: String] = [:]
    /// Set by the first F2: from then on empty fields show their problem too.
    public var checked = false
}

public struct RuntimeState: Equatable, Sendable {
    public enum Section: Int, Sendable { case arguments, flags, inputScripts, outputScripts, template }
    public var arguments: [String] = []
    public var flags: [String] = []
    public var argumentList = ListState()
    public var flagList = ListState()
    public var inputScripts = TextFieldState()
    public var outputScripts = TextFieldState()
    public var templates: [String] = ["hpcs", "plain"]
    public var template = 0
    public var section = Section.arguments
    /// Adding or editing a word: the field and the index being edited (nil = new).
    public var editing: (field: TextFieldState, index: Int?)?
    /// The list's own message line: how a word was split, why a key did nothing.
    public var notice: String?
    /// The last word deleted, for undo.
    public var deleted: (section: Section, index: Int, word: String)?

    public static func == (lhs: RuntimeState, rhs: RuntimeState) -> Bool {
        lhs.arguments == rhs.arguments && lhs.flags == rhs.flags && lhs.argumentList == rhs.argumentList
            && lhs.flagList == rhs.flagList && lhs.inputScripts == rhs.inputScripts && lhs.outputScripts == rhs.outputScripts
            && lhs.templates == rhs.templates && lhs.template == rhs.template && lhs.section == rhs.section
            && lhs.editing?.field == rhs.editing?.field && lhs.editing?.index == rhs.editing?.index && lhs.notice == rhs.notice
            && lhs.deleted?.word == rhs.deleted?.word && lhs.deleted?.index == rhs.deleted?.index
    }
}

public struct PreviewState: Equatable, Sendable {
    public var prepared: PreparedSubmission?
    public var text: String = ""
    /// Lines that differ from the previous preview.
    public var changedLines: Set<Int> = []
    public var previousText: String?
    public var edited = false
    public var scroll = ScrollState()
    /// The draft's submission id, from its first render until it is submitted.
    public var draftID: String?
    /// The cluster `prepared` was rendered for: a submit of it goes there.
    public var cluster: ClusterID?
}

/// Everything the UI shows. Drawing reads it only; `update` changes it.
public struct AppState: Sendable {
    public var screen = Screen.connect
    /// Where Esc returns to from Monitor, History and Jobs (most recent last).
    public var returnTo: [Screen] = []
    /// The wizard step the user was last on, for number keys and Esc.
    public var lastWizardScreen = Screen.connect
    /// Whether the job being prepared has changes that no submission holds.
    public var draftChanged = false
    public var size: (width: Int, height: Int) = (80, 24)
    public var connect = ConnectState()
    public var infoFiles = InfoFilesState()
    public var options = OptionsState()
    public var runtime = RuntimeState()
    public var preview = PreviewState()
    public var monitor = MonitorState()
    public var history = HistoryState()
    public var jobs = JobsState()
    /// The current request of each kind; replies to older ones are dropped.
    public var tickets = Tickets()
    public var activity: Activity?
    public var prompt: Prompt?
    /// Questions raised while another was open, asked in turn.
    public var queuedPrompts: [Prompt] = []
    public var error: String?
    /// A passing message: it goes when the screen changes or after a few
    /// seconds (errors are `error`, and stay until dismissed).
    public var notice: String? { didSet { noticeSince = tick } }
    var noticeSince = 0
    /// Ticks (120 ms each) a notice stays: about six seconds.
    static let noticeTicks = 50
    public var showHelp = false
    /// The first help entry shown, when they do not all fit.
    public var helpTop = 0
    public var tick = 0
    public var quitting = false
    public var submissionInFlight = false
    public var connected = false
    /// A connection attempt is under way (Esc on Connect cancels it).
    public var connecting = false
    /// A History action waiting for the connection to its record's cluster.
    public var pendingRecordAction: (record: SubmissionRecord, action: RecordAction)?
    /// Lines the log view keeps (its ring buffer's capacity).
    public var logCapacity = 100_000

    public init() {}

    /// The job as the forms currently say, text as typed (`jobDraft.spec()` checks and parses it).
    public var jobDraft: JobDraft {
        JobDraft(jobName: options[.jobName].text, nodes: options[.nodes].text, partition: options[.partition].text,
                 time: options[.time].text, account: options[.account].text, nodelist: options[.nodeList].text,
                 workdir: options[.workdir].text, inputScriptsDir: runtime.inputScripts.text, outputScriptsDir: runtime.outputScripts.text,
                 singularityFlags: runtime.flags, applicationArguments: runtime.arguments,
                 template: runtime.templates.indices.contains(runtime.template) ? runtime.templates[runtime.template] : "hpcs")
    }

    /// What quitting would lose: the job as prepared so far.
    struct Draft: Equatable {
        var job: JobDraft
        var infoFiles: [String]
        var editedPreview: String?
    }

    var draft: Draft {
        Draft(job: jobDraft, infoFiles: InfoRole.allCases.map { infoFiles.fetched($0)?.remotePath ?? "" },
              editedPreview: preview.edited ? preview.text : nil)
    }

    /// Field name → problem, for inline messages.
    public var specProblems: [String: String] {
        Dictionary(jobDraft.problems().map { ($0.field ?? "", $0.message) }, uniquingKeysWith: { first, _ in first })
    }
}
