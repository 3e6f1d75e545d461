import Foundation
import History
import JobPreparation
import JobRuntime
import SecureShell
import Slurm
import Synchronization
import TerminalUI

/// Hands out the connection of a cluster, never another's: a cluster
/// without an open connection is `NotOpen`. The effect runner's own kept
/// connections are one; tests give in-memory hosts.
protocol ClusterHosts: Sendable {
    func host(for cluster: ClusterID) async throws -> any RemoteHost
}

/// An action asked of a cluster this session has no connection to.
struct NotOpen: Error, CustomStringConvertible {
    let cluster: ClusterID?
    var description: String { cluster.map { "not connected to \($0)" } ?? "not connected" }
}

/// Runs effects off the UI loop; every result comes back as a message.
/// The wizard's effects are in EffectRunner+Wizard, the Monitor's in
/// EffectRunner+Monitor, Jobs' and History's in EffectRunner+Jobs.
final class EffectRunner: Sendable {
    let send: @Sendable (Message) -> Void
    let paths: LocalPaths
    let history: HistoryStore?
    let templates: TemplateStore
    /// `--ssh-config FILE` (like `ssh -F`); nil reads the user's and the system's.
    let sshConfig: SSHConfigFile?
    /// One connection per cluster, kept while others are used: going back to
    /// a cluster needs no new login (nor one-time code), and a job watched
    /// there goes on. `active` is the one the wizard's next request names.
    private let managers = Mutex<(byCluster: [ClusterID: ConnectionManager], active: ClusterID?)>(([:], nil))
    /// Where remote effects get their host when not from `managers` (tests).
    private let injectedHosts: (any ClusterHosts)?
    /// What the polling loops wait on between refreshes (a test's runs at once).
    let clock: any Clock<Duration>
    /// Questions waiting for the user, oldest first: the UI asks them in turn.
    private let pendingAnswers = Mutex<[CheckedContinuation<PromptAnswer, Never>]>([])
    /// The long-running loops, by what they watch.
    private let subscriptions = Mutex<[Subscription: Task<Void, Never>]>([:])

    init(paths: LocalPaths, history: HistoryStore?, templates: TemplateStore, sshConfig: SSHConfigFile? = nil,
         hosts: (any ClusterHosts)? = nil, clock: any Clock<Duration> = ContinuousClock(),
         send: @escaping @Sendable (Message) -> Void) {
        self.paths = paths
        self.history = history
        self.templates = templates
        self.sshConfig = sshConfig
        self.injectedHosts = hosts
        self.clock = clock
        self.send = send
    }

    var submitter: Submitter? {
        history.map { Submitter(history: $0, paths: paths, templates: templates) }
    }

    /// Asks the user through the UI and waits for the answer.
    func ask(_ prompt: Prompt) async -> PromptAnswer {
        await withCheckedContinuation { continuation in
            pendingAnswers.withLock { $0.append(continuation) }
            send(.prompt(prompt))
        }
    }

    /// The kept connection of `cluster`; none is an error, never another's.
    func manager(for cluster: ClusterID?) throws -> ConnectionManager {
        guard let cluster, let manager = managers.withLock({ $0.byCluster[cluster] }) else { throw NotOpen(cluster: cluster) }
        return manager
    }

    /// The host of `cluster`, for one remote action.
    func host(_ cluster: ClusterID?) async throws -> any RemoteHost {
        if let injectedHosts {
            guard let cluster else { throw NotOpen(cluster: nil) }
            return try await injectedHosts.host(for: cluster)
        }
        return try await manager(for: cluster).connection()
    }

    /// The active cluster: History's refresh looks at its records.
    var activeCluster: ClusterID? { managers.withLock { $0.active } }

    func perform(_ effect: Effect) {
        if case let .answerPrompt(answer) = effect {
            let first = pendingAnswers.withLock { pending in pending.isEmpty ? nil : pending.removeFirst() }
            first?.resume(returning: answer)
            return
        }
        switch effect {
        case let .monitor(record, ticket):
            subscribe(.monitor(record: record.id, on: record.cluster)) { await self.monitor(record, ticket: ticket) }
        case .stopMonitor: unsubscribe(.monitor)
        case let .watchJobs(withEnded, cluster, ticket):
            subscribe(.jobs(on: cluster, withEnded: withEnded)) { await self.watchJobs(withEnded: withEnded, on: cluster, ticket: ticket) }
        case .stopWatchingJobs: unsubscribe(.jobs)
        case .watchHistory: subscribe(.history(on: activeCluster)) { await self.watchHistory() }
        case .stopWatchingHistory: unsubscribe(.history)
        default: Task { await self.run(effect) }
        }
    }

    /// A long-running loop, named by what it watches. The screens show one of
    /// each kind at a time: a new one replaces the running one of its kind
    /// (another record, another cluster), one already watching the same
    /// thing is started afresh (its replies carry the new ticket).
    enum Subscription: Hashable {
        case monitor(record: String, on: ClusterID)
        case jobs(on: ClusterID?, withEnded: Bool)
        case history(on: ClusterID?)

        enum Kind { case monitor, jobs, history }

        var kind: Kind {
            switch self {
            case .monitor: .monitor
            case .jobs: .jobs
            case .history: .history
            }
        }
    }

    private func subscribe(_ subscription: Subscription, _ body: @escaping @Sendable () async -> Void) {
        subscriptions.withLock { running in
            for (key, task) in running where key.kind == subscription.kind {
                task.cancel()
                running[key] = nil
            }
            running[subscription] = Task { await body() }
        }
    }

    private func unsubscribe(_ kind: Subscription.Kind) {
        subscriptions.withLock { running in
            for (key, task) in running where key.kind == kind {
                task.cancel()
                running[key] = nil
            }
        }
    }

    /// What is being watched now (for tests and the closing of the app).
    var watching: Set<Subscription> { subscriptions.withLock { Set($0.keys) } }

    func run(_ effect: Effect) async {
        switch effect {
        case let .loadConfig(path):
            do { send(.configLoaded(.success(try HPCSConfig.load(path: path)))) } catch let error as PreparationError {
                send(.configLoaded(.failure(error)))
            } catch { send(.failed("\(error)")) }
        case let .connect(path):
            await connect(path)
        case .list, .fetchInfo, .verify, .loadClusterChoices, .prepare, .submit:
            await runWizard(effect)
        case .cancel, .cancelJobs, .fetchResults, .loadEarlierLog, .scanResults, .readResultFile:
            await runMonitor(effect)
        case let .loadHistory(request):
            guard let history else { return }
            do {
                let page = try request.answer(from: history)
                send(.historyPage(page))
                if let count = try request.count(after: page, from: history) { send(.historyCount(count)) }
            } catch {
                send(.failed("history: \(error)"))
            }
        case let .loadHistoryRecord(id):
            if let record = try? history?.record(id) { send(.historyRecord(record)) }
        case let .openJob(job, cluster, ticket):
            await openJob(job, on: cluster, ticket: ticket)
        case .cancelConnect:
            connectAttempt.withLock { $0 += 1 }
            let dropped = connecting.withLock { pending in defer { pending = nil }; return pending }
            if let dropped { await dropped.close() }
        case .answerPrompt, .monitor, .stopMonitor, .openEditor, .quit, .watchJobs, .stopWatchingJobs, .notify, .openExternally,
             .watchHistory, .stopWatchingHistory:
            break
        }
    }

    /// An action that could not run because its cluster is not open says so
    /// as that (the screen offers to connect); any other error as itself.
    func report(_ error: Error, of action: String) {
        if let notOpen = error as? NotOpen, let cluster = notOpen.cluster {
            send(.notOpen(cluster, action: action))
        } else {
            send(.failed("\(error)"))
        }
    }

    /// Bumped by each attempt and by a cancel: an attempt that is no longer
    /// the latest drops its result (and its connection).
    private let connectAttempt = Mutex(0)
    /// The manager of a connection being made (closed by a cancel).
    private let connecting = Mutex<ConnectionManager?>(nil)

    private func connect(_ path: String) async {
        let attempt = connectAttempt.withLock { $0 += 1; return $0 }
        func isCurrent() -> Bool { connectAttempt.withLock { $0 == attempt } }
        do {
            let loaded = try HPCSConfig.load(path: path)
            let settings = loaded.connectionSettings(sshConfig: sshConfig)
            let cluster = settings.cluster
            // A cluster already open is reused as it is (its settings are the same by name).
            let open = managers.withLock { $0.byCluster[cluster] }
            let newManager = open ?? ConnectionManager(settings: settings, interaction: UIInteraction(runner: self))
            if open == nil { connecting.withLock { $0 = newManager } }
            let ssh = try await newManager.connection()
            connecting.withLock { if $0 === newManager { $0 = nil } }
            guard isCurrent() else {
                if open == nil { await newManager.close() }
                return
            }
            let clusters = managers.withLock { state -> [ClusterID] in
                state.byCluster[cluster] = newManager
                state.active = cluster
                return state.byCluster.keys.sorted()
            }
            let home = try? await ssh.homeDirectory()
            RecentConfigs.remember(path, paths: paths)
            if let submitter { _ = try? await submitter.recover(on: ssh, cluster: ssh.settings) }
            send(.connected(.success(newManager.settings.cluster), home: home, config: loaded))
            send(.openClusters(clusters))
            // After the connection's own messages, so it stays on the status line.
            if !settings.configWarnings.isEmpty { send(.notice(settings.configWarnings.joined(separator: " · "))) }
        } catch let error as SSHError {
            if isCurrent() { send(.connected(.failure(error), home: nil)) }
        } catch {
            if isCurrent() { send(.failed("\(error)")) }
        }
    }
}

/// Coalesces log chunks so a fast stream becomes a few messages per frame.
final class LogBatcher: Sendable {
    private let pending = Mutex((data: Data(), scheduled: false))
    private let send: @Sendable (Data) -> Void

    init(send: @escaping @Sendable (Data) -> Void) { self.send = send }

    func add(_ data: Data) {
        let schedule = pending.withLock { box -> Bool in
            box.data.append(data)
            if box.scheduled { return false }
            box.scheduled = true
            return true
        }
        if schedule {
            Task {
                try? await Task.sleep(for: .milliseconds(40))
                self.flush()
            }
        }
    }

    func flush() {
        let data = pending.withLock { box -> Data in
            defer { box.data = Data(); box.scheduled = false }
            return box.data
        }
        if !data.isEmpty { send(data) }
    }
}

/// Host keys, passphrases and one-time codes are asked in the UI.
struct UIInteraction: SSHInteraction {
    let runner: EffectRunner

    func decide(unknownHostKey: UnknownHostKey) async -> HostKeyDecision {
        if case let .hostKey(decision) = await runner.ask(.hostKey(unknownHostKey, answer: TextFieldState(""))) { return decision }
        return .refuse
    }

    func passphrase(forKeyFile path: String, attempt: Int) async -> String? {
        if case let .passphrase(text) = await runner.ask(.passphrase(file: path, field: TextFieldState(hidden: true))) { return text }
        return nil
    }

    func respond(to challenge: KeyboardInteractiveChallenge) async -> [String]? {
        let fields = challenge.prompts.map { TextFieldState(hidden: !$0.echo) }
        if case let .keyboardInteractive(answers) = await runner.ask(.keyboardInteractive(challenge, fields: fields, focus: 0)) {
            return answers
        }
        return nil
    }

    func progress(_ phase: ConnectPhase) { runner.send(.connectProgress(phase.description)) }

    func password(user: String, host: String) async -> String? {
        let challenge = KeyboardInteractiveChallenge(name: "Password", instruction: "\(user)@\(host)",
                                                     prompts: [.init(text: "Password:", echo: false)])
        return await respond(to: challenge)?.first
    }
}

/// The configs used before, newest first, in the config directory.
enum RecentConfigs {
    static func file(_ paths: LocalPaths) -> URL { paths.configHome.appendingPathComponent("recent-configs") }

    /// Which cluster each config reaches (through the SSH config, as a
    /// connection would), for the Connect screen's list.
    static func clusters(of configs: [String], sshConfig: SSHConfigFile?) -> [String: ClusterID] {
        var clusters: [String: ClusterID] = [:]
        // The user's and the system's ssh_config read once for all of them, not once a config.
        let ssh = sshConfig ?? ConnectionSettings.standardSSHConfig()
        for path in configs.prefix(20) {
            guard let config = try? HPCSConfig.load(path: path) else { continue }
            clusters[path] = config.connectionSettings(sshConfig: ssh).cluster
        }
        return clusters
    }

    static func load(_ paths: LocalPaths) -> [String] {
        ((try? String(contentsOf: file(paths), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    static func remember(_ path: String, paths: LocalPaths) {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let list = [absolute] + load(paths).filter { $0 != absolute }
        try? LocalPaths.ensurePrivateDirectory(paths.configHome)
        try? list.prefix(10).joined(separator: "\n").write(to: file(paths), atomically: true, encoding: .utf8)
    }
}
