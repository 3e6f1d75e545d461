@testable import HPCSJobApp
import Foundation
import History
import JobPreparation
@testable import JobRuntime
import SecureShell
import Slurm
import Testing
import TerminalUI

struct UpdateTests {
    func press(_ state: inout AppState, _ keys: Key...) -> [Effect] {
        keys.flatMap { Update.update(&state, .input(.key($0))).plain }
    }

    func type(_ state: inout AppState, _ text: String) {
        for char in text { _ = Update.update(&state, .input(.key(.character(char)))) }
    }

    @Test func connectTypesThePathAndConnects() {
        var state = AppState()
        type(&state, "/c.conf")
        #expect(state.connect.configPath.text == "/c.conf")
        #expect(press(&state, .enter) == [.loadConfig("/c.conf"), .connect("/c.conf")])
        #expect(state.activity != nil)
        _ = Update.update(&state, .connected(.success(ClusterID("a@h:22")), home: "/home/a"))
        #expect(state.screen == .infoFiles && state.connected)
    }

    @Test func lettersTypeInFieldsButQuitOutsideThem() {
        var state = AppState()
        type(&state, "q?")
        #expect(state.connect.configPath.text == "q?" && !state.quitting && !state.showHelp)
        state.screen = .preview
        _ = press(&state, .character("?"))
        #expect(state.showHelp)
        _ = press(&state, .escape)
        #expect(press(&state, .character("q")) == [.quit])
    }

    @Test func wizardRefusesToMoveOnWithoutBothInfoFiles() {
        var state = AppState()
        state.screen = .infoFiles
        #expect(press(&state, .function(2)).isEmpty)
        #expect(state.screen == .infoFiles && state.notice?.contains("both info files") == true)
        state.infoFiles.fetched = [0: Screens.info("app"), 1: Screens.info("data")]
        let effects = press(&state, .function(2))
        #expect(state.screen == .options)
        #expect(effects.contains(.loadClusterChoices(user: nil)) && effects.contains { if case .verify = $0 { return true } else { return false } })
    }

    /// Preview: `e` hands the text to $EDITOR; the edit is shown with its
    /// changed lines marked, it is what Enter then `y` submit, and the
    /// confirmation lists exactly what goes where.
    @Test func anEditedPreviewIsWhatGetsSubmittedAndTheConfirmationListsTheUploads() throws {
        var state = Screens.base(120, 40)
        state.screen = .preview
        let config = try #require(Screens.config)
        let plan = SubmissionPlan(submissionID: "20261130-000000-0a0b0c0d", config: config, application: Screens.info("app"),
                                  data: Screens.info("data"),
                                  spec: JobSpec(jobName: "j", partition: "p", time: .minutes(5), nodelist: "n", workdir: "/w"),
                                  remoteHome: "/home/alice")
        let prepared = PreparedSubmission(plan: plan, sbatch: "#!/bin/bash\necho one\necho two\n", recorded: false)
        Update.answer(&state, .render) { .prepared($0, on: .alice, .success(prepared)) }
        #expect(press(&state, .character("e")) == [.openEditor(prepared.sbatch)])
        let edited = "#!/bin/bash\necho one\necho TWO\n"
        _ = Update.update(&state, .edited(edited))
        #expect(state.preview.text == edited && state.preview.edited)
        #expect(state.preview.changedLines == [2], "only the changed line is marked")
        _ = press(&state, .enter)
        #expect(state.prompt == .confirmSubmit)
        let screen = AppView.render(state, theme: .builtIn).text
        for line in ["/home/alice/.hpcs-job/20261130-000000-0a0b0c0d/ (0700)", "job.sbatch (your edited version) (0600)",
                     "output_key.pub", "hpcs-client.conf", "sbatch --parsable --comment=hpcs-job:20261130-000000-0a0b0c0d"] {
            #expect(screen.contains(line), "the confirmation names \(line)")
        }
        #expect(press(&state, .character("y")) == [.submit(prepared, edited: edited, on: .alice)])
    }

    /// History: `/` filters as the user types (each keystroke asks for the
    /// matching records), `s` cycles the state filter, letters go to the
    /// filter while it is open; only the answer to the latest request is taken.
    @Test func historyFilterAsksForMatchingRecordsAsYouType() {
        var state = Screens.base(120, 40)
        state.screen = .history
        func request(_ text: String?, _ stateFilter: String? = nil) -> Effect {
            .loadHistory(HistoryRequest(filter: HistoryFilter(text: text, state: stateFilter), generation: state.history.generation,
                                        around: 0, keep: nil))
        }
        _ = press(&state, .character("/"))
        #expect(state.history.filtering)
        #expect(press(&state, .character("q")) == [request("q")], "q types, not quits")
        #expect(!state.quitting)
        #expect(press(&state, .backspace, .character("x")).last == request("x"))
        #expect(press(&state, .enter).isEmpty, "Enter keeps the filter; the list already matches it")
        #expect(!state.history.filtering)
        #expect(press(&state, .character("s")) == [request("x", "PENDING")])
        let records = [Screens.record("20261130-000000-aaaa", name: "x-run", state: "PENDING", exit: nil, minutesAgo: 1)]
        let stale = HistoryPage(generation: state.history.generation - 1, offset: 0, entries: [], total: 0, keptAt: nil)
        _ = Update.update(&state, .historyPage(stale))
        let page = HistoryPage(generation: state.history.generation, offset: 0, entries: records.map(HistoryEntry.init), total: 1,
                               keptAt: nil)
        #expect(Update.update(&state, .historyPage(page)).plain == [.loadHistoryRecord("20261130-000000-aaaa")])
        #expect(state.history.window.map(\.id) == ["20261130-000000-aaaa"] && state.history.total == 1)
        _ = Update.update(&state, .historyPage(stale))
        #expect(state.history.total == 1, "a reply to an older request is dropped")
        // Esc in the filter clears it (and asks again), then leaves the filter.
        _ = press(&state, .character("/"))
        #expect(press(&state, .escape) == [request(nil, "PENDING")] && !state.history.filtering && state.history.filter.text.isEmpty)
    }

    @Test func pickingAFileFetchesItForTheActiveSlot() {
        var state = AppState()
        state.screen = .infoFiles
        state.infoFiles.directory = "/u"
        state.infoFiles.entries = Screens.entries
        state.infoFiles.list.setItems([".."] + Screens.entries.map(\.name))
        type(&state, "data")
        #expect(press(&state, .enter) == [.fetchInfo(.application, "/u/data.info.yaml", trustDomain: "")])
        // Tab moves to the data slot; `/` opens the path field prefilled with
        // the folder, and a typed absolute path replaces that prefill.
        _ = press(&state, .tab)
        #expect(state.infoFiles.active == .data)
        _ = press(&state, .character("/"))
        #expect(state.infoFiles.typedPath?.text == "/u/")
        type(&state, "/abs/x.info.yaml")
        #expect(state.infoFiles.typedPath?.text == "/abs/x.info.yaml")
        #expect(press(&state, .enter) == [.fetchInfo(.data, "/abs/x.info.yaml", trustDomain: "")])
        // A relative path still goes under the folder.
        _ = press(&state, .character("/"))
        type(&state, "sub/y.info.yaml")
        #expect(press(&state, .enter) == [.fetchInfo(.data, "/u/sub/y.info.yaml", trustDomain: "")])
    }

    /// The runner once kept the config of the latest connect attempt: after a
    /// failed attempt at another cluster, info files on the open one were
    /// checked against the other's trust domain, its accounts asked for the
    /// other's user. The config now travels with each effect, from state.
    @Test func aFailedConnectAttemptLeavesTheOpenClustersConfigInUse() throws {
        var state = Screens.onInfoFiles()
        state.screen = .connect
        state.connect.configPath.set("/home/alice/other.conf")
        #expect(press(&state, .enter) == [.loadConfig("/home/alice/other.conf"), .connect("/home/alice/other.conf")])
        let other = try HPCSConfig.parse("""
            [spire-server]
            address = spire.other.org
            port = 8081
            trust-domain = other.org
            [hpcs-server]
            url = https://hpcs.other.org
            [vault]
            url = https://vault.other.org
            [supercomputer]
            address = login.other.org
            username = bob
            """, path: "/home/alice/other.conf")
        _ = Update.update(&state, .configLoaded(.success(other)))
        _ = Update.update(&state, .connected(.failure(.disconnected("host key changed")), home: nil))
        #expect(state.connected && state.connect.active?.spireServer.trustDomain == "hpcs.example.org")
        state.error = nil
        state.screen = .infoFiles
        type(&state, "data")
        #expect(press(&state, .enter) == [.fetchInfo(.application, "/u/data.info.yaml", trustDomain: "hpcs.example.org")])
        state.infoFiles.fetched = [0: Screens.info("app"), 1: Screens.info("data")]
        state.infoFiles.verified = true
        #expect(press(&state, .function(2)) == [.loadClusterChoices(user: "alice")])
    }

    @Test func optionsShowInlineProblemsByField() {
        var state = AppState()
        state.screen = .options
        state.options.fields[3].set("99:99")
        #expect(state.specProblems["time"] != nil)
        #expect(state.specProblems["workdir"] != nil)
        state.options.partitions = ["small", "large"]
        state.options.focus = 2
        // Ctrl-O: the cluster's partitions as a list; Enter picks, letters filter, Esc closes.
        _ = press(&state, .control("o"))
        #expect(state.options.picker?.items == ["small", "large"])
        _ = press(&state, .enter)
        #expect(state.options.fields[2].text == "small" && state.options.picker == nil)
        _ = press(&state, .control("o"), .down, .enter)
        #expect(state.options.fields[2].text == "large")
        _ = press(&state, .control("o"), .character("s"), .character("m"), .enter)
        #expect(state.options.fields[2].text == "small")
        _ = press(&state, .control("o"), .character("q"), .escape)
        #expect(state.options.fields[2].text == "small" && state.options.picker == nil && !state.quitting)
    }

    @Test func pastedArgumentsAreSplitWordByWord() {
        var state = AppState()
        state.screen = .runtime
        _ = press(&state, .character("a"))
        type(&state, "--in 'two words' x")
        _ = press(&state, .enter)
        #expect(state.runtime.arguments == ["--in", "two words", "x"])
        #expect(state.runtime.notice?.contains("3 words") == true)
        _ = press(&state, .down, .character("K"))
        #expect(state.runtime.arguments == ["two words", "--in", "x"])
        _ = press(&state, .character("d"))
        #expect(state.runtime.arguments == ["--in", "x"])
    }

    @Test func invalidSpecOpensAnErrorThatKeepsTheInput() {
        var state = AppState()
        state.screen = .runtime
        state.options.fields[0].set("my job")
        _ = press(&state, .function(2))
        #expect(state.error?.contains("job-name") == true)
        _ = press(&state, .escape)
        #expect(state.error == nil && state.options.fields[0].text == "my job" && state.screen == .runtime)
    }

    /// As OpenSSH: only a typed yes (or the fingerprint) accepts; Enter
    /// alone, or any other answer, accepts nothing.
    @Test func hostKeyPromptAcceptsOnlyATypedYesOrTheFingerprint() {
        var state = AppState()
        let key = UnknownHostKey(host: "h", port: 22, key: HostKey(blob: [0, 0, 0, 1, 65]), knownHostsFile: "/k")
        _ = Update.update(&state, .prompt(.hostKey(key, answer: TextFieldState(""))))
        #expect(press(&state, .enter).isEmpty, "Enter alone accepts nothing")
        type(&state, "y")
        #expect(press(&state, .enter).isEmpty && state.prompt != nil, "nor does y")
        type(&state, "es")
        #expect(press(&state, .enter) == [.answerPrompt(.hostKey(.acceptAndRemember))])
        _ = Update.update(&state, .prompt(.hostKey(key, answer: TextFieldState(""))))
        type(&state, key.fingerprint)
        #expect(press(&state, .enter) == [.answerPrompt(.hostKey(.acceptAndRemember))])
        _ = Update.update(&state, .prompt(.hostKey(key, answer: TextFieldState(""))))
        type(&state, "once")
        #expect(press(&state, .enter) == [.answerPrompt(.hostKey(.acceptOnce))])
        _ = Update.update(&state, .prompt(.hostKey(key, answer: TextFieldState(""))))
        type(&state, "no")
        #expect(press(&state, .enter) == [.answerPrompt(.hostKey(.refuse))])
        _ = Update.update(&state, .prompt(.hostKey(key, answer: TextFieldState(""))))
        #expect(press(&state, .escape) == [.answerPrompt(.hostKey(.refuse))])
        _ = Update.update(&state, .prompt(.passphrase(file: "/id", field: TextFieldState(hidden: true))))
        type(&state, "secret")
        #expect(press(&state, .enter) == [.answerPrompt(.passphrase("secret"))])
    }

    @Test func quittingDuringASubmissionAsksFirst() {
        var state = AppState()
        state.screen = .preview
        state.submissionInFlight = true
        #expect(press(&state, .control("q")).isEmpty)
        guard case let .confirmQuit(reason) = state.prompt else { Issue.record("no question"); return }
        #expect(reason.contains("in flight"))
        #expect(press(&state, .character("y")) == [.quit])
    }

    @Test func logBytesAreSanitisedAndStepsTracked() {
        var state = AppState()
        state.screen = .monitor
        _ = Update.answer(&state, .monitor) { .monitor($0, .logBytes(Data("[hpcs-job] step 3/12: starting\n\u{1b}]52;c;ZXZpbA==\u{07}\u{1b}[2Jclean\u{1b}[31m red\n".utf8))) }
        #expect(state.monitor.step?.number == 3)
        let texts = (0..<state.monitor.log.lines.count).map { state.monitor.log.lines[$0].text }
        #expect(texts == ["[hpcs-job] step 3/12: starting", "clean red"])
        #expect(state.monitor.log.lines[1].runs.last?.sgr.foreground == 1)
    }

    @Test func historyActions() {
        var state = AppState()
        Screens.connected(&state)
        state.screen = .history
        Screens.showHistory(&state, [Screens.record("s1", name: "one", state: "RUNNING", exit: nil, minutesAgo: 1)], selected: 0)
        #expect(press(&state, .character("c")).isEmpty && state.prompt == .confirmCancel(jobID: "4001", on: .alice))
        #expect(press(&state, .character("y")) == [.cancel(jobID: "4001", on: .alice)])
        let attach = press(&state, .enter)
        #expect(state.screen == .monitor && attach.count == 2 && attach.last == .stopWatchingHistory, "\(attach)")
        state.screen = .history
        _ = press(&state, .character("N"))
        #expect(state.options.fields[0].text == "one" && state.runtime.arguments == ["--in", "two words"])
    }

    /// A record of another cluster (or none connected): the action offers to
    /// connect with the record's own config, then does what was asked there,
    /// never on whatever cluster happens to be connected.
    @Test func historyActionsRunOnTheRecordsOwnCluster() {
        var state = AppState()
        Screens.connected(&state)
        state.connect.connectedTo = ClusterID("alice@other-cluster.example.org:22")
        state.screen = .history
        let record = Screens.record("s1", name: "one", state: "RUNNING", exit: nil, minutesAgo: 1)
        Screens.showHistory(&state, [record], selected: 0)
        #expect(press(&state, .character("c")).isEmpty && state.prompt == .connectForRecord(record, .cancel))
        #expect(press(&state, .character("y")) == [.loadConfig("/home/alice/hpcs-client.conf"), .connect("/home/alice/hpcs-client.conf")])
        let effects = Update.update(&state, .connected(.success(ClusterID("alice@login.example.org:22")), home: "/home/alice"))
        #expect(effects.contains(.watchHistory) && state.prompt == .confirmCancel(jobID: "4001", on: .alice), "asked once connected there")
        #expect(press(&state, .character("y")) == [.cancel(jobID: "4001", on: .alice)])
        // The record's config now reaches somewhere else: nothing is done.
        state.connect.connectedTo = ClusterID("alice@other-cluster.example.org:22")
        _ = press(&state, .enter, .character("y"))
        _ = Update.update(&state, .connected(.success(ClusterID("alice@third.example.org:22")), home: nil))
        #expect(state.screen == .history && state.error?.contains("nothing was done") == true)
    }
}

struct LogFeederTests {
    @Test func workPerFrameIsBoundedAndABacklogIsSkippedWithANote() {
        var state = AppState()
        state.screen = .monitor
        let ticket = state.tickets.issue(.monitor)
        var feeder = LogFeeder()
        let line = Data(String(repeating: "x", count: 99).utf8 + [0x0A])
        feeder.enqueue(Data(repeating: 0, count: 0), ticket: ticket)
        for _ in 0..<4000 { feeder.enqueue(line, ticket: ticket) }
        #expect(feeder.feed(&state, budget: .zero))
        #expect(!feeder.isEmpty, "one chunk per frame at a zero budget")
        while feeder.feed(&state, budget: .milliseconds(50)) {}
        #expect(state.monitor.log.lines.count == 4000)
        var flooded = LogFeeder()
        var view = AppState()
        flooded.enqueue(Data(repeating: 0x61, count: 40 << 20), ticket: view.tickets.issue(.monitor))
        #expect(flooded.queuedBytes <= 16 << 20 + 1024)
        while flooded.feed(&view, budget: .seconds(1)) {}
        let texts = (0..<view.monitor.log.lines.count).map { view.monitor.log.lines[$0].text }
        #expect(texts.contains { $0.contains("bytes not shown here") })
    }
}

struct PointerAndResizeTests {
    @Test func clicksSelectAndTheWheelScrolls() {
        var state = AppState()
        state.screen = .infoFiles
        state.infoFiles.list.setItems(["..", "a", "b", "c"])
        _ = Update.update(&state, .input(.mouse(x: 5, y: Layout.infoList(state.size).y + 2, kind: .click)))
        #expect(state.infoFiles.list.selected == 2)
        state.screen = .monitor
        for index in 0..<50 { state.monitor.log.append(Data("line \(index)\n".utf8)) }
        _ = Update.update(&state, .input(.mouse(x: 5, y: 20, kind: .wheelUp)))
        #expect(state.monitor.log.scrollBack == 1 && !state.monitor.log.following)
        _ = Update.update(&state, .input(.mouse(x: 5, y: 20, kind: .wheelDown)))
        #expect(state.monitor.log.scrollBack == 0 && state.monitor.log.following)
    }

    @Test func resizeRedrawsAtTheNewSizeAndTinyShowsAMessage() {
        var state = AppState()
        _ = Update.update(&state, .input(.resize(width: 100, height: 30)))
        #expect(state.size == (100, 30))
        #expect(AppView.render(state, theme: .builtIn).width == 100)
        _ = Update.update(&state, .input(.resize(width: 30, height: 8)))
        #expect(AppView.render(state, theme: .builtIn).text.contains("needs at least"))
    }
}

struct KeyHintTests {
    @Test func hintsShowTheKeysTheUserBound() throws {
        var state = AppState()
        state.size = (120, 30)
        state.screen = .options
        let keys = try Update.keyMap.patched(with: "quit = ctrl-x\nnext = F9\n")
        let text = AppView.render(state, theme: .builtIn, keys: keys).text
        #expect(text.contains("Ctrl-X quit") && text.contains("F9 next"))
        #expect(!text.contains("Ctrl-Q quit") && !text.contains("F2 next"))
        state.showHelp = true
        #expect(AppView.render(state, theme: .builtIn, keys: keys).text.contains("Ctrl-X"))
    }
}

/// The Jobs view: F4 from anywhere starts its polling, leaving stops it;
/// filter text is text; marked jobs are cancelled with one question.
struct JobsViewTests {
    func press(_ state: inout AppState, _ keys: Key...) -> [Effect] {
        keys.flatMap { Update.update(&state, .input(.key($0))).plain }
    }

    @Test func f4OpensTheJobsViewAndLeavingStopsItsPolling() {
        var state = Screens.base(120, 40)
        Screens.connected(&state)
        state.screen = .options
        #expect(press(&state, .function(4)) == [.watchJobs(withEnded: false)] && state.screen == .jobs)
        Update.answer(&state, .jobs) { .jobsListed($0, on: .alice, .success(Screens.jobSummaries)) }
        #expect(state.jobs.shown.count == 5)
        #expect(press(&state, .character("a")) == [.watchJobs(withEnded: true)], "ended jobs too: the poll changes")
        #expect(press(&state, .escape) == [.stopWatchingJobs] && state.screen != .jobs)
    }

    /// F4 while the connection is still being made: the view stays when it is made.
    @Test func aScreenChosenWhileConnectingIsKept() {
        var state = Screens.base(120, 40)
        state.connect.configPath.set("/home/alice/hpcs-client.conf")
        _ = press(&state, .enter)
        _ = press(&state, .function(4))
        _ = Update.update(&state, .connected(.success(ClusterID("alice@login:22")), home: "/home/alice"))
        #expect(state.screen == .jobs && state.connected)
        var waiting = Screens.base(120, 40)
        waiting.connect.configPath.set("/home/alice/hpcs-client.conf")
        _ = press(&waiting, .enter)
        _ = Update.update(&waiting, .connected(.success(ClusterID("alice@login:22")), home: "/home/alice"))
        #expect(waiting.screen == .infoFiles, "from Connect, a connection goes on to the info files")
    }

    @Test func typingInTheFilterIsText() {
        var state = Screens.base(120, 40)
        state.screen = .jobs
        Update.answer(&state, .jobs) { .jobsListed($0, on: .alice, .success(Screens.jobSummaries)) }
        _ = press(&state, .character("/"))
        for char in "qsweep" { _ = press(&state, .character(char)) }
        #expect(!state.quitting && state.jobs.filter.text == "qsweep" && state.jobs.shown.isEmpty)
        _ = press(&state, .backspace, .backspace, .backspace, .backspace, .backspace, .backspace)
        for char in "sweep" { _ = press(&state, .character(char)) }
        #expect(state.jobs.shown.map(\.jobID) == ["4102"])
        _ = press(&state, .escape)
        #expect(state.jobs.filter.text.isEmpty && state.jobs.shown.count == 5 && state.screen == .jobs)
    }

    @Test func markedJobsAreCancelledTogetherAndEndedOnesAreLeftOut() {
        var state = Screens.base(120, 40)
        state.screen = .jobs
        Update.answer(&state, .jobs) { .jobsListed($0, on: .alice, .success(Screens.jobSummaries)) }
        _ = press(&state, .character(" "), .character(" "), .character(" "), .character(" "))
        #expect(state.jobs.marked == ["4101", "4102", "4103_[2-9]", "4090"])
        #expect(press(&state, .character("c")).isEmpty && state.prompt == .confirmCancelJobs(["4101", "4102", "4103_[2-9]"], on: .alice))
        #expect(press(&state, .character("y")) == [.cancelJobs(["4101", "4102", "4103_[2-9]"], on: .alice)] && state.jobs.marked.isEmpty)
        // An ended job alone: nothing to cancel, and it says so.
        _ = press(&state, .end)
        #expect(press(&state, .character("c")).isEmpty && state.prompt == nil && state.notice?.contains("nothing to cancel") == true)
    }

    @Test func theSelectionStaysOnItsJobAcrossRefreshesAndEnterOpensIt() {
        var state = Screens.base(120, 40)
        state.screen = .jobs
        Update.answer(&state, .jobs) { .jobsListed($0, on: .alice, .success(Screens.jobSummaries)) }
        _ = press(&state, .down, .down)
        #expect(state.jobs.selectedJob?.jobID == "4103_[2-9]")
        Update.answer(&state, .jobs) { .jobsListed($0, on: .alice, .success([Screens.jobSummaries[4]] + Screens.jobSummaries)) }
        #expect(state.jobs.selectedJob?.jobID == "4103_[2-9]" && state.jobs.selected == 3)
        #expect(press(&state, .enter) == [.openJob(Screens.jobSummaries[2], on: .alice)])
        let record = Screens.record("job-4103", name: "array", state: "PENDING", exit: nil, minutesAgo: 0)
        #expect(Update.answer(&state, .openJob) { .jobOpened($0, .success(record)) }.plain == [.monitor(record), .stopWatchingJobs] && state.screen == .monitor)
        Update.answer(&state, .jobs) { .jobsListed($0, on: .alice, .failure(JobsFailure(message: "connection lost"))) }
        #expect(state.jobs.error == "connection lost")
    }
}

/// A watched job that ends says so: a status line, and a bell or a desktop
/// notification through the terminal, its text unable to break out.
struct NotificationTests {
    @Test func aWatchedJobEndingNotifiesOnce() {
        var state = Screens.base(120, 40)
        let record = Screens.record("s1", name: "sweep", state: "RUNNING", exit: nil, minutesAgo: 1)
        _ = MonitorScreen.attachIssued(&state, record)
        let running = JobStatus(jobID: "4001", state: .running)
        #expect(Update.answer(&state, .monitor) { .monitor($0, .status(running)) }.isEmpty)
        let done = JobStatus(jobID: "4001", state: .failed, exitCode: SlurmExitCode(code: 3, signal: 0))
        #expect(Update.answer(&state, .monitor) { .monitor($0, .status(done)) } == [.notify(title: "hpcs-job: job 4001 FAILED", body: "sweep (exit 3)")])
        #expect(state.notice == "job 4001 (sweep) ended: FAILED (exit 3)")
        #expect(Update.answer(&state, .monitor) { .monitor($0, .status(done)) }.isEmpty, "once")
        // Opening a job that had already ended is not news.
        var reopened = Screens.base(120, 40)
        _ = MonitorScreen.attachIssued(&reopened, Screens.record("s2", name: "old", state: "COMPLETED", exit: 0, minutesAgo: 9))
        #expect(Update.answer(&reopened, .monitor) { .monitor($0, .status(JobStatus(jobID: "4009", state: .completed))) }.isEmpty)
    }

    @Test func sequencesCarryNoControlFromTheJobName() {
        let hostile = "x\u{07}\u{1b}]0;owned\u{1b}\\;y\u{9c}z"
        for style in DesktopNotification.allCases {
            let bytes = style.sequence(title: "t", body: hostile)
            let text = String(decoding: bytes, as: UTF8.self)
            switch style {
            case .off: #expect(bytes.isEmpty)
            case .bell: #expect(bytes == [0x07])
            case .osc777:
                let payload = text.dropFirst("\u{07}\u{1b}]777;notify;t;".count).dropLast(2)
                #expect(text.hasPrefix("\u{07}\u{1b}]777;notify;t;") && text.hasSuffix("\u{1b}\\"))
                #expect(payload.hasPrefix("x") && payload.hasSuffix("z"))
                #expect(payload.unicodeScalars.allSatisfy { $0.value >= 0x20 && !(0x7F...0x9F).contains($0.value) && $0 != ";" },
                        "\(payload.debugDescription)")
            case .osc9:
                #expect(text.hasPrefix("\u{07}\u{1b}]9;t: ") && text.hasSuffix("\u{1b}\\"))
                // No ESC, BEL or C1 (U+009C is ST: it would end the sequence early) between the opening and the ST.
                let payload = text.dropFirst("\u{07}\u{1b}]9;".count).dropLast(2)
                #expect(payload.unicodeScalars.allSatisfy { $0.value >= 0x20 && !(0x7F...0x9F).contains($0.value) }, "\(payload.debugDescription)")
                #expect(payload.hasSuffix("z") && payload.contains("x"))
            }
        }
        #expect(DesktopNotification(environment: ["HPCS_JOB_NOTIFY": "OSC777"]) == .osc777)
        #expect(DesktopNotification(environment: [:]) == .bell && DesktopNotification(environment: ["HPCS_JOB_NOTIFY": "x"]) == .bell)
    }
}

/// The results browser over a real unpacked folder: the tree with sizes, a
/// text file in the pane (escape sequences neutralised), binaries refused
/// there, $PAGER for anything.
struct ResultsBrowserTests {
    func press(_ state: inout AppState, _ keys: Key...) -> [Effect] {
        keys.flatMap { Update.update(&state, .input(.key($0))) }
    }

    /// Runs the browser's effects inline, as the runner does off the loop.
    func run(_ state: inout AppState, _ effects: [Effect]) {
        for effect in effects {
            switch effect {
            case let .scanResults(root, ticket): _ = Update.update(&state, .monitor(ticket, .resultsScanned(root, ResultsBrowser.scan(root))))
            case let .readResultFile(root, path, ticket):
                _ = Update.update(&state, .monitor(ticket, .resultFileRead(root.appendingPathComponent(path), ResultsBrowser.read(path, in: root))))
            default: break
            }
        }
    }

    @Test func browseViewAndOpenTheResults() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hpcs-results-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root.appendingPathComponent("files/sub"), withIntermediateDirectories: true)
        try Data("line one\n\u{1b}]0;owned\u{07}line two \u{1b}[31mred\u{1b}[0m\n".utf8).write(to: root.appendingPathComponent("files/a.txt"))
        try Data("x,y\n1,2\n".utf8).write(to: root.appendingPathComponent("files/sub/b.csv"))
        try Data([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1]).write(to: root.appendingPathComponent("files/tool"))
        try Data(count: 100).write(to: root.appendingPathComponent("encrypted_output.tgz"))

        var state = Screens.base(100, 30)
        _ = MonitorScreen.attachIssued(&state, Screens.record("s1", name: "x", state: "COMPLETED", exit: 0, minutesAgo: 1))
        #expect(press(&state, .character("b")).isEmpty && state.notice?.contains("fetch the results first") == true)
        state.monitor.results = JobResults(directory: root, encryptedFile: root.appendingPathComponent("encrypted_output.tgz"),
                                           files: [], stdout: nil, stderr: nil, exitCode: 0)
        run(&state, press(&state, .character("b")))
        let browser = try #require(state.monitor.browser)
        #expect(browser.entries.map(\.path) == ["files", "files/sub", "files/sub/b.csv", "files/a.txt", "files/tool", "encrypted_output.tgz"])
        #expect(browser.entries.map(\.depth) == [0, 1, 2, 1, 1, 0] && browser.entries[2].size == 8)

        _ = press(&state, .down, .down, .down)
        run(&state, press(&state, .enter))
        #expect(state.monitor.browser?.viewing == "files/a.txt")
        let shown = (0..<(state.monitor.browser?.view.lines.count ?? 0)).compactMap { state.monitor.browser?.view.lines[$0].text }
        #expect(shown == ["line one", "line two red"], "escape sequences neutralised: \(shown)")
        let screen = AppView.render(state, theme: .builtIn).lines.joined(separator: "\n")
        #expect(screen.contains("line two red") && screen.contains(root.appendingPathComponent("files/a.txt").path), "\(screen)")
        #expect(press(&state, .character("o")) == [.openExternally(root.appendingPathComponent("files/a.txt").path, editor: false)])
        _ = press(&state, .escape)
        #expect(state.monitor.browser?.viewing == nil && state.monitor.browser != nil)

        _ = press(&state, .down)
        run(&state, press(&state, .enter))
        #expect(state.monitor.browser?.viewing == nil && state.notice?.contains("binary") == true, "\(state.notice ?? "")")
        #expect(press(&state, .character("e")) == [.openExternally(root.appendingPathComponent("files/tool").path, editor: true)])
        _ = press(&state, .escape)
        #expect(state.monitor.browser == nil && state.screen == .monitor)
    }
}

/// A log opened at its end fills in earlier lines as the user scrolls up.
struct EarlierLogTests {
    @Test func scrollingToTheTopAsksForEarlierLinesAndPrependsThem() {
        var state = Screens.base(100, 30)
        let record = Screens.record("s1", name: "big", state: "RUNNING", exit: nil, minutesAgo: 1)
        _ = MonitorScreen.attachIssued(&state, record)
        _ = Update.answer(&state, .monitor) { .monitor($0, .logStart(5_000)) }
        _ = Update.answer(&state, .monitor) { .monitor($0, .logBytes(Data((100...140).map { "line \($0)\n" }.joined().utf8))) }
        #expect(state.monitor.earliestOffset == 5_000)
        var asked: [Effect] = []
        for _ in 0..<5 { asked += Update.update(&state, .input(.key(.pageUp))) }
        #expect(asked.plain == [.loadEarlierLog(path: record.logPath, before: 5_000, on: .alice)], "asked once while loading")
        _ = Update.answer(&state, .monitor) { .monitor($0, .earlierLog(Data((80...99).map { "line \($0)\n" }.joined().utf8), start: 3_000)) }
        #expect(state.monitor.log.lines[0].text == "line 80" && state.monitor.log.lines[20].text == "line 100")
        #expect(state.monitor.earliestOffset == 3_000 && !state.monitor.loadingEarlier)
        _ = Update.answer(&state, .monitor) { .monitor($0, .earlierLog(Data("line 79\n".utf8), start: 0)) }
        #expect(state.monitor.earliestOffset == nil, "the start of the file: nothing more to read")
        #expect(Update.update(&state, .input(.key(.pageUp))).isEmpty)
    }

    @Test func aFullViewStopsReadingAndSaysWhereTheRestIs() {
        var state = Screens.base(100, 30)
        state.logCapacity = 1000
        _ = MonitorScreen.attachIssued(&state, Screens.record("s1", name: "big", state: "RUNNING", exit: nil, minutesAgo: 1))
        _ = Update.answer(&state, .monitor) { .monitor($0, .logStart(9_000)) }
        _ = Update.answer(&state, .monitor) { .monitor($0, .logBytes(Data((1...1000).map { "l\($0)\n" }.joined().utf8))) }
        _ = Update.answer(&state, .monitor) { .monitor($0, .earlierLog(Data("earlier\n".utf8), start: 8_000)) }
        #expect(state.monitor.earliestOffset == nil && state.notice?.contains("hpcs-job logs s1") == true)
    }
}

/// Options says which tools a job from this login node would lack, and why
/// a tool counts: the site's setting, a valid pinned copy, or PATH when not
/// pinned (a pinned tool whose cache changed is missing: the job refuses it).
struct MissingToolsTests {
    func report(_ name: String, pinned: Bool = false, cache: ToolPinner.CacheState? = nil, site: String? = nil,
                path: String? = nil) -> ToolPinner.Report {
        let tool = pinned ? PinnedTool(name: name, version: "1", sha256: String(repeating: "a", count: 64),
                                       url: "https://x.org/\(name).tar.gz", member: name) : nil
        return ToolPinner.Report(name: name, pinned: tool, cache: cache, siteSetting: site, onPath: path)
    }

    @Test func whatCountsAsThere() {
        let reports = [report("age", path: "/usr/bin/age"), report("gocryptfs", pinned: true, cache: .changed, path: "/usr/bin/gocryptfs"),
                       report("spire-agent", pinned: true, cache: .valid), report("singularity"), report("apptainer", site: "/site/apptainer")]
        #expect(ToolLookup.missing(reports) == ["gocryptfs"])
        let none = [report("age"), report("gocryptfs"), report("spire-agent", pinned: true, cache: .missing), report("singularity"),
                    report("apptainer")]
        #expect(ToolLookup.missing(none) == ["age", "gocryptfs", "spire-agent", "singularity/apptainer"])
    }

    @Test func aNewConnectionForgetsTheLastClustersVerdict() {
        var state = AppState()
        Update.answer(&state, .choices) { _ in .connected(.success(ClusterID("u@a:22")), home: "/home/u", config: nil) }
        Update.answer(&state, .choices) { .toolsMissing($0, ["spire-agent"]) }
        #expect(state.connect.missingTools == ["spire-agent"])
        _ = Update.update(&state, .connected(.success(ClusterID("u@h:22")), home: "/home/u", config: nil))
        #expect(state.connect.missingTools.isEmpty)
    }

    /// Connected to A, then to B: A's answers, arriving after the switch, are
    /// not B's partitions, accounts, nodes or missing tools.
    @Test func answersAboutAClusterLeftSinceAreDropped() throws {
        var state = AppState()
        let onA = Update.update(&state, .connected(.success(ClusterID("u@a:22")), home: "/home/u", config: nil))
        let askedA = try #require(onA.first { if case .loadClusterChoices = $0 { true } else { false } })
        #expect(askedA.cluster == ClusterID("u@a:22"), "asked of A")
        let onB = Update.update(&state, .connected(.success(ClusterID("u@b:22")), home: "/home/u", config: nil))
        let askedB = try #require(onB.first { if case .loadClusterChoices = $0 { true } else { false } })
        #expect(askedB.cluster == ClusterID("u@b:22"), "asked of B")
        let sinfo = ["small*", "up", "1:00:00", "0/1/0/1"].joined(separator: SlurmCommand.separator)
        let small = try #require(try SlurmParser.partitions(sinfo).first)
        let ticketA = try #require(askedA.ticket), ticketB = try #require(askedB.ticket)
        _ = Update.update(&state, .clusterChoices(ticketA, partitions: [small], accounts: ["a-project"], nodes: ["a1"]))
        _ = Update.update(&state, .toolsMissing(ticketA, ["age"]))
        #expect(state.options.partitions.isEmpty && state.options.accounts.isEmpty && state.connect.missingTools.isEmpty)
        _ = Update.update(&state, .clusterChoices(ticketB, partitions: [small], accounts: ["b-project"], nodes: ["b1"]))
        #expect(state.options.accounts == ["b-project"] && state.options.nodes == ["b1"] && state.options[.partition].text == "small")
    }
}

/// Several clusters at once: the top bar names the active one and counts
/// the others kept open; History's question says when it is only a switch.
struct OpenClustersTests {
    @Test func theTopBarCountsTheOtherOpenClusters() {
        var state = AppState()
        state.size = (120, 30)
        _ = Update.update(&state, .connected(.success(ClusterID("alice@a.example.org:22")), home: "/home/alice", config: nil))
        _ = Update.update(&state, .openClusters([ClusterID("alice@a.example.org:22"), ClusterID("alice@b.example.org:2222")]))
        let top = AppView.render(state, theme: .builtIn).text.split(separator: "\n").first.map(String.init) ?? ""
        #expect(top.contains("● alice@a.example.org:22 +1 open"), "\(top)")
    }
}

/// Letters typed on Info files before the first listing arrives are kept
/// (CI's tmux run typed `qvdj` and the listing's arrival wiped the `q`);
/// entering another folder still starts with an empty filter.
struct ListingKeepsTypedFilterTests {
    @Test func theFirstListingKeepsWhatWasTyped() {
        var state = AppState()
        state.screen = .infoFiles
        state.infoFiles.list.filter = "q"
        Update.answer(&state, .listing) { .listed($0, path: "/home/u", .success([])) }
        #expect(state.infoFiles.list.filter == "q")
        Update.answer(&state, .listing) { .listed($0, path: "/home/u/data", .success([])) }
        #expect(state.infoFiles.list.filter == "")
    }
}

/// Listings and info fetches run concurrently: the reply to an older
/// request can arrive last. It must not replace what the latest one showed.
extension UpdateTests {
    /// The effects of one key as the update issued them (tickets, clusters).
    func issued(_ state: inout AppState, _ key: Key) -> [Effect] { Update.update(&state, .input(.key(key))) }

    @Test func aListingOfAFolderLeftSinceIsDropped() throws {
        var state = Screens.onInfoFiles()
        type(&state, "projects")
        let first = issued(&state, .enter)
        #expect(first.plain == [.list("/u/projects")] && first.first?.cluster == .alice)
        let second = issued(&state, .left)
        #expect(second.plain == [.list("/")], "changed their mind before it arrived")
        let old = try #require(first.first?.ticket), latest = try #require(second.first?.ticket)
        _ = Update.update(&state, .listed(latest, path: "/", .success([RemoteFileInfoFactory.make("u", directory: true)])))
        _ = Update.update(&state, .listed(old, path: "/u/projects", .success([RemoteFileInfoFactory.make("late.info.yaml")])))
        #expect(state.infoFiles.directory == "/" && state.infoFiles.list.items == ["..", "u/"])
        _ = Update.update(&state, .listed(old, path: "/u/projects", .failure(.disconnected("gone"))))
        #expect(state.error == nil, "nor is its failure shown")
    }

    /// Two login nodes with the same home path: the first one's late listing is not the second's.
    @Test func aListingFromAClusterLeftSinceIsDropped() throws {
        var state = AppState()
        state.screen = .infoFiles
        let onA = Update.update(&state, .connected(.success(ClusterID("u@a:22")), home: "/home/u", config: nil))
        let onB = Update.update(&state, .connected(.success(ClusterID("u@b:22")), home: "/home/u", config: nil))
        #expect(onB.plain.contains(.list("/home/u")) && onB.first?.cluster == ClusterID("u@b:22"))
        let ticketA = try #require(onA.first?.ticket), ticketB = try #require(onB.first?.ticket)
        _ = Update.update(&state, .listed(ticketA, path: "/home/u", .success([RemoteFileInfoFactory.make("a-only.info.yaml")])))
        #expect(state.infoFiles.list.items.isEmpty)
        _ = Update.update(&state, .listed(ticketB, path: "/home/u", .success([RemoteFileInfoFactory.make("b.info.yaml")])))
        #expect(state.infoFiles.list.items == ["..", "b.info.yaml"])
    }

    @Test func aRefreshOfTheSameFolderKeepsTheSelectedRow() {
        var state = Screens.onInfoFiles()
        Update.answer(&state, .listing) { .listed($0, path: "/u", .success(Screens.entries)) }
        _ = press(&state, .end)
        #expect(state.infoFiles.list.selectedItem.map { state.infoFiles.list.items[$0] } == "projects/")
        let more = [RemoteFileInfoFactory.make("a-new.info.yaml")] + Screens.entries
        Update.answer(&state, .listing) { .listed($0, path: "/u", .success(more)) }
        #expect(state.infoFiles.list.selectedItem.map { state.infoFiles.list.items[$0] } == "projects/")
    }

    @Test func anInfoFilePickedBeforeTheLatestIsDropped() throws {
        var state = Screens.onInfoFiles()
        type(&state, "app")
        let first = issued(&state, .enter)
        #expect(first.plain == [.fetchInfo(.application, "/u/app.info.yaml", trustDomain: "hpcs.example.org")])
        _ = press(&state, .character("/"))
        type(&state, "/other/app.info.yaml")
        let second = issued(&state, .enter)
        #expect(second.plain == [.fetchInfo(.application, "/other/app.info.yaml", trustDomain: "hpcs.example.org")])
        let old = try #require(first.first?.ticket), latest = try #require(second.first?.ticket)
        let picked = FetchedInfo(remotePath: "/other/app.info.yaml", info: Screens.info("other").info)
        _ = Update.update(&state, .infoFetched(latest, .application, path: "/other/app.info.yaml", .success(picked)))
        _ = Update.update(&state, .infoFetched(old, .application, path: "/u/app.info.yaml",
                                               .success(FetchedInfo(remotePath: "/u/app.info.yaml", info: Screens.info("app").info))))
        #expect(state.infoFiles.fetched(.application)?.remotePath == "/other/app.info.yaml")
        _ = Update.update(&state, .infoFetched(old, .application, path: "/u/app.info.yaml", .failure(.preparation(PreparationError(.infoFile, "late")))))
        #expect(state.error == nil && state.infoFiles.problems.isEmpty)
    }
}
