import Foundation
import History
import HostTestSupport
@testable import HPCSJobApp
import JobPreparation
import JobRuntime
import SecureShell
import Slurm
import Synchronization
import Testing
import TerminalUI

/// Each cluster its own in-memory login node; one that is not open is
/// `NotOpen`, as the effect runner's own connections are.
final class TwoClusters: ClusterHosts {
    let hosts: [ClusterID: InMemoryHost]
    init(_ hosts: [ClusterID: InMemoryHost]) { self.hosts = hosts }
    func host(for cluster: ClusterID) async throws -> any RemoteHost {
        guard let host = hosts[cluster] else { throw NotOpen(cluster: cluster) }
        return host
    }
}

/// A clock whose sleeps end at once: a polling loop refreshes as fast as it can.
struct ImmediateClock: Clock {
    var now: ContinuousClock.Instant { ContinuousClock.now }
    var minimumResolution: Duration { .zero }
    func sleep(until deadline: ContinuousClock.Instant, tolerance: Duration?) async throws { await Task.yield() }
}

/// What the runner sent, as text.
final class Sent: Sendable {
    private let messages = Mutex<[String]>([])
    func add(_ message: Message) { messages.withLock { $0.append("\(message)") } }
    var all: [String] { messages.withLock { $0 } }
}

/// Every action knows its cluster: watching a job of A while B is active,
/// cancelling it runs on A (or asks to connect to A), never on B; a late
/// reply about job A changes nothing of job B.
struct ClusterIdentityTests {
    static let clusterB = ClusterID(user: "alice", host: "b.example.org", port: 2222)

    func press(_ state: inout AppState, _ keys: Key...) -> [Effect] {
        keys.flatMap { Update.update(&state, .input(.key($0))) }
    }

    /// Watching job 4001 of A, then connected to B from History (a record of B), back to the Monitor.
    func watchingAThenConnectedToB(bOnly: Bool = false) -> (AppState, SubmissionRecord) {
        var state = Screens.base(120, 36)
        Screens.connected(&state)
        let record = Screens.record("s1", name: "sweep", state: "RUNNING", exit: nil, minutesAgo: 1)
        MonitorScreen.attachIssued(&state, record)
        Update.answer(&state, .monitor) { .monitor($0, .status(JobStatus(jobID: "4001", state: .running))) }
        state.screen = .history
        _ = Update.update(&state, .connected(.success(Self.clusterB), home: "/home/alice"))
        _ = Update.update(&state, .openClusters(bOnly ? [Self.clusterB] : [.alice, Self.clusterB]))
        _ = press(&state, .character("6"))
        return (state, record)
    }

    func runner(_ hosts: TwoClusters, sent: Sent) -> EffectRunner {
        EffectRunner(paths: LocalPaths(environment: ["HOME": "/nonexistent"]), history: nil, templates: TemplateStore(directories: []),
                     hosts: hosts) { message in sent.add(message) }
    }

    @Test func cancellingAfterASwitchRunsOnTheJobsOwnCluster() async throws {
        var (state, record) = watchingAThenConnectedToB()
        #expect(state.screen == .monitor && state.connect.connectedTo == Self.clusterB && state.monitor.record == record)
        #expect(press(&state, .character("c")).isEmpty)
        #expect(state.prompt == .confirmCancel(jobID: "4001", on: .alice), "the question names A")
        let question = AppView.render(state, theme: .builtIn).text
        #expect(question.contains("scancel job 4001 on alice@login.example.org:22?"), "\(question)")
        let effects = press(&state, .character("y"))
        #expect(effects == [.cancel(jobID: "4001", on: .alice)])

        let hostA = InMemoryHost(), hostB = InMemoryHost(host: "b.example.org", port: 2222)
        for host in [hostA, hostB] {
            host.on("squeue") { _ in InMemoryHost.answer("RUNNING\n") }
            host.on("scancel") { _ in InMemoryHost.answer() }
        }
        let sent = Sent()
        await runner(TwoClusters([.alice: hostA, Self.clusterB: hostB]), sent: sent).run(effects[0])
        #expect(hostA.commands.map { $0.first ?? "" } == ["squeue", "scancel"] && hostA.commands.last?.contains("4001") == true)
        #expect(hostB.commands.isEmpty, "nothing ran on B: \(hostB.commands)")
        #expect(sent.all.contains { $0.contains("cancel requested for job 4001 on alice@login.example.org:22") })
    }

    @Test func withItsClusterNotOpenTheUserIsAskedToConnect() async {
        var (state, record) = watchingAThenConnectedToB(bOnly: true)
        #expect(press(&state, .character("c")).isEmpty)
        #expect(state.prompt == .connectForRecord(record, .cancel), "never a cancel on B")
        // The runner, asked of a cluster not open, runs nothing anywhere and says which.
        let hostB = InMemoryHost(host: "b.example.org", port: 2222)
        let sent = Sent()
        await runner(TwoClusters([Self.clusterB: hostB]), sent: sent).run(.cancel(jobID: "4001", on: .alice))
        #expect(hostB.commands.isEmpty)
        #expect(sent.all.contains { $0.contains("notOpen") && $0.contains("login.example.org") }, "\(sent.all)")
    }

    /// The long-running loops are named by what they watch: the Jobs view of
    /// B replaces that of A, and leaving stops it.
    @Test func loopsAreSubscriptionsKeyedByWhatTheyWatch() async throws {
        let hostA = InMemoryHost(), hostB = InMemoryHost(host: "b.example.org", port: 2222)
        let runner = runner(TwoClusters([.alice: hostA, Self.clusterB: hostB]), sent: Sent())
        runner.perform(.watchJobs(withEnded: false, on: .alice, ticket: .unissued(.jobs)))
        #expect(runner.watching == [.jobs(on: .alice, withEnded: false)])
        runner.perform(.watchJobs(withEnded: true, on: Self.clusterB, ticket: .unissued(.jobs)))
        #expect(runner.watching == [.jobs(on: Self.clusterB, withEnded: true)])
        let record = Screens.record("s1", name: "x", state: "RUNNING", exit: nil, minutesAgo: 1)
        runner.perform(.monitor(record))
        #expect(runner.watching.contains(.monitor(record: "s1", on: .alice)) && runner.watching.count == 2)
        runner.perform(.stopWatchingJobs)
        runner.perform(.stopMonitor)
        #expect(runner.watching.isEmpty)
    }

    /// The Jobs loop, on its own cluster, one remote command per refresh
    /// (the clock injected: no test waits out the 5 s between refreshes).
    @Test func theJobsLoopRefreshesItsClusterOnly() async throws {
        let hostA = InMemoryHost(), hostB = InMemoryHost(host: "b.example.org", port: 2222)
        for host in [hostA, hostB] { host.on("squeue") { _ in InMemoryHost.answer("") } }
        let sent = Sent()
        let runner = EffectRunner(paths: LocalPaths(environment: ["HOME": "/nonexistent"]), history: nil, templates: TemplateStore(directories: []),
                                  hosts: TwoClusters([.alice: hostA, Self.clusterB: hostB]), clock: ImmediateClock()) { sent.add($0) }
        runner.perform(.watchJobs(withEnded: false, on: Self.clusterB, ticket: .unissued(.jobs)))
        for _ in 0..<2_000 where sent.all.count < 3 { try await Task.sleep(for: .milliseconds(5)) }
        runner.perform(.stopWatchingJobs)
        let refreshes = sent.all.filter { $0.contains("jobsListed") }.count
        #expect(refreshes >= 3, "\(sent.all)")
        #expect(hostA.commands.isEmpty && hostB.commands.count >= refreshes && hostB.commands.allSatisfy { $0.first == "squeue" })
    }

    @Test func theJobsViewCancelsOnTheClusterItListed() {
        var state = Screens.base(120, 36)
        Screens.connected(&state)
        _ = press(&state, .function(4))
        Update.answer(&state, .jobs) { .jobsListed($0, on: .alice, .success(Screens.jobSummaries)) }
        state.connect.connectedTo = Self.clusterB // switched meanwhile
        _ = press(&state, .character("c"))
        guard case let .confirmCancelJobs(_, cluster)? = state.prompt else { Issue.record("no question: \(String(describing: state.prompt))"); return }
        #expect(cluster == .alice)
        #expect(press(&state, .character("y")).allSatisfy { $0.cluster == .alice })
    }

    @Test func resubmittingARecordOfBWhileAIsActivePreparesItForB() throws {
        var state = Screens.base(120, 36)
        Screens.connected(&state)
        var record = Screens.record("s2", name: "onB", state: "COMPLETED", exit: 0, minutesAgo: 3)
        (record.clusterUser, record.clusterHost, record.clusterPort) = ("alice", "b.example.org", 2222)
        record.configPath = "/home/alice/b.conf"
        state.screen = .history
        #expect(HistoryActions.act(&state, .resubmit, on: record).isEmpty)
        #expect(state.prompt == .connectForRecord(record, .resubmit), "not filled in for A")
        #expect(state.options[.jobName].text != "onB")
        #expect(press(&state, .character("y")).plain == [.loadConfig("/home/alice/b.conf"), .connect("/home/alice/b.conf")])
        let effects = Update.update(&state, .connected(.success(Self.clusterB), home: "/home/alice"))
        #expect(state.screen == .options && state.options[.jobName].text == "onB" && state.connect.connectedTo == Self.clusterB)
        #expect(state.notice?.contains("on alice@b.example.org:2222") == true, "\(state.notice ?? "")")
        let remote = effects.filter { $0.cluster != nil }
        #expect(!remote.isEmpty && remote.allSatisfy { $0.cluster == Self.clusterB }, "\(effects)")
    }

    @Test func lateRepliesAboutJobAChangeNothingOfJobB() throws {
        var state = Screens.base(120, 36)
        Screens.connected(&state)
        let jobA = Screens.record("a", name: "A", state: "RUNNING", exit: nil, minutesAgo: 1)
        let jobB = Screens.record("b", name: "B", state: "PENDING", exit: nil, minutesAgo: 2)
        let ticketA = try #require(MonitorScreen.attachIssued(&state, jobA).first?.ticket)
        let ticketB = try #require(MonitorScreen.attachIssued(&state, jobB).first?.ticket)
        #expect(ticketA != ticketB)
        // A's status poll and its batcher's last bytes, arriving after B is attached.
        let failedA = JobStatus(jobID: "4001", state: .failed, exitCode: SlurmExitCode(code: 3, signal: 0))
        #expect(Update.update(&state, .monitor(ticketA, .status(failedA))).isEmpty, "no 'ended' for the wrong job")
        _ = Update.update(&state, .monitor(ticketA, .logBytes(Data("line of A\n".utf8))))
        var feeder = LogFeeder()
        feeder.enqueue(Data("queued line of A\n".utf8), ticket: ticketA)
        while feeder.feed(&state, budget: .milliseconds(10)) {}
        #expect(state.monitor.record?.id == "b" && state.monitor.status == nil && state.monitor.log.lines.count == 0)
        #expect(state.notice?.contains("ended") != true)
        // B's own replies are taken.
        _ = Update.update(&state, .monitor(ticketB, .status(JobStatus(jobID: "4002", state: .running))))
        _ = Update.update(&state, .monitor(ticketB, .logBytes(Data("line of B\n".utf8))))
        #expect(state.monitor.status?.state == .running && state.monitor.log.lines.count == 1 && state.monitor.log.lines[0].text == "line of B")
    }
}

/// Errors keep their kind up to the screen: a lost connection is not a
/// submission refused, and the screen decides by kind, not by text.
struct ErrorKindTests {
    @Test func eachErrorKeepsItsKind() {
        let fallback = { (text: String) in PreparationError(.submission, text) }
        #expect(EffectFailure(SSHError.disconnected("gone"), else: fallback) == .connection(.disconnected("gone")))
        #expect(EffectFailure(NotOpen(cluster: .alice), else: fallback) == .notOpen(.alice))
        let refused = PreparationError(.jobSpec, field: "time", "bad")
        #expect(EffectFailure(refused, else: fallback) == .preparation(refused))
        #expect(EffectFailure(CocoaError(.fileNoSuchFile), else: fallback).kind == .submission, "anything else is the step's own")
    }

    @Test func aSubmissionLostWithTheConnectionIsNotRenderedAgain() throws {
        var state = Screens.base(120, 36)
        Screens.connected(&state)
        state.screen = .preview
        state.submissionInFlight = true
        let effects = Update.update(&state, .submitted(.failure(.connection(.disconnected("connection reset")))))
        #expect(effects.isEmpty, "a render would meet the same lost connection")
        #expect(state.error?.hasPrefix("the connection was lost") == true && state.error?.contains("kept in History") == true, "\(state.error ?? "")")
        #expect(state.screen == .preview && !state.submissionInFlight)
        // A refusal of the job itself renders afresh, as before.
        state.error = nil
        state.infoFiles.fetched = [0: Screens.info("app"), 1: Screens.info("data")]
        for (field, value) in zip(OptionField.allCases, ["j", "1", "p", "5", "", "n", "/w"]) { state.options[field].set(value) }
        let again = Update.update(&state, .submitted(.failure(.preparation(PreparationError(.submission, "sbatch: error: invalid partition")))))
        #expect(again.contains { if case .prepare = $0 { true } else { false } }, "\(again)")
    }

    @Test func aRenderLostWithTheConnectionStaysWhereTheUserIs() {
        var state = Screens.base(120, 36)
        Screens.connected(&state)
        state.screen = .preview
        Update.answer(&state, .render) { .prepared($0, on: .alice, .failure(.connection(.disconnected("gone")))) }
        #expect(state.screen == .preview && state.error?.contains("connection was lost") == true)
    }
}


/// A server's keyboard-interactive words never become ours: the modal's
/// title names which login asks (a jump host could name itself "Password —
/// alice@lumi"), and the server's text is shown as its words.
struct PromptFrameTests {
    @Test func theQuestionNamesWhoAsks() {
        var state = Screens.base(100, 30)
        let forged = KeyboardInteractiveChallenge(name: "Password — alice@lumi.example.eu", instruction: "",
                                                  prompts: [.init(text: "Password:", echo: false)], server: "bob@jump.example.org:22")
        state.prompt = .keyboardInteractive(forged, fields: [TextFieldState(hidden: true)], focus: 0)
        let screen = AppView.render(state, theme: .builtIn).text
        #expect(screen.contains("Sign in to bob@jump.example.org:22"), "\(screen)")
        #expect(screen.contains("The server says: Password — alice@lumi.example.eu"), "\(screen)")
        #expect(!screen.contains("─ Password — alice"), "the server's words are not the title")
        state.prompt = .passphrase(file: "/home/alice/.ssh/id_ed25519", field: TextFieldState(hidden: true))
        #expect(AppView.render(state, theme: .builtIn).text.contains("Key passphrase (this computer)"))
    }
}
