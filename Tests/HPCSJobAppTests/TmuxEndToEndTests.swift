import Foundation
import SiteTestSupport
import Testing

/// Drives the real `hpcs-job` binary in tmux against the local site:
/// connect, pick both info files, fill the form, preview, submit, watch
/// the job reach COMPLETED with its log, then find it in History.
@Suite(.enabled(if: LocalSite.isExpected, "\(LocalSite.howToStart)"), .serialized)
struct TmuxEndToEndTests {
    let session = "hpcs-e2e-\(UUID().uuidString.prefix(6))"
    /// A tmux server of this test's own, never the user's.
    let socket = FileManager.default.temporaryDirectory.appendingPathComponent("hpcs-e2e-\(UUID().uuidString.prefix(8)).tmux").path
    var tmuxPath: String { Tool.which("tmux") ?? "/usr/bin/tmux" }

    func tmux(_ arguments: [String]) throws -> ToolResult {
        try Tool.run(tmuxPath, ["-S", socket] + arguments)
    }

    func send(_ keys: String...) throws { _ = try tmux(["send-keys", "-t", session] + keys) }
    func type(_ text: String) throws { _ = try tmux(["send-keys", "-t", session, "-l", "--", text]) }
    func screen() throws -> String { try tmux(["capture-pane", "-p", "-t", session]).out }

    /// Waits until the screen shows `text`; returns the screen.
    @discardableResult
    func waitFor(_ text: String, seconds: Double = 60) async throws -> String {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        var last = ""
        while ContinuousClock.now < deadline {
            last = try screen()
            if last.contains(text) { return last }
            try await Task.sleep(for: .milliseconds(150))
        }
        Issue.record("timed out waiting for '\(text)'; the screen shows:\n\(last)")
        throw CancellationError()
    }

    /// Waits until the screen shows one of `texts`; returns the screen.
    func waitForAny(_ texts: [String], seconds: Double) async throws -> String {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        var last = ""
        while ContinuousClock.now < deadline {
            last = try screen()
            if texts.contains(where: { last.contains($0) }) { return last }
            try await Task.sleep(for: .milliseconds(150))
        }
        Issue.record("timed out waiting for \(texts); the screen shows:\n\(last)")
        throw CancellationError()
    }

    /// Starts the real binary on the site's config in this test's tmux
    /// server, with a private HOME; `then` runs in the pane after it exits.
    /// Returns the HOME, for `cleanUp`.
    func launchApp(_ site: LocalSite, width: Int, height: Int, then: String = "", arguments: String? = nil,
                   orElseOnceMore: Bool = false, environment: String = "", home given: URL? = nil, before: String = "") throws -> URL {
        let binary = LocalSite.repositoryRoot.appendingPathComponent(".build/debug/hpcs-job").path
        #expect(FileManager.default.isExecutableFile(atPath: binary), "build the executable first (swift build)")
        let home = try given ?? Tool.temporaryDirectory()
        let run = "env TERM=xterm-256color HOME=\(home.path) XDG_DATA_HOME=\(home.path)/data XDG_CONFIG_HOME=\(home.path)/config \(environment) "
            + "\(binary) \(arguments ?? "--config \(site.config)")"
        let command = before + (orElseOnceMore ? "\(run) || { echo 'trying once more'; \(run); }" : run) + then
        // The tmux server outlives this call: no pipes for it to hold open.
        try Tool.runDetached(tmuxPath, ["-S", socket, "new-session", "-d", "-s", session,
                                        "-x", String(width), "-y", String(height), command])
        return home
    }

    /// On Info files: into the site's hpcs-data folder, the application's info file picked.
    func pickTheSampleApplicationInfo() async throws {
        try type("hpcs-data")
        try send("Enter")
        try await waitFor("app.info.yaml")
        try type("app")
        try send("Enter")
        try await waitFor("sample-container-role")
    }

    /// `hpcs-job submit` on the two-factor login node: the key is accepted,
    /// the server's prompt shows in the terminal, the typed code (not echoed)
    /// logs in, and the job is submitted.
    @Test func submitOnTheTwoFactorNodeAsksForTheCodeInTheTerminal() async throws {
        let site = try LocalSite.require()
        let arguments = "submit --config \(site["HPCS_SITE_2FA_CONFIG"]) -p \(site.partition) -t 5 -w \(site.node) "
            + "-s \(site.workdir)/tmux-2fa-\(UUID().uuidString.prefix(6)) -ai \(site.appInfo) -di \(site.dataInfo)"
        // A TOTP code is valid for its window (± one here); on a loaded machine
        // it can lapse between reading and checking: a user then types the
        // next one, and so does this test, once.
        let home = try launchApp(site, width: 160, height: 30, then: "; echo \"exit status $?\"; sleep 120", arguments: arguments,
                                 orElseOnceMore: true)
        defer { cleanUp(home: home) }
        // Alone this takes under a second; beside the whole suite on two cores it was seen to take over a minute.
        try await waitFor("Verification code:", seconds: 180)
        var code = try site.oneTimeCode()
        try type(code)
        try send("Enter")
        var screen = try await waitForAny(["exit status", "trying once more"], seconds: 90)
        if screen.contains("trying once more") {
            try await waitFor("trying once more\nVerification code:")
            code = try site.oneTimeCode()
            try type(code)
            try send("Enter")
            screen = try await waitFor("exit status", seconds: 90)
        }
        #expect(screen.contains("exit status 0") && screen.contains("submitted ") && screen.contains(" as job "), "\(screen)")
        #expect(!screen.contains(code), "the code is not echoed")
    }

    /// The TUI connects to the two-factor node the same way: its prompt asks for the code.
    @Test func theTUIConnectsToTheTwoFactorNode() async throws {
        let site = try LocalSite.require()
        let home = try launchApp(site, width: 120, height: 36, arguments: "--config \(site["HPCS_SITE_2FA_CONFIG"])")
        defer { cleanUp(home: home) }
        try await waitFor("Connect to the login node")
        try send("Enter")
        let asked = try await waitFor("Verification code", seconds: 180)
        // The question's frame is ours and names the login that asks.
        #expect(asked.contains("Sign in to \(site.user)@127.0.0.1:\(site["HPCS_SITE_2FA_SSH_PORT"])"), "\(asked)")
        try type(try site.oneTimeCode())
        try send("Enter")
        // Connected: the remote browser of the login node, and the top bar names the node.
        let screen = try await waitFor("● \(site.user)@127.0.0.1:\(site["HPCS_SITE_2FA_SSH_PORT"])")
        #expect(screen.contains("Login node:"), "\(screen)")
    }

    /// `hpcs-job --ssh-config FILE` (like `ssh -F`): the TUI reaches a login
    /// node whose alias only that file knows, and shows what the file says
    /// that hpcs-job skips.
    @Test func theTUIUsesTheSSHConfigGivenOnTheCommandLine() async throws {
        let site = try LocalSite.require()
        let files = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: files) }
        let sshConfig = files.appendingPathComponent("ssh_config")
        try """
            Host tui-by-flag
                HostName \(site.host)
                Port \(site.port)
                IdentityFile \(site.identity)
                UserKnownHostsFile \(site.knownHosts)
            Match exec "true"
                Port 1
            """.write(to: sshConfig, atomically: true, encoding: .utf8)
        let original = try String(contentsOfFile: site.config, encoding: .utf8)
        let cluster = try #require(original.range(of: "[supercomputer]"))
        let conf = files.appendingPathComponent("alias.conf")
        try (original[..<cluster.lowerBound] + "[supercomputer]\naddress = tui-by-flag\nusername = \(site.user)\n")
            .write(to: conf, atomically: true, encoding: .utf8)
        let home = try launchApp(site, width: 120, height: 36, arguments: "--config \(conf.path) --ssh-config \(sshConfig.path)")
        defer { cleanUp(home: home) }
        try await waitFor("Connect to the login node")
        try send("Enter")
        let screen = try await waitFor("● \(site.user)@\(site.host):\(site.port)")
        #expect(screen.contains("Match exec"), "the skipped Match block is said: \(screen)")
    }

    /// Starts the app, connects, and opens the job named `name` from the Jobs view (F4, filter, Enter).
    func openThroughTheJobsView(_ site: LocalSite, jobNamed name: String) async throws -> URL {
        let home = try launchApp(site, width: 160, height: 40)
        try await waitFor("Connect to the login node")
        try send("Enter")
        try await waitFor("● \(site.user)@")
        try send("F4")
        try await waitFor(name)
        try send("/")
        try type(name)
        try send("Enter")
        try send("Enter")
        return home
    }

    /// F4: the Jobs view lists a job submitted with plain sbatch; Enter
    /// opens it in the Monitor, which follows its log.
    @Test func theJobsViewShowsAPlainSbatchJobAndOpensItsLog() async throws {
        let site = try LocalSite.require()
        let name = "tmux_plain_\(getpid())"
        let submitted = try site.openSSH("sbatch --parsable -p \(site.partition) -t 2 -J \(name) -o '%x-%j.out' "
                                         + "--wrap 'echo hello-from-plain; sleep 60'")
        let jobID = submitted.out.trimmingCharacters(in: .whitespacesAndNewlines)
        defer { _ = try? site.openSSH("scancel \(jobID); rm -f \(name)-\(jobID).out") }
        let home = try await openThroughTheJobsView(site, jobNamed: name)
        defer { cleanUp(home: home) }
        let screen = try await waitFor("hello-from-plain", seconds: 60)
        #expect(screen.contains("6 Monitor") && screen.contains(jobID), "\(screen)")
    }

    /// A job whose log is already large opens at its end, at once, and says
    /// that the rest is fetched meanwhile; new lines follow, and the local copy ends up whole.
    @Test func aLargeLogOpensAtItsEnd() async throws {
        let site = try LocalSite.require()
        let name = "tmux_large_\(getpid())"
        let submitted = try site.openSSH("sbatch --parsable -p \(site.partition) -t 2 -J \(name) -o '%x-%j.out' "
                                         + "--wrap 'seq -f %030.0f 1 600000; echo END-OF-BULK; sleep 3; echo AFTER-THE-END; sleep 60'")
        let jobID = submitted.out.trimmingCharacters(in: .whitespacesAndNewlines)
        defer { _ = try? site.openSSH("scancel \(jobID); rm -f \(name)-\(jobID).out") }
        // The log must be large before the job is opened: under load the job
        // can wait its turn on the node (a 10 s wait once opened it still pending).
        let deadline = ContinuousClock.now + .seconds(150)
        var written = false
        while !written, ContinuousClock.now < deadline {
            written = try site.openSSH("grep -c END-OF-BULK \(name)-\(jobID).out 2>/dev/null").out.hasPrefix("1")
            if !written { try await Task.sleep(for: .milliseconds(200)) }
        }
        try #require(written, "job \(jobID) did not write its bulk within 150 s")
        let home = try await openThroughTheJobsView(site, jobNamed: name)
        defer { cleanUp(home: home) }
        let opened = try await waitFor("END-OF-BULK", seconds: 30)
        #expect(opened.contains("showing its end") && opened.contains("the rest is fetched meanwhile"), "\(opened)")
        _ = try await waitFor("AFTER-THE-END", seconds: 30)
        // Behind the end shown, the local copy is filled in: it becomes the whole log, in order.
        let copy = home.appendingPathComponent("data/hpcs-job/logs/job-\(jobID).log")
        let remote = try site.openSSH("cat \(name)-\(jobID).out").stdout
        var local = Data()
        for _ in 0..<450 where local != remote { // up to 90 s, however busy the machine
            try await Task.sleep(for: .milliseconds(200))
            local = (try? Data(contentsOf: copy)) ?? Data()
        }
        #expect(local == remote, "the copy holds \(local.count) of the log's \(remote.count) bytes")
    }

    /// A click lands on the row under the pointer: in the Info files list,
    /// with the selection moved away first, a click on data.info.yaml then
    /// Enter picks that file (the list's scroll and the hit test agree; one
    /// row lower picks another file, checked once by hand).
    @Test func clickingARowSelectsWhatIsUnderThePointer() async throws {
        let site = try LocalSite.require()
        let home = try launchApp(site, width: 120, height: 36)
        defer { cleanUp(home: home) }
        try await waitFor("Login node:")
        try send("Enter")
        try await waitFor("Container image info")
        try type("hpcs-data")
        try send("Enter")
        let listing = try await waitFor("data.info.yaml")
        try send("End")
        let rows = listing.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let row = try #require(rows.firstIndex { $0.contains(" data.info.yaml") }, "\(listing)")
        let found = try #require(rows[row].range(of: "data.info.yaml"))
        let column = rows[row].distance(from: rows[row].startIndex, to: found.lowerBound)
        // An xterm SGR report, as a terminal sends it: button 1 pressed and released at column;row (1-based).
        try type("\u{1b}[<0;\(column + 1);\(row + 1)M\u{1b}[<0;\(column + 1);\(row + 1)m")
        try send("Enter")
        // The application slot got the file clicked: the dataset's info (its role shows there).
        // Enter on another row would say why (a passing notice, caught while shown: it names the row).
        let picked = try await waitForAny(["sample-data-role", "is not an info file", "Login node: /home/\(site.user) "], seconds: 60)
        #expect(picked.contains("sample-data-role") && !picked.contains("sample-container-role"),
                "clicked row \(row) column \(column) of:\n\(listing)\nthen Enter:\n\(picked)")
        try send("C-q")
    }

    /// Two clusters: a job submitted through the main login node is in
    /// History while the TUI is connected to the bare one (another host and
    /// port). Its results are fetched where it ran: the app asks, connects
    /// there with the record's own config, and fetches.
    @Test func historyActsOnTheRecordsOwnCluster() async throws {
        let site = try LocalSite.require()
        let home = try Tool.temporaryDirectory()
        let submitted = try HPCSJobBinary.run(["submit", "--config", site.config, "-p", site.partition, "-t", "5", "-w", site.node,
                                               "-A", site.account, "-s", "\(site.workdir)/two-\(UUID().uuidString.prefix(8))",
                                               "-ai", site.appInfo, "-di", site.dataInfo, "-f"], home: home)
        #expect(submitted.out.contains("step 12/12"), "\(submitted.out)\(submitted.err)")
        _ = try launchApp(site, width: 120, height: 36, arguments: "--config \(site["HPCS_SITE_BARE_CONFIG"])", home: home)
        defer { cleanUp(home: home) }
        try await waitFor("Connect to the login node")
        try send("Enter")
        try await waitFor("● \(site.user)@127.0.0.1:\(site["HPCS_SITE_BARE_SSH_PORT"])")
        try send("F3")
        let list = try await waitFor("Past submissions (1)")
        #expect(list.contains("127.0.0.1:\(site.port)"), "the cluster column shows the port: \(list)")
        try send("r")
        let asked = try await waitFor("Connect to its cluster?")
        // The list tells the clusters apart (same host, another port), and so does the question.
        #expect(asked.contains("127.0.0.1:\(site.port)") && asked.contains("connected to \(site.user)@127.0.0.1:\(site["HPCS_SITE_BARE_SSH_PORT"])"),
                "\(asked)")
        try send("y")
        // The bare node's connection stays open beside it.
        try await waitFor("● \(site.user)@127.0.0.1:\(site.port) +1 open")
        let results = try await waitFor("App exit code: 0", seconds: 90)
        #expect(results.contains("stdout: hpcs sample application"), "\(results)")
        try send("C-q")
    }

    /// Watching a job of the main login node, then connected to the bare one
    /// (another login of the same Slurm, without its environment): `c` `y`
    /// cancels on the job's own node, and the question and the answer name it.
    @Test func cancellingAfterASwitchRunsOnTheJobsOwnLoginNode() async throws {
        let site = try LocalSite.require()
        let home = try Tool.temporaryDirectory()
        let submitted = try HPCSJobBinary.run(["submit", "--config", site.config, "-p", site.partition, "-t", "5", "-w", site.node,
                                               "-A", site.account, "-s", "\(site.workdir)/hold-\(UUID().uuidString.prefix(8))",
                                               "-ai", site.appInfo, "-di", site.dataInfo, "-args", "--hold"], home: home)
        let jobID = try #require(submitted.out.firstMatch(of: /as job (\d+)/).map { String($0.1) }, "\(submitted.out)\(submitted.err)")
        defer { _ = try? site.openSSH("scancel \(jobID)") }
        let mainNode = "\(site.user)@127.0.0.1:\(site.port)", bareNode = "\(site.user)@127.0.0.1:\(site["HPCS_SITE_BARE_SSH_PORT"])"
        // Started where core dumps are allowed: the app itself turns them off.
        _ = try launchApp(site, width: 120, height: 36, home: home, before: "ulimit -c unlimited; ")
        defer { cleanUp(home: home) }
        try await waitFor("Connect to the login node")
        // The process holding the keys and codes can dump no core (hardened at start).
        let pid = try tmux(["list-panes", "-t", session, "-F", "#{pane_pid}"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        let limits = try String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)
        #expect(limits.split(separator: "\n").contains { $0.hasPrefix("Max core file size") && $0.split(separator: " ").dropFirst(4).first == "0" },
                "\(limits)")
        try send("Enter")
        try await waitFor("● \(mainNode)")
        try send("F3")
        try await waitFor("Past submissions (1)")
        try send("Enter")
        try await waitFor("RUNNING", seconds: 120)
        // To the bare node, on the Connect screen.
        try send("1")
        try await waitFor("Login node:")
        try send("C-u")
        try type(site["HPCS_SITE_BARE_CONFIG"])
        try send("Enter")
        try await waitFor("● \(bareNode) +1 open")
        try send("F3")
        try await waitFor("Past submissions")
        try send("6")
        try await waitFor("Job \(jobID)")
        try send("c")
        let question = try await waitFor("Cancel job?")
        #expect(question.contains("scancel job \(jobID) on \(mainNode)?"), "\(question)")
        try send("y")
        // The answer names the job's node; the job's end, shown right after, may replace it on the status line.
        let answered = try await waitForAny(["cancel requested for job \(jobID) on \(mainNode)", "State: CANCELLED"], seconds: 120)
        #expect(!answered.contains("on \(bareNode)"), "\(answered)")
        try await waitFor("State: CANCELLED", seconds: 120)
        try send("C-q")
    }

    func cleanUp(home: URL) {
        _ = try? tmux(["kill-server"])
        try? FileManager.default.removeItem(atPath: socket)
        try? FileManager.default.removeItem(at: home)
    }

    @Test func setUpSubmitWatchAndReview() async throws {
        let site = try LocalSite.require()
        // $EDITOR: a script that adds one line, as a user's edit would.
        let tools = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: tools) }
        let editor = tools.appendingPathComponent("add-a-line")
        try "#!/bin/sh\necho '# checked by hand in tmux' >> \"$1\"\n".write(to: editor, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: editor.path)
        let home = try launchApp(site, width: 120, height: 36, environment: "EDITOR=\(editor.path)")
        defer { cleanUp(home: home) }
        let workdir = "\(site.workdir)/tui-\(UUID().uuidString.prefix(8))"

        try await waitFor("Login node:")
        try send("Enter")
        try await waitFor("Container image info")
        try await pickTheSampleApplicationInfo()
        try type("data.info")
        try send("Enter")
        try await waitFor("sample-data-role")
        try send("C-v")
        try await waitFor("match their SHA-512")
        try send("F2")
        try await waitFor("Slurm options")
        // What sinfo says of the partition (how many nodes are idle depends on other jobs).
        try await waitFor("limit infinite · ")
        for _ in 0..<5 { try send("Tab") }
        try send("C-o")
        try await waitFor("Enter pick")
        try send("Enter")
        try send("Tab")
        try type(workdir)
        try send("F2")
        try await waitFor("Application arguments")
        try send("a")
        try type("--mode 'fast run'")
        try send("Enter")
        try await waitFor("split into 2 words")
        try send("F2")
        try await waitFor("#SBATCH --nodelist=\(site.node)")
        // An $EDITOR edit, then Esc: asked, kept, and still there on coming back.
        try send("e")
        try await waitFor("(edited)")
        try send("Escape")
        try await waitFor("Keep your edit?")
        try send("k")
        try await waitFor("Application arguments")
        try send("F2")
        try await waitFor("your edited SBATCH is kept")
        try send("End")
        try await waitFor("# checked by hand in tmux")
        try send("Enter")
        try await waitFor("Submit?")
        #expect(try screen().contains("(your edited version)"))
        try send("y")
        try await waitFor("State: COMPLETED", seconds: 180)
        let monitor = try await waitFor("step 12/12")
        #expect(monitor.contains("[hpcs-job] step 10/12: running the container"))
        #expect(monitor.contains("Exit code: 0"))
        // The mouse wheel over the log (an xterm SGR report, as a terminal sends it) pauses following.
        try type("\u{1b}[<64;60;30M")
        try await waitFor("paused (f resumes)")
        try send("f")
        try await waitFor("· following")
        try send("r")
        let results = try await waitFor("App exit code: 0", seconds: 90)
        #expect(results.contains("stdout: hpcs sample application"))
        // The results browser: the unpacked tree, then a file in the pane.
        try send("b")
        // The sample job's output/exit_code, stderr and stdout, once the folder is read.
        let tree = try await waitFor("Results: 3 files")
        #expect(tree.contains("stdout") && tree.contains("Enter view"), "\(tree)")
        // Down to the first file (past any folders) and open it in the pane.
        var viewing = false
        for _ in 0..<8 where !viewing {
            try send("Down")
            try send("Enter")
            try await Task.sleep(for: .milliseconds(300))
            viewing = try screen().contains("Esc files")
        }
        let shown = (try? screen()) ?? ""
        #expect(viewing, "a results file opens in the pane: \(shown)")
        try send("Escape")
        try send("Escape")
        try await waitFor("b browse results")
        try send("F3")
        let history = try await waitFor("Past submissions (1)")
        #expect(history.contains("COMPLETED"))

        // A live resize (SIGWINCH through the real terminal): too small gets
        // a message, back to a usable size redraws the same screen to fit.
        _ = try tmux(["resize-window", "-t", session, "-x", "50", "-y", "12"])
        try await waitFor("needs at least 60×16")
        _ = try tmux(["resize-window", "-t", session, "-x", "80", "-y", "24"])
        let resized = try await waitFor("Past submissions (1)")
        let rows = resized.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(rows.allSatisfy { $0.count <= 80 })
        #expect(rows.count >= 24 && rows.prefix(24).last?.trimmingCharacters(in: .whitespaces).isEmpty == false,
                "the hint bar is redrawn on the new last row")
        try send("C-q")
    }

    /// Typed as a user types: Alt-b/Alt-f in the config path are one key each
    /// (not Esc then a letter), letters in the Info filter are the filter's
    /// (q does not quit, v does not verify), Ctrl-Q quits without asking
    /// while nothing is prepared, and asks once a file is picked.
    @Test func textTakesEveryLetterAndAltIsOneKey() async throws {
        let site = try LocalSite.require()
        let home = try launchApp(site, width: 100, height: 30, then: "; echo \"exited with $?\"; sleep 120")
        defer { cleanUp(home: home) }
        try await waitFor("Login node:")
        try send("M-b")
        try send("M-b")
        try send("M-f")
        try send("End")
        try type(" zz")
        try send("M-BSpace")
        try send("BSpace")
        try send("Enter")
        try await waitFor("Container image info")
        try type("qvdj")
        try await waitFor("filter: qvdj")
        try await Task.sleep(for: .milliseconds(500))
        let typed = try screen()
        #expect(!typed.contains("exited with") && !typed.contains("verifying"), "\(typed)")
        try send("Escape")
        try await waitFor("type to filter")
        try await pickTheSampleApplicationInfo()
        try send("C-q")
        try await waitFor("Quit?")
        try send("n")
        try await Task.sleep(for: .milliseconds(300))
        #expect(try !screen().contains("exited with"))
        // F2 with a wrong field stays on Job options, on that field, and says why.
        try type("data.info")
        try send("Enter")
        try await waitFor("sample-data-role")
        try send("F2")
        try await waitFor("Slurm options")
        try send("Down")
        try send("C-u")
        try type("abc")
        try send("F2")
        try await waitFor("'abc' is not a node count")
        #expect(try screen().contains("Slurm options"), "still on Job options")
        try send("C-q")
        try await waitFor("Quit?")
        try send("y")
        try await waitFor("exited with 0")
    }

    /// A login node whose port is closed: the TUI says so within seconds (as
    /// the CLI does), keeps the form, and Connect can be tried again.
    @Test func aClosedPortFailsFastWithTheReason() async throws {
        let site = try LocalSite.require()
        let folder = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("closed-port.conf")
        let text = try String(contentsOfFile: site.config, encoding: .utf8)
            .replacingOccurrences(of: "port = \(site.port)\n", with: "port = 1\n")
        try text.write(to: config, atomically: true, encoding: .utf8)
        let home = try launchApp(site, width: 100, height: 30, arguments: "--config \(config.path)")
        defer { cleanUp(home: home) }
        try await waitFor("Login node:")
        let started = ContinuousClock.now
        try send("Enter")
        let failed = try await waitFor("Enter or Esc closes this", seconds: 20)
        #expect(ContinuousClock.now - started < .seconds(10), "refused at once, not after a timeout")
        #expect(failed.contains("refused") || failed.contains("Refused"), "\(failed)")
        try send("Escape")
        try await waitFor("closed-port.conf")
        #expect(try screen().contains("Enter connect"), "back on Connect, the form as it was")
    }

    /// Killed from outside, the app gives the terminal back as it found it:
    /// main screen, cursor shown, the shell's next output readable.
    @Test func terminalIsRestoredWhenTheAppIsKilled() async throws {
        let site = try LocalSite.require()
        let home = try launchApp(site, width: 100, height: 30, then: "; echo \"exited with $?\"; sleep 120")
        defer { cleanUp(home: home) }
        func pane(_ format: String) throws -> String {
            try tmux(["display-message", "-p", "-t", session, format]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        try await waitFor("Login node:")
        #expect(try pane("#{alternate_on}") == "1", "the app draws on the alternate screen")
        let shell = try pane("#{pane_pid}")
        let app = try Tool.run("/usr/bin/pgrep", ["-P", shell, "-x", "hpcs-job"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(Int(app) != nil, "hpcs-job runs under the pane's shell")
        _ = try Tool.run("/bin/kill", ["-TERM", app])
        let screen = try await waitFor("exited with 143")
        #expect(try pane("#{alternate_on}") == "0", "back on the main screen")
        #expect(try pane("#{cursor_flag}") == "1", "cursor visible again")
        #expect(!screen.contains("Login node:"), "the app's screen is gone")
    }
}
