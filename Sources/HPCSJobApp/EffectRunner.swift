import Foundation
import History
import JobPreparation
import JobRuntime
import SecureShell
import Slurm
import Synchronization
import TerminalUI

/// Runs effects off the UI loop; every result comes back as a message.
final class EffectRunner: Sendable {
    let send: @Sendable (Message) -> Void
    let paths: LocalPaths
    let history: HistoryStore?
    let templates: TemplateStore
    /// `--ssh-config FILE` (like `ssh -F`); nil reads the user's and the system's.
    let sshConfig: SSHConfigFile?
    /// One connection per cluster (`user@host:port`), kept while others are
    /// used: going back to a cluster needs no new login (nor one-time code),
    /// and a job watched there goes on. `active` is the one the wizard uses.
    private let managers = Mutex<(byCluster: [String: ConnectionManager], active: String?)>(([:], nil))
    /// Questions waiting for the user, oldest first: the UI asks them in turn.
    private let pendingAnswers = Mutex<[CheckedContinuation<PromptAnswer, Never>]>([])
    private let monitorTask = Mutex<Task<Void, Never>?>(nil)
    /// The Jobs view's polling loop, while it is shown.
    let jobsTask = Mutex<Task<Void, Never>?>(nil)
    /// History's refresh of unfinished jobs' states, while it is shown.
    let historyTask = Mutex<Task<Void, Never>?>(nil)

    init(paths: LocalPaths, history: HistoryStore?, templates: TemplateStore, sshConfig: SSHConfigFile? = nil,
         send: @escaping @Sendable (Message) -> Void) {
        self.paths = paths
        self.history = history
        self.templates = templates
        self.sshConfig = sshConfig
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

    /// The active cluster's connection manager.
    private var activeManager: ConnectionManager? {
        managers.withLock { state in state.active.flatMap { state.byCluster[$0] } }
    }

    /// The manager of a record's cluster when open, else the active one.
    private func manager(for record: SubmissionRecord) -> ConnectionManager? {
        managers.withLock { $0.byCluster[RunScreens.cluster(of: record)] } ?? activeManager
    }

    func connection() async throws -> SSHConnection {
        guard let manager = activeManager else { throw SSHError.disconnected("not connected") }
        return try await manager.connection()
    }

    func perform(_ effect: Effect) {
        if case let .answerPrompt(answer) = effect {
            let first = pendingAnswers.withLock { pending in pending.isEmpty ? nil : pending.removeFirst() }
            first?.resume(returning: answer)
            return
        }
        switch effect {
        case let .monitor(record): replace(monitorTask) { await self.monitor(record) }
        case .stopMonitor: replace(monitorTask, with: nil)
        case let .watchJobs(withEnded): replace(jobsTask) { await self.watchJobs(withEnded: withEnded) }
        case .stopWatchingJobs: replace(jobsTask, with: nil)
        case .watchHistory: replace(historyTask) { await self.watchHistory() }
        case .stopWatchingHistory: replace(historyTask, with: nil)
        default: Task { await self.run(effect) }
        }
    }

    /// A long-running loop (the monitor, the Jobs and History polls): a new
    /// one replaces the one running; nil only stops it.
    private func replace(_ slot: borrowing Mutex<Task<Void, Never>?>, with body: (@Sendable () async -> Void)?) {
        slot.withLock { task in
            task?.cancel()
            task = body.map { body in Task { await body() } }
        }
    }

    private func run(_ effect: Effect) async {
        switch effect {
        case let .loadConfig(path):
            do { send(.configLoaded(.success(try HPCSConfig.load(path: path)))) } catch let error as PreparationError {
                send(.configLoaded(.failure(error)))
            } catch { send(.failed("\(error)")) }
        case let .connect(path):
            await connect(path)
        case let .list(path):
            // Named by the cluster listed (two login nodes can share a home path): one read of the active one for both.
            let manager = activeManager, cluster = manager?.settings.loginName
            do {
                guard let manager else { throw SSHError.disconnected("not connected") }
                send(.listed(path: path, cluster: cluster, .success(try await manager.connection().list(path))))
            } catch {
                send(.listed(path: path, cluster: cluster, .failure(error as? SSHError ?? .disconnected("\(error)"))))
            }
        case let .fetchInfo(role, path, trust):
            do {
                let ssh = try await connection()
                send(.infoFetched(role, path: path, .success(try await InfoFetcher.fetch(path, from: ssh, trustDomain: trust))))
            } catch {
                send(.infoFetched(role, path: path, .failure(error as? PreparationError ?? PreparationError(.infoFile, file: path, "\(error)"))))
            }
        case let .verify(infos):
            do {
                try await InfoFetcher.verifyChecksums(infos, on: try await connection()) { [send] done, total in
                    send(.checksumProgress(done: done, total: total))
                }
                send(.verified(infos.map(\.remotePath), .success(())))
            } catch {
                send(.verified(infos.map(\.remotePath), .failure(error as? PreparationError ?? PreparationError(.verification, "\(error)"))))
            }
        case let .loadClusterChoices(user):
            await loadClusterChoices(user: user)
        case let .prepare(request):
            guard let submitter else { return send(.failed("the history database is not available")) }
            do {
                send(.prepared(.success(try await submitter.prepare(request, on: try await connection(), dryRun: true))))
            } catch {
                send(.prepared(.failure(error as? PreparationError ?? PreparationError(.submission, "\(error)"))))
            }
        case let .submit(prepared, edited):
            guard let submitter else { return send(.failed("the history database is not available")) }
            do {
                let record = try await submitter.submit(prepared, editedSbatch: edited, on: try await connection()) { [send] event in
                    if case let .step(text) = event { send(.submitProgress(text)) }
                }
                send(.submitted(.success(record)))
            } catch {
                send(.submitted(.failure(error as? PreparationError ?? PreparationError(.submission, "\(error)"))))
            }
        case let .cancel(jobID):
            do {
                try await JobCanceller.cancel(jobID: jobID, on: try await connection())
                send(.cancelResult("cancel requested for job \(jobID)"))
            } catch { send(.failed("\(error)")) }
        case let .fetchResults(record):
            do {
                let results = try await ResultsFetcher.fetch(record, from: try await connection(), paths: paths) { [send] done, total in
                    send(.resultsProgress(total.map { Double(done) / Double(max(1, $0)) }))
                }
                _ = try? history?.update(record.id) { $0.resultsDir = results.directory.path }
                send(.results(.success(results)))
            } catch {
                send(.results(.failure(PreparationError(.submission, "\(error)"))))
            }
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
        case let .loadEarlierLog(path, before):
            do {
                let earlier = try await LogTail.before(before, path: path, on: try await connection())
                send(.earlierLog(earlier.data, start: earlier.start))
            } catch {
                send(.earlierLog(Data(), start: before))
                send(.notice("cannot read earlier lines: \(error)"))
            }
        case let .scanResults(root):
            send(.resultsScanned(root, ResultsBrowser.scan(root)))
        case let .readResultFile(url):
            send(.resultFileRead(url, ResultsBrowser.read(url)))
        case let .openJob(job):
            await openJob(job)
        case let .cancelJobs(ids):
            do {
                try await JobCanceller.cancel(jobIDs: ids, on: try await connection())
                send(.cancelResult("cancel requested for \(ids.count == 1 ? "job \(ids[0])" : "\(ids.count) jobs")"))
            } catch { send(.failed("\(error)")) }
        case .cancelConnect:
            connectAttempt.withLock { $0 += 1 }
            let dropped = connecting.withLock { pending in defer { pending = nil }; return pending }
            if let dropped { await dropped.close() }
        case .watchHistory, .stopWatchingHistory: break
        case .answerPrompt, .monitor, .stopMonitor, .openEditor, .quit, .watchJobs, .stopWatchingJobs, .notify, .openExternally:
            break
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
            let cluster = settings.loginName
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
            let clusters = managers.withLock { state -> [String] in
                state.byCluster[cluster] = newManager
                state.active = cluster
                return state.byCluster.keys.sorted()
            }
            let home = try? await ssh.homeDirectory()
            RecentConfigs.remember(path, paths: paths)
            if let submitter { _ = try? await submitter.recover(on: ssh, cluster: ssh.settings) }
            let target = newManager.settings
            send(.connected(.success(target.loginName), home: home, config: loaded))
            send(.openClusters(clusters))
            // After the connection's own messages, so it stays on the status line.
            if !settings.configWarnings.isEmpty { send(.notice(settings.configWarnings.joined(separator: " · "))) }
        } catch let error as SSHError {
            if isCurrent() { send(.connected(.failure(error), home: nil)) }
        } catch {
            if isCurrent() { send(.failed("\(error)")) }
        }
    }

    private func loadClusterChoices(user: String?) async {
        send(.templates(templates.names()))
        guard let ssh = try? await connection() else { return }
        let partitions = (try? await ssh.run(SlurmCommand.sinfoPartitions)).flatMap { try? SlurmParser.partitions($0.stdoutText) } ?? []
        let nodes = (try? await ssh.run(SlurmCommand.sinfoNodes)).flatMap { try? SlurmParser.nodes($0.stdoutText) } ?? []
        var accounts: [String] = []
        if let user { accounts = (try? await ssh.run(SlurmCommand.associations(user: user))).map { SlurmParser.accounts($0.stdoutText) } ?? [] }
        // Named by the cluster asked: the user may have switched since, and this answer is not about the new one.
        let cluster = ssh.settings.loginName
        send(.clusterChoices(cluster: cluster, partitions: partitions, accounts: accounts, nodes: nodes))
        // What a job from here would lack, so Options can say so before a job fails at step 2.
        let pinned = (try? ToolManifest.load(paths, cluster: ssh.settings)) ?? nil
        if let reports = try? await ToolPinner(host: ssh).status(pinned) {
            send(.toolsMissing(cluster: cluster, Self.missingTools(reports)))
        }
    }

    /// Tools no job could use: no site setting, no valid pinned copy, not on
    /// PATH (the container runtime under either name).
    static func missingTools(_ reports: [ToolPinner.Report]) -> [String] {
        func usable(_ report: ToolPinner.Report) -> Bool { report.jobUses != nil }
        var missing = reports.filter { !["singularity", "apptainer"].contains($0.name) && !usable($0) }.map(\.name)
        if !reports.contains(where: { ["singularity", "apptainer"].contains($0.name) && usable($0) }) {
            missing.append("singularity/apptainer")
        }
        return missing
    }

    /// Lines the Monitor starts with when a log is large (a few screens and then some).
    static let tailLines = 5000
    /// Bytes behind beyond which the Monitor shows the end first rather than catching up.
    static let catchUpLimit: Int64 = 8 << 20

    /// Status polls and the log stream of one job, until it is final and drained.
    private func monitor(_ record: SubmissionRecord) async {
        guard record.jobID != nil else { return }
        let localLog = paths.logs.appendingPathComponent("\(record.id).log")
        // What is already here: only its last screens go to the view.
        let local = LogTail.localEnd(localLog, lines: Self.tailLines)
        do {
            // The record's own cluster when it is open (History may show another's).
            guard let manager = manager(for: record) else { throw SSHError.disconnected("not connected") }
            let ssh = try await manager.connection() // fail early when not connected
            // Far behind a large log: show its end at once and follow from
            // there, instead of reading everything first.
            var startOffset: Int64?
            var followFile = localLog
            if let end = try? await LogTail.read(path: record.logPath, lines: Self.tailLines, on: ssh),
               end.size - local.size > Self.catchUpLimit {
                let note = "the log is \(ResultsBrowser.byteText(end.size)): showing its end; all of it: hpcs-job logs \(record.id)"
                send(.logStart(end.size - Int64(end.data.count)))
                send(.logBytes(Data("[hpcs-job] \(note)\n".utf8) + end.data))
                send(.notice(note))
                startOffset = end.size
                followFile = paths.logs.appendingPathComponent("\(record.id).log.from-\(end.size)")
                try? FileManager.default.removeItem(at: followFile)
            }
            defer { if startOffset != nil { try? FileManager.default.removeItem(at: followFile) } }
            if startOffset == nil, !local.data.isEmpty {
                send(.logStart(local.size - Int64(local.data.count)))
                send(.logBytes(local.data))
            }
            var watcher = JobWatcher(record: record, connections: manager, history: history, localLog: followFile,
                                     startOffset: startOffset)
            watcher.readsEfficiency = true
            let batcher = LogBatcher(send: send)
            for try await event in watcher.events() {
                switch event {
                case let .status(status): send(.status(status))
                case let .log(data): batcher.add(data)
                case let .reconnected(count): send(.reconnected(count))
                case let .efficiency(efficiency): send(.efficiency(efficiency))
                }
            }
            batcher.flush()
            send(.followEnded(nil))
        } catch is CancellationError {
        } catch {
            send(.followEnded(Task.isCancelled ? nil : "log following stopped: \(error)"))
        }
    }
}

/// Coalesces log chunks so a fast stream becomes a few messages per frame.
final class LogBatcher: Sendable {
    private let pending = Mutex((data: Data(), scheduled: false))
    private let send: @Sendable (Message) -> Void

    init(send: @escaping @Sendable (Message) -> Void) { self.send = send }

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
        if !data.isEmpty { send(.logBytes(data)) }
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

    /// Which cluster each config names, for the Connect screen's list.
    static func clusters(of configs: [String]) -> [String: String] {
        var clusters: [String: String] = [:]
        for path in configs.prefix(20) {
            guard let config = try? HPCSConfig.load(path: path) else { continue }
            let machine = config.supercomputer
            clusters[path] = "\(machine.username)@\(machine.address)" + (machine.port.map { ":\($0)" } ?? "")
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
