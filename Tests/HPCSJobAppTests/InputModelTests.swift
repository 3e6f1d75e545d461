@testable import HPCSJobApp
import Foundation
import JobPreparation
@testable import JobRuntime
import Testing
import TerminalUI

/// The screen gets each key first; global bindings get only what it leaves.
struct InputModelTests {
    func press(_ state: inout AppState, _ keys: Key..., with map: KeyMap = Update.keyMap) -> [Effect] {
        keys.flatMap { Update.update(&state, .input(.key($0)), keys: map).plain }
    }

    func type(_ state: inout AppState, _ text: String) {
        for char in text { _ = Update.update(&state, .input(.key(.character(char)))) }
    }

    @Test func lettersInTheInfoFilterAreTextNotCommands() {
        var state = Screens.onInfoFiles()
        for char in "qvdj?" {
            #expect(press(&state, .character(char)).isEmpty, "\(char) does nothing but filter")
        }
        #expect(state.infoFiles.list.filter == "qvdj?" && !state.quitting && !state.showHelp && state.prompt == nil)
        #expect(state.activity == nil, "v did not start a verification")
        // Esc clears the filter first, then goes back.
        _ = press(&state, .escape)
        #expect(state.infoFiles.list.filter.isEmpty && state.screen == .infoFiles)
        _ = press(&state, .escape)
        #expect(state.screen == .connect)
    }

    @Test func verifyingIsABoundKeyThatKeysConfCanMove() throws {
        var state = Screens.onInfoFiles()
        state.infoFiles.fetched = [0: Screens.info("app"), 1: Screens.info("data")]
        let effects = press(&state, .control("v"))
        #expect(effects.contains { if case .verify = $0 { true } else { false } })
        let moved = try Update.keyMap.patched(with: "info.verify = F7\n")
        var other = Screens.onInfoFiles()
        other.infoFiles.fetched = state.infoFiles.fetched
        #expect(press(&other, .control("v"), with: moved).isEmpty)
        #expect(press(&other, .function(7), with: moved).contains { if case .verify = $0 { true } else { false } })
        other.size = (160, 30)
        #expect(AppView.render(other, theme: .builtIn, keys: moved).text.contains("F7 verify"), "the hint bar shows the new key")
    }

    @Test func theInfoPickerGoesUpAndHome() {
        var state = Screens.onInfoFiles()
        state.connect.home = "/home/alice"
        #expect(press(&state, .left) == [.list("/")])
        #expect(press(&state, .backspace) == [.list("/")], "Backspace with an empty filter goes up too")
        #expect(press(&state, .character("~")) == [.list("/home/alice")])
        _ = press(&state, .character("/"))
        _ = press(&state, .character("~"))
        #expect(state.infoFiles.typedPath?.text == "/home/alice/", "~ right after the folder's / starts at home")
    }

    @Test func ctrlQStillQuitsFromAFieldAndAsksWhenTheJobWouldBeLost() {
        var state = Screens.onInfoFiles()
        #expect(press(&state, .control("q")) == [.quit], "nothing prepared yet: quits at once")
        var working = Screens.onInfoFiles()
        Update.answer(&working, .info(.application)) { .infoFetched($0, .application, path: Screens.info("app").remotePath, .success(Screens.info("app"))) }
        #expect(press(&working, .control("q")).isEmpty)
        guard case let .confirmQuit(reason) = working.prompt else { Issue.record("no question"); return }
        #expect(reason.contains("not been submitted"))
        #expect(press(&working, .character("n")).isEmpty && !working.quitting)
        // On Runtime's word lists, q is a command again, and it asks too.
        working.screen = .runtime
        #expect(press(&working, .character("q")).isEmpty && working.prompt != nil)
        #expect(press(&working, .character("y")) == [.quit])
    }

    @Test func altKeysMoveAndDeleteByWordInTextFields() {
        var state = Screens.base(100, 30)
        type(&state, "/home/alice/hpcs-client.conf")
        _ = press(&state, .alt("b"))
        #expect(state.connect.configPath.cursor == "/home/alice/hpcs-client.".count)
        _ = press(&state, .alt("b"), .alt("b"))
        #expect(state.connect.configPath.cursor == "/home/alice/".count)
        _ = press(&state, .alt("f"))
        #expect(state.connect.configPath.cursor == "/home/alice/hpcs".count)
        _ = press(&state, .end, .alt("\u{7F}"))
        #expect(state.connect.configPath.text == "/home/alice/hpcs-client.")
        #expect(state.screen == .connect && state.infoFiles.list.filter.isEmpty, "Alt-b is not Esc then b")
    }

    @Test func numberKeysGoToTabsThroughTheWizardsChecks() {
        var state = Screens.onInfoFiles()
        #expect(press(&state, .character("3")).isEmpty, "digits filter on Info files")
        #expect(state.infoFiles.list.filter == "3")
        state.infoFiles.list.filter = ""
        state.screen = .options
        _ = press(&state, .character("1"))
        #expect(state.screen == .options, "digits type into the options fields")
        state.screen = .preview
        _ = press(&state, .character("2"))
        #expect(state.screen == .infoFiles)
        state.screen = .preview
        _ = press(&state, .character("6"))
        #expect(state.screen == .preview && state.notice?.contains("no job to watch") == true)
        // Forward without both info files stops where the wizard stops.
        state.screen = .runtime
        state.runtime.section = .arguments
        _ = press(&state, .character("3"))
        #expect(state.screen == .options)
        var fresh = Screens.base(100, 30)
        fresh.screen = .history
        _ = press(&fresh, .character("2"))
        #expect(fresh.screen == .history && fresh.notice?.contains("connect first") == true)
    }

    @Test func escReturnsToWhereTheUserCameFromAndF3Toggles() {
        var state = Screens.onInfoFiles()
        state.screen = .runtime
        _ = press(&state, .function(3))
        #expect(state.screen == .history)
        _ = press(&state, .function(3))
        #expect(state.screen == .runtime, "F3 again leaves History to where it was opened from")
        _ = press(&state, .function(4))
        #expect(state.screen == .jobs)
        _ = press(&state, .function(3))
        #expect(state.screen == .history)
        _ = press(&state, .escape)
        #expect(state.screen == .jobs)
        _ = press(&state, .escape)
        #expect(state.screen == .runtime)
    }

    @Test func keysThatDoNothingSayWhy() {
        var state = Screens.base(100, 30)
        state.screen = .runtime
        _ = press(&state, .character("a"))
        type(&state, "one")
        _ = press(&state, .enter, .character("K"))
        #expect(state.runtime.notice == "already the first word")
        _ = press(&state, .character("d"))
        #expect(state.runtime.arguments.isEmpty && state.runtime.notice?.contains("u puts it back") == true)
        _ = press(&state, .character("u"))
        #expect(state.runtime.arguments == ["one"])
    }

    @Test func aWordWithASpaceSurvivesEditingAndAnOpenQuoteIsAnError() {
        var state = Screens.base(100, 30)
        state.screen = .runtime
        state.runtime.arguments = ["two words"]
        state.runtime.argumentList.items = ["two words"]
        _ = press(&state, .character("e"))
        #expect(state.runtime.editing?.field.text == "'two words'")
        _ = press(&state, .enter)
        #expect(state.runtime.arguments == ["two words"], "kept as one word")
        _ = press(&state, .character("a"))
        type(&state, "'open")
        _ = press(&state, .enter)
        #expect(state.runtime.editing?.field.text == "'open" && state.runtime.arguments == ["two words"])
        #expect(state.runtime.notice?.contains("close the quote") == true)
    }

    @Test func everyActionHasADefaultKeyAndAKeysConfName() throws {
        for action in Action.allCases {
            #expect(!action.defaultKeys.isEmpty, "\(action.rawValue)")
            let patched = try Update.keyMap.patched(with: "\(action.rawValue) = F12\n")
            #expect(patched.keys(for: action.rawValue) == [.function(12)])
        }
        #expect(KeyMap.parse("alt-b") == .alt("b") && KeyMap.parse("alt-backspace") == .alt("\u{7F}"))
    }
}

/// Job options are checked field by field as typed; F2 does not move on
/// past a wrong field, it goes to it and says what is wrong, whole.
struct OptionsValidationTests {
    func press(_ state: inout AppState, _ keys: Key...) -> [Effect] {
        keys.flatMap { Update.update(&state, .input(.key($0))).plain }
    }

    func filled() -> AppState {
        var state = Screens.base(80, 24)
        Screens.connected(&state)
        state.screen = .options
        for (field, value) in zip(OptionField.allCases, ["job", "1", "small", "1:00:00", "", "nid001", "/scratch/p/run1"]) {
            state.options[field].set(value)
        }
        state.options.partitions = ["small", "large"]
        state.options.nodes = ["nid001", "nid002"]
        return state
    }

    @Test func eachFieldIsCheckedOnItsOwnTerms() {
        var state = filled()
        #expect(OptionField.problems(state).isEmpty)
        state.options[.nodes].set("abc")
        #expect(OptionField.nodes.problem(state) == "'abc' is not a node count: use a whole number of at least 1")
        state.options[.nodes].set("")
        #expect(OptionField.nodes.problem(state)?.contains("Nodes is empty") == true)
        state.options[.partition].set("gpu")
        #expect(OptionField.partition.problem(state)?.contains("not one of the cluster's: small, large") == true)
        state.options[.nodeList].set("nid001,nid009")
        #expect(OptionField.nodeList.problem(state)?.contains("'nid009' is not a node of this cluster") == true)
        state.options[.nodeList].set("nid[001-002]")
        #expect(OptionField.nodeList.problem(state) == nil, "ranges are Slurm's to expand")
        #expect(OptionField.account.problem(state) == nil, "no account is fine")
    }

    @Test func theRenderGetsTheParsedTimeAndTheFormKeepsWhatWasTyped() {
        var state = filled()
        state.infoFiles.fetched = [0: Screens.info("app"), 1: Screens.info("data")]
        state.options[.time].set("90")
        let effects = PreviewScreen.preparePreview(&state)
        guard case let .prepare(request, _, _)? = effects.first else { Issue.record("no render asked: \(effects)"); return }
        #expect(request.spec.time == .minutes(90) && request.spec.time.normalized == "01:30:00")
        #expect(state.options[.time].text == "90")
        state.screen = .options
        state.options[.time].set("90 minutes")
        #expect(PreviewScreen.preparePreview(&state).isEmpty && state.error?.contains("'90 minutes' is not a Slurm time") == true)
    }

    @Test func f2StopsAtTheFirstWrongFieldAndShowsItsMessageWhole() {
        var state = filled()
        state.options[.time].set("25:61:00:00")
        state.options[.workdir].set("/with space")
        _ = press(&state, .function(2))
        #expect(state.screen == .options && state.options.focusedField == .time && state.options.checked)
        let text = AppView.render(state, theme: .builtIn).text
        #expect(text.contains("Time: "), "the focused field's message below the form:\n\(text)")
        state.options[.time].set("2-0")
        _ = press(&state, .function(2))
        #expect(state.options.focusedField == .workdir && state.screen == .options)
        state.options[.workdir].set("/scratch/p/run2")
        _ = press(&state, .function(2))
        #expect(state.screen == .runtime)
    }
}

/// At the smallest size the app supports, every screen keeps its way out.
struct SmallestSizeTests {
    @Test func everyScreenKeepsHelpQuitAndItsWayOnAt60x16() {
        for (name, state) in Screens.all(width: 60, height: 16) where state.prompt == nil && state.error == nil && !state.showHelp {
            let rows = AppView.render(state, theme: .builtIn).text.split(separator: "\n", omittingEmptySubsequences: false)
            let bar = String(rows[15])
            #expect(bar.contains("F1 help") && bar.contains("Ctrl-Q quit"), "\(name): \(bar)")
            if state.screen == .options, state.options.picker == nil { #expect(bar.contains("F2 next"), "\(name): \(bar)") }
            if state.screen == .preview, state.preview.prepared != nil { #expect(bar.contains("Enter submit"), "\(name): \(bar)") }
            let header = String(rows[0])
            #expect(header.contains(" 8 ") || header.contains(" 8"), "\(name): every tab shows: \(header)")
        }
    }

    @Test func helpScrollsWhenItDoesNotFit() {
        var state = Screens.base(60, 16)
        state.screen = .history
        _ = Update.update(&state, .input(.key(.function(1))))
        let first = AppView.render(state, theme: .builtIn).text
        #expect(first.contains("↓ more"))
        for _ in 0..<40 { _ = Update.update(&state, .input(.key(.down))) }
        let last = AppView.render(state, theme: .builtIn).text
        #expect(last.contains("keys.conf") && !last.contains("↓ more"), "\(last)")
        _ = Update.update(&state, .input(.key(.escape)))
        #expect(!state.showHelp && state.screen == .history)
    }
}

/// An $EDITOR edit in Preview is never dropped without asking, and one draft
/// keeps one submission id, so re-rendering marks only what changed.
struct PreviewEditTests {
    func press(_ state: inout AppState, _ keys: Key...) -> [Effect] {
        keys.flatMap { Update.update(&state, .input(.key($0))).plain }
    }

    func prepared(_ id: String, _ sbatch: String) throws -> PreparedSubmission {
        let config = try #require(Screens.config)
        let plan = SubmissionPlan(submissionID: id, config: config, application: Screens.info("app"), data: Screens.info("data"),
                                  spec: JobSpec(jobName: "j", partition: "p", time: .minutes(5), nodelist: "n", workdir: "/w"),
                                  remoteHome: "/home/alice")
        return PreparedSubmission(plan: plan, sbatch: sbatch, recorded: false)
    }

    func onPreview() throws -> AppState {
        var state = Screens.base(100, 30)
        Screens.connected(&state)
        state.infoFiles.fetched = [0: Screens.info("app"), 1: Screens.info("data")]
        for (field, value) in zip(OptionField.allCases, ["j", "1", "p", "5", "", "n", "/w"]) { state.options[field].set(value) }
        state.screen = .preview
        try Update.answer(&state, .render) { .prepared($0, on: .alice, .success(try prepared("20261130-000000-0a0b0c0d", "#!/bin/bash\necho one\n"))) }
        _ = Update.update(&state, .edited("#!/bin/bash\necho EDITED\n"))
        return state
    }

    @Test func escAfterAnEditAsksAndKeepingIt() throws {
        var state = try onPreview()
        _ = press(&state, .escape)
        #expect(state.prompt == .leaveEditedPreview && state.screen == .preview)
        _ = press(&state, .escape)
        #expect(state.prompt == nil && state.screen == .preview, "Esc stays")
        _ = press(&state, .escape, .character("k"))
        #expect(state.screen == .runtime && state.preview.edited)
        // Back to Preview: the render arrives, the edit stays what is shown.
        let effects = press(&state, .function(2))
        guard case let .prepare(request, _, _)? = effects.first else { Issue.record("no render asked: \(effects)"); return }
        #expect(request.submissionID == "20261130-000000-0a0b0c0d", "the same draft keeps its id")
        try Update.answer(&state, .render) { .prepared($0, on: .alice, .success(try prepared("20261130-000000-0a0b0c0d", "#!/bin/bash\necho two\n"))) }
        #expect(state.preview.text.contains("EDITED") && state.notice?.contains("kept") == true)
    }

    @Test func discardingAndRerenderingAsk() throws {
        var state = try onPreview()
        #expect(press(&state, .character("r")).isEmpty && state.prompt == .discardEditAndRender)
        _ = press(&state, .character("n"))
        #expect(state.preview.edited && state.preview.text.contains("EDITED"))
        _ = press(&state, .character("r"))
        #expect(press(&state, .character("y")).count == 1 && !state.preview.edited)
        var leaving = try onPreview()
        _ = press(&leaving, .escape, .character("d"))
        #expect(leaving.screen == .runtime && !leaving.preview.edited && leaving.preview.text == "#!/bin/bash\necho one\n")
    }
}

/// Notices belong to what raised them: gone with a screen change or after a
/// few seconds; errors stay until dismissed.
struct MessageLifetimeTests {
    @Test func noticesPassAndErrorsStay() {
        var state = Screens.base(100, 30)
        Screens.connected(&state)
        state.screen = .runtime
        _ = Update.update(&state, .input(.key(.character("6"))))
        #expect(state.notice?.contains("no job to watch") == true)
        _ = Update.update(&state, .input(.key(.function(3))))
        #expect(state.notice == nil, "another screen: the notice was about the last one")
        _ = Update.update(&state, .input(.key(.character("6"))))
        #expect(state.notice != nil)
        for _ in 0...AppState.noticeTicks { _ = Update.update(&state, .tick) }
        #expect(state.notice == nil, "a few seconds later it is gone")
        state.error = "a real problem"
        for _ in 0...AppState.noticeTicks { _ = Update.update(&state, .tick) }
        _ = Update.update(&state, .input(.key(.function(3))))
        #expect(state.error == "a real problem", "errors stay until dismissed")
        _ = Update.update(&state, .input(.key(.enter)))
        #expect(state.error == nil)
    }
}

/// Connecting says what it is doing and for how long, and Esc gives up.
struct ConnectingTests {
    @Test func progressShowsThePhaseAndTheTimeAndEscCancels() {
        var state = Screens.base(100, 30)
        state.connect.configPath.set("/home/alice/hpcs-client.conf")
        #expect(Update.update(&state, .input(.key(.enter))).plain == [.loadConfig("/home/alice/hpcs-client.conf"), .connect("/home/alice/hpcs-client.conf")])
        _ = Update.update(&state, .connectProgress("resolving login.example.org and opening TCP port 22"))
        for _ in 0..<25 { _ = Update.update(&state, .tick) }
        let text = AppView.render(state, theme: .builtIn).text
        #expect(text.contains("opening TCP port 22 · 3.0 s"), "\(text)")
        #expect(Update.update(&state, .input(.key(.enter))).isEmpty && state.notice?.contains("already connecting") == true)
        #expect(Update.update(&state, .input(.key(.escape))).plain == [.cancelConnect])
        #expect(!state.connecting && state.activity == nil && state.screen == .connect)
        _ = Update.update(&state, .connectProgress("SSH handshake with login.example.org"))
        #expect(state.activity == nil, "a late report of a cancelled attempt changes nothing")
    }
}

/// Monitor search: a fresh query per `/`, n older and N newer, "not found"
/// said, and which match of how many in the title.
struct MonitorSearchTests {
    func press(_ state: inout AppState, _ keys: Key...) -> [Effect] {
        keys.flatMap { Update.update(&state, .input(.key($0))).plain }
    }

    func type(_ state: inout AppState, _ text: String) {
        for char in text { _ = Update.update(&state, .input(.key(.character(char)))) }
    }

    @Test func searchCountsMovesBothWaysAndSaysNotFound() {
        var state = Screens.base(100, 30)
        state.screen = .monitor
        for index in 0..<60 { state.monitor.log.append(Data((index % 20 == 5 ? "error \(index)\n" : "line \(index)\n").utf8)) }
        _ = press(&state, .character("/"))
        type(&state, "error")
        _ = press(&state, .enter)
        #expect(state.monitor.searchMatch == SearchMatch(number: 3, count: 3), "the newest match first")
        #expect(AppView.render(state, theme: .builtIn).text.contains("/error 3/3"))
        _ = press(&state, .character("n"))
        #expect(state.monitor.searchMatch == SearchMatch(number: 2, count: 3))
        _ = press(&state, .character("n"), .character("n"))
        #expect(state.monitor.searchMatch?.number == 1 && state.notice?.contains("no older match") == true)
        _ = press(&state, .character("N"))
        #expect(state.monitor.searchMatch?.number == 2)
        _ = press(&state, .character("/"))
        #expect(state.monitor.searching?.text == "", "a fresh query each time")
        type(&state, "nowhere")
        _ = press(&state, .enter)
        #expect(state.notice?.contains("not found") == true && state.monitor.searchMatch == nil)
    }
}

/// The info picker: only info files are fetched, a failed path keeps the
/// good pick, a verdict about files no longer picked is dropped, Tab completes.
struct InfoPickerTests {
    @Test func enterOnAFileThatIsNotAnInfoFileSaysSo() {
        var state = Screens.onInfoFiles()
        for char in "image" { _ = Update.update(&state, .input(.key(.character(char)))) }
        #expect(Update.update(&state, .input(.key(.enter))).isEmpty)
        #expect(state.notice?.contains("image.sif.age is not an info file") == true)
    }

    @Test func aFailedPathKeepsTheGoodPick() {
        var state = Screens.onInfoFiles()
        Update.answer(&state, .info(.application)) { .infoFetched($0, .application, path: Screens.info("app").remotePath, .success(Screens.info("app"))) }
        Update.answer(&state, .info(.application)) { .infoFetched($0, .application, path: "/u/typo.yaml", .failure(.preparation(PreparationError(.infoFile, file: "/u/typo.yaml", "does not exist")))) }
        #expect(state.infoFiles.fetched(.application)?.remotePath == "/users/alice/app.info.yaml")
        #expect(state.error?.contains("is kept") == true)
    }

    @Test func aVerdictAboutEarlierPicksIsDropped() {
        var state = Screens.onInfoFiles()
        state.infoFiles.fetched = [0: Screens.info("app"), 1: Screens.info("data")]
        Update.answer(&state, .verify) { .verified($0, .success(())) }
        #expect(state.infoFiles.verified == true)
        // Checking the pair again, then a new pick while that runs: the update issues the fetch.
        let checking = state.tickets.issue(.verify)
        var pick = Effect.fetchInfo(.data, Screens.info("other").remotePath, trustDomain: "")
        pick.issue(&state.tickets, active: .alice)
        Update.answer(&state, .info(.data)) { .infoFetched($0, .data, path: Screens.info("other").remotePath, .success(Screens.info("other"))) }
        #expect(state.infoFiles.verified == nil && state.infoFiles.verdict == nil, "a new pick clears the verdict")
        _ = Update.update(&state, .verified(checking, .success(())))
        #expect(state.infoFiles.verified == nil, "a late verdict on the old pair is not about these files")
    }

    @Test func tabCompletesATypedPath() {
        var state = Screens.onInfoFiles()
        _ = Update.update(&state, .input(.key(.character("/"))))
        for char in "da" { _ = Update.update(&state, .input(.key(.character(char)))) }
        _ = Update.update(&state, .input(.key(.tab)))
        #expect(state.infoFiles.typedPath?.text == "/u/data.info.yaml")
        state.infoFiles.typedPath = TextFieldState("/u/pro")
        #expect(Update.update(&state, .input(.key(.tab))).plain == [.list("/u/projects")])
        #expect(state.infoFiles.typedPath?.text == "/u/projects/")
        state.infoFiles.typedPath = TextFieldState("/elsewhere/x")
        #expect(Update.update(&state, .input(.key(.tab))).plain == [.list("/elsewhere")])
        state.infoFiles.typedPath = TextFieldState("/u/")
        _ = Update.update(&state, .input(.key(.tab)))
        #expect(state.notice?.contains("4 match") == true)
    }
}

struct RuntimeFieldTests {
    @Test func upAndDownMoveBetweenTheScriptFieldsAndTheTemplate() {
        var state = Screens.base(100, 30)
        state.screen = .runtime
        state.runtime.section = .inputScripts
        _ = Update.update(&state, .input(.key(.down)))
        #expect(state.runtime.section == .outputScripts)
        _ = Update.update(&state, .input(.key(.down)))
        #expect(state.runtime.section == .template)
        _ = Update.update(&state, .input(.key(.up)))
        _ = Update.update(&state, .input(.key(.up)))
        _ = Update.update(&state, .input(.key(.up)))
        #expect(state.runtime.section == .flags, "up from the first field goes to the lists")
    }

    @Test func theStateFilterSaysNotSubmittedForOurOwnFailures() {
        var state = Screens.base(120, 30)
        state.screen = .history
        state.history.stateFilter = "failed"
        #expect(AppView.render(state, theme: .builtIn).text.contains("state not submitted"))
    }
}

/// A click lands on the row drawn under the pointer, however far the list
/// has scrolled (the view used to scroll a copy of the state).
struct InfoClickTests {
    @Test func aClickSelectsTheFileDrawnUnderThePointer() {
        var state = Screens.base(100, 16)
        Screens.connected(&state)
        state.screen = .infoFiles
        state.infoFiles.directory = "/u"
        let names = (0..<40).map { String(format: "file%02d.info.yaml", $0) }
        state.infoFiles.list.setItems([".."] + names)
        for _ in 0..<30 { _ = Update.update(&state, .input(.key(.down))) }
        let list = Layout.infoList(state.size)
        let screen = AppView.render(state, theme: .builtIn).text.split(separator: "\n", omittingEmptySubsequences: false)
        let drawn = String(screen[list.y + 1])
        _ = Update.update(&state, .input(.mouse(x: 5, y: list.y + 1, kind: .click)))
        let picked = state.infoFiles.list.items[state.infoFiles.list.visible[state.infoFiles.list.selected]]
        #expect(drawn.contains(picked), "clicked row shows \(drawn), selected \(picked)")
    }
}
