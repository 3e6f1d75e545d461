import Foundation
import History
import JobPreparation
import SecureShell
import Synchronization
import TerminalUI

/// The UI loop: input → update → effects (run elsewhere) → messages →
/// update; at most one redraw per frame. It runs on its own thread and
/// never waits on the network.
final class AppRuntime {
    private(set) var state: AppState
    let theme: Theme
    let keys: KeyMap
    private let backend: TerminalBackend
    let mailbox = Mailbox()
    private var runner: EffectRunner?
    private var dirty = true
    private var logFeeder = LogFeeder()
    private var lastDraw = ContinuousClock.now - .seconds(1)
    private var lastTick = ContinuousClock.now

    /// Bell or desktop notification when a watched job ends.
    let notification: DesktopNotification

    init(backend: TerminalBackend, state: AppState, theme: Theme, keys: KeyMap, notification: DesktopNotification = .bell) {
        self.backend = backend
        self.state = state
        self.theme = theme
        self.keys = keys
        self.notification = notification
        self.state.size = backend.size
    }

    func attach(_ runner: EffectRunner) { self.runner = runner }


    func process(_ message: Message) {
        let effects = Update.update(&state, message, keys: keys)
        dirty = true
        for effect in effects {
            switch effect {
            case let .openEditor(text): editExternally(text)
            case let .notify(title, body): backend.send(notification.sequence(title: title, body: body))
            case let .openExternally(path, editor): openExternally(path, editor: editor)
            case .quit: state.quitting = true
            default: runner?.perform(effect)
            }
        }
    }

    /// Runs until the user quits.
    func loop() {
        while !state.quitting {
            if let event = backend.nextEvent(timeout: logFeeder.isEmpty ? 16 : 0) { process(.input(event)) }
            for message in mailbox.take() {
                if case let .monitor(ticket, .logBytes(data)) = message { logFeeder.enqueue(data, ticket: ticket) } else { process(message) }
            }
            if logFeeder.feed(&state, budget: .milliseconds(10)) { dirty = true }
            let now = ContinuousClock.now
            if now - lastTick >= .milliseconds(120), state.activity != nil || state.monitor.following || state.notice != nil {
                lastTick = now
                process(.tick)
            }
            if dirty, now - lastDraw >= .milliseconds(16) {
                backend.draw(AppView.render(state, theme: theme, keys: keys))
                dirty = false
                lastDraw = now
            }
        }
    }

    /// `$EDITOR` on a private copy; the edited text is what gets submitted.
    /// A results file in the user's pager (or editor), the terminal theirs until it exits.
    private func openExternally(_ path: String, editor: Bool) {
        let environment = ProcessInfo.processInfo.environment
        let program = editor ? environment["VISUAL"] ?? environment["EDITOR"] ?? "vi" : environment["PAGER"] ?? "less"
        backend.suspend()
        var status: Int32 = 0
        do {
            status = try ForegroundCommand.run(["/bin/sh", "-c", "exec $0 \"$1\"", program, path])
        } catch {
            state.error = "cannot start \(program): \(error)"
        }
        backend.resume()
        dirty = true
        if status != 0, state.error == nil { state.notice = "\(program) exited with status \(status)" }
    }

    private func editExternally(_ text: String) {
        let directory = LocalPaths().dataHome.appendingPathComponent("edit")
        try? LocalPaths.ensurePrivateDirectory(directory)
        let file = directory.appendingPathComponent("job-\(UUID().uuidString.prefix(8)).sbatch")
        do {
            try text.write(to: file, atomically: true, encoding: .utf8)
        } catch {
            state.error = "cannot write a copy for the editor: \(error)"
            return
        }
        defer { try? FileManager.default.removeItem(at: file) }
        let editor = ProcessInfo.processInfo.environment["VISUAL"] ?? ProcessInfo.processInfo.environment["EDITOR"] ?? "vi"
        backend.suspend()
        var status: Int32 = -1
        do {
            status = try ForegroundCommand.run(["/bin/sh", "-c", "exec $0 \"$1\"", editor, file.path])
        } catch {
            state.error = "cannot start \(editor): \(error)"
        }
        backend.resume()
        dirty = true
        if status == 0, let edited = try? String(contentsOf: file, encoding: .utf8) {
            process(.edited(edited))
        } else if state.error == nil {
            state.notice = "\(editor) exited with status \(status); the preview is unchanged"
        }
    }
}

/// Entry point of the terminal UI.
public enum HPCSJobApplication {
    public static func run(configPath: String?, themeName: String?, logLines: Int = 100_000,
                           sshConfig: SSHConfigFile? = nil) async -> Int32 {
        let paths = LocalPaths()
        let settings = startupSettings(paths: paths, environment: ProcessInfo.processInfo.environment, themeName: themeName)
        let theme = settings.theme
        let keys = settings.keys
        var notices = settings.notices
        let history: HistoryStore?
        do {
            history = try HistoryStore(url: paths.historyDatabase)
        } catch {
            history = nil
            notices.append("history unavailable: \(error)")
        }
        var state = AppState()
        state.logCapacity = max(1000, logLines)
        if let configPath { state.connect.configPath.set(configPath) }
        state.notice = notices.isEmpty ? "Enter connects · F1 help" : notices.joined(separator: " · ")

        let initialState = state
        let keyMap = keys
        return await withCheckedContinuation { continuation in
            let thread = Thread {
                let backend = NcursesBackend()
                let runtime = AppRuntime(backend: backend, state: initialState, theme: theme, keys: keyMap,
                                         notification: DesktopNotification(environment: ProcessInfo.processInfo.environment))
                let mailbox = runtime.mailbox
                let runner = EffectRunner(paths: paths, history: history, templates: TemplateStore.standard(), sshConfig: sshConfig) { message in
                    mailbox.post(message)
                }
                runtime.attach(runner)
                let recent = RecentConfigs.load(paths)
                mailbox.post(.recentConfigs(recent, clusters: RecentConfigs.clusters(of: recent, sshConfig: sshConfig)))
                if let configPath { runner.perform(.loadConfig(configPath)) }
                runtime.loop()
                backend.stop()
                continuation.resume(returning: 0)
            }
            thread.name = "hpcs-job-ui"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}

extension HPCSJobApplication {
    /// What the UI starts with: the theme (`--theme`, then HPCS_JOB_THEME,
    /// then default; NO_COLOR honoured) and the keys (keys.conf patching the
    /// defaults), each with a notice when the user's file could not be used.
    struct StartupSettings {
        let theme: Theme
        let keys: KeyMap
        let notices: [String]
    }

    static func startupSettings(paths: LocalPaths, environment: [String: String], themeName: String?) -> StartupSettings {
        let (theme, themeProblem) = Theme.load(named: themeName ?? environment["HPCS_JOB_THEME"] ?? "default",
                                               directories: [paths.userThemes] + Installation.dataDirectories("Themes"),
                                               noColor: environment["NO_COLOR"].map { !$0.isEmpty } ?? false)
        var keys = Update.keyMap
        var notices: [String] = themeProblem.map { [$0] } ?? []
        let keyFile = paths.configHome.appendingPathComponent("keys.conf")
        if let text = try? String(contentsOf: keyFile, encoding: .utf8) {
            do { keys = try keys.patched(with: text) } catch { notices.append("\(keyFile.path): \(error); default keys used") }
        }
        return StartupSettings(theme: theme, keys: keys, notices: notices)
    }
}

/// Messages from effects to the UI thread.
final class Mailbox: Sendable {
    private let messages = Mutex<[Message]>([])

    func post(_ message: Message) { messages.withLock { $0.append(message) } }

    func take() -> [Message] {
        messages.withLock { box in
            defer { box.removeAll() }
            return box
        }
    }
}
