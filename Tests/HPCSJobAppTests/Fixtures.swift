import Foundation
import History
@testable import HPCSJobApp
import JobPreparation
import JobRuntime
import SecureShell
import Slurm
import TerminalUI

/// Screens in their main states, built without any I/O.
enum Screens {
    static let checksum = String(repeating: "0f", count: 64)
    static let config = try? HPCSConfig.parse("""
        [spire-server]
        address = spire.example.org
        port = 8081
        trust-domain = hpcs.example.org
        [hpcs-server]
        url = https://hpcs.example.org
        [vault]
        url = https://vault.example.org
        [supercomputer]
        address = login.example.org
        username = alice
        """, path: "/home/alice/hpcs-client.conf")

    static func info(_ name: String) -> FetchedInfo {
        FetchedInfo(remotePath: "/users/alice/\(name).info.yaml",
                    info: InfoFile(pathAtRest: "/scratch/p/\(name).age", secretPath: "kv/alice/\(name)", accessRole: "alice-\(name)",
                                   checksum: checksum, spiffeID: "spiffe://hpcs.example.org/c/\(name)"))
    }

    static func base(_ width: Int, _ height: Int) -> AppState {
        var state = AppState()
        state.size = (width, height)
        return state
    }

    static func connected(_ state: inout AppState) {
        state.connected = true
        state.connect.config = config
        state.connect.active = config
        state.connect.connectedTo = .alice
        state.connect.configPath.set("/home/alice/hpcs-client.conf")
    }

    /// Connected, on Info files, in a folder holding `entries`.
    static func onInfoFiles() -> AppState {
        var state = base(100, 30)
        connected(&state)
        state.screen = .infoFiles
        state.infoFiles.directory = "/u"
        state.infoFiles.entries = entries
        state.infoFiles.list.setItems([".."] + entries.map(\.name))
        return state
    }

    static let entries = [
        RemoteFileInfoFactory.make("app.info.yaml"), RemoteFileInfoFactory.make("data.info.yaml"),
        RemoteFileInfoFactory.make("image.sif.age"), RemoteFileInfoFactory.make("projects", directory: true),
    ]

    /// History as it looks once the store answered: a page holding `records`, one of them selected and loaded.
    static func showHistory(_ state: inout AppState, _ records: [SubmissionRecord], selected: Int) {
        state.history.window = records.map(HistoryEntry.init)
        state.history.windowStart = 0
        state.history.total = records.count
        state.history.countedFor = state.history.query
        state.history.selected = selected
        state.history.selectedRecord = records.indices.contains(selected) ? records[selected] : nil
    }

    static func record(_ id: String, name: String, state: String?, exit: Int?, stage: SubmissionStage = .submitted,
                       minutesAgo: Double) -> SubmissionRecord {
        var record = SubmissionRecord(id: id, createdAt: Date(timeIntervalSince1970: 1_790_000_000 - minutesAgo * 60),
                                      clusterHost: "login.example.org", clusterPort: 22, clusterUser: "alice",
                                      configPath: "/home/alice/hpcs-client.conf", appInfoPath: "/users/alice/app.info.yaml",
                                      dataInfoPath: "/users/alice/data.info.yaml",
                                      spec: JobSpec(jobName: name, partition: "small", time: .minutes(60), nodelist: "nid001",
                                                    workdir: "/scratch/p/\(name)", applicationArguments: ["--in", "two words"]))
        record.jobID = stage == .failed ? nil : String(4000 + Int(minutesAgo))
        record.state = state
        record.exitCode = exit
        record.stage = stage
        record.remoteDir = "/users/alice/.hpcs-job/\(id)"
        if stage == .failed { record.failure = "data.info.yaml: info.checksum: mismatch" }
        return record
    }

    /// (name, state) for every screen in its main states.
    static func all(width: Int, height: Int) -> [(String, AppState)] {
        var list: [(String, AppState)] = []
        // Connect
        var state = base(width, height)
        list.append(("connect-empty", state))
        state.connect.configPath.set("/home/alice/hpcs-client.conf")
        state.connect.config = config
        state.connect.recent = ["/home/alice/hpcs-client.conf", "/home/alice/other.conf"]
        state.connect.recentClusters = ["/home/alice/hpcs-client.conf": .alice,
                                        "/home/alice/other.conf": ClusterID("alice@lumi.example.eu:2222")]
        list.append(("connect-filled", state))
        var loading = state
        loading.activity = Activity(label: "connecting", fraction: nil)
        list.append(("connect-loading", loading))
        var hostKey = state
        hostKey.prompt = .hostKey(UnknownHostKey(host: "login.example.org", port: 22, key: HostKey(blob: Array("fake-key".utf8)),
                                                 knownHostsFile: "/home/alice/.ssh/known_hosts"), answer: TextFieldState("ye"))
        list.append(("connect-hostkey", hostKey))
        var twoFactor = state
        twoFactor.prompt = .keyboardInteractive(KeyboardInteractiveChallenge(name: "", instruction: "Two-factor login",
                                                                             prompts: [.init(text: "One-time code:", echo: false)],
                                                                             server: "alice@login.example.org:22"),
                                                fields: [TextFieldState("123", hidden: true)], focus: 0)
        list.append(("connect-2fa", twoFactor))
        var failed = state
        failed.error = "THE HOST KEY OF login.example.org HAS CHANGED: /home/alice/.ssh/known_hosts line 3 records ssh-ed25519 SHA256:old, the server presented ssh-ed25519 SHA256:new."
        list.append(("connect-error", failed))
        // Info files
        state = base(width, height)
        connected(&state)
        state.screen = .infoFiles
        state.infoFiles.directory = "/users/alice"
        list.append(("info-empty", state))
        state.infoFiles.entries = entries
        state.infoFiles.list.setItems([".."] + entries.map { $0.kind == .directory ? $0.name + "/" : $0.name })
        state.infoFiles.fetched[0] = info("app")
        state.infoFiles.active = .data
        state.infoFiles.problems[1] = "/users/alice/bad.info.yaml: info.checksum: must be 128 hexadecimal digits"
        list.append(("info-error", state))
        state.infoFiles.problems = [:]
        state.infoFiles.fetched[1] = info("data")
        state.activity = Activity(label: "verifying SHA-512 checksums", fraction: 0.5)
        list.append(("info-verifying", state))
        state.activity = nil
        state.infoFiles.verified = true
        state.infoFiles.verdict = "both files match their SHA-512 checksums"
        list.append(("info-filled", state))
        // Options
        var options = state
        options.screen = .options
        list.append(("options-empty", options))
        let values = ["hpcs_alice", "1", "small", "2-0", "project_1", "nid001", "/scratch/p/run1"]
        for (index, value) in values.enumerated() { options.options.fields[index].set(value) }
        options.options.partitions = ["small", "large", "gpu"]
        options.options.partitionSummaries = ["small": "limit 1-00:00:00 · 12/40 nodes idle, 2 down or drained"]
        options.options.accounts = ["project_1"]
        options.options.focus = 3
        list.append(("options-filled", options))
        var picking = options
        picking.options.focus = 2
        picking.options.picker = ListState(items: ["small  ·  limit 1-00:00:00 · 12/40 nodes idle, 2 down or drained", "large", "gpu"])
        list.append(("options-picker", picking))
        var lacking = options
        lacking.connect.missingTools = ["spire-agent", "gocryptfs"]
        list.append(("options-tools-missing", lacking))
        options.options.fields[3].set("25:61")
        options.options.fields[6].set("/with space")
        list.append(("options-invalid", options))
        // Runtime
        var runtime = options
        runtime.options.fields[3].set("2-0")
        runtime.options.fields[6].set("/scratch/p/run1")
        runtime.screen = .runtime
        list.append(("runtime-empty", runtime))
        runtime.runtime.arguments = ["--input", "two words", "$(id)"]
        runtime.runtime.argumentList.items = runtime.runtime.arguments
        runtime.runtime.flags = ["--nv"]
        runtime.runtime.flagList.items = ["--nv"]
        runtime.runtime.notice = "split into 3 words: ⟨--input⟩ ⟨two words⟩ ⟨$(id)⟩"
        list.append(("runtime-filled", runtime))
        runtime.runtime.editing = (TextFieldState("--out 'a b'"), nil)
        list.append(("runtime-editing", runtime))
        // Preview
        var preview = runtime
        preview.runtime.editing = nil
        preview.screen = .preview
        preview.activity = Activity(label: "rendering the SBATCH", fraction: nil)
        list.append(("preview-loading", preview))
        preview.activity = nil
        preview.preview.text = "#!/bin/bash\n#SBATCH --job-name=hpcs_alice\n#SBATCH --time=2-00:00:00\nset -euo pipefail\n# values\napp_args=( '--input' 'two words' '$(id)' )\nif [[ -n \"$x\" ]]; then echo ok; fi\n"
        preview.preview.changedLines = [2]
        list.append(("preview-filled", preview))
        // Monitor
        var monitor = preview
        monitor.screen = .monitor
        monitor.monitor.record = record("20260101-000000-abcd0001", name: "hpcs_alice", state: "PENDING", exit: nil, minutesAgo: 0)
        monitor.monitor.following = true
        list.append(("monitor-waiting", monitor))
        monitor.monitor.status = JobStatus(jobID: "4000", state: .running, reason: nil, elapsed: "0:42", timeLimit: "2-00:00:00", nodes: "nid001")
        monitor.monitor.log.append(Data("[hpcs-job] step 1/12: job on nid001\n[hpcs-job] step 4/12: fetching the application's SVID\n\u{1b}[32mgreen line\u{1b}[0m and \u{1b}]0;evil title\u{07}text\nwide: 漢字 😀 ok\n".utf8))
        monitor.monitor.step = (4, 12, "fetching the application's SVID")
        monitor.monitor.reconnects = 2
        monitor.connect.connectedTo = .alice
        list.append(("monitor-running", monitor))
        monitor.monitor.status = JobStatus(jobID: "4000", state: .failed, reason: "NonZeroExitCode", elapsed: "1:02", timeLimit: "2-00:00:00",
                                           nodes: "nid001", exitCode: SlurmExitCode(code: 3, signal: 0))
        monitor.monitor.resultsError = "the job left no /scratch/p/run1/output/encrypted_output.tgz"
        monitor.monitor.efficiency = JobEfficiency(elapsedSeconds: 62, cpuSeconds: 31, cpus: 1, maxRSSBytes: 120 * 1_048_576,
                                                   requestedMemoryBytes: 1_073_741_824)
        list.append(("monitor-failed", monitor))
        var browsing = monitor
        let root = URL(fileURLWithPath: "/home/alice/.local/share/hpcs-job/results/20260101-000300-abcd0004")
        var browser = ResultsBrowserState(root: root)
        browser.scanned = true
        browser.entries = [ResultEntry(path: "files", size: 0, isDirectory: true, depth: 0),
                           ResultEntry(path: "files/metrics.csv", size: 18_230, isDirectory: false, depth: 1),
                           ResultEntry(path: "files/model.bin", size: 734_003_200, isDirectory: false, depth: 1),
                           ResultEntry(path: "files/run.log", size: 912, isDirectory: false, depth: 1),
                           ResultEntry(path: "encrypted_output.tgz", size: 701_234_567, isDirectory: false, depth: 0)]
        browser.selected = 3
        browsing.monitor.browser = browser
        list.append(("monitor-results-browser", browsing))
        browser.viewing = "files/run.log"
        browser.view.append(Data("epoch 1 loss 0.93\nepoch 2 loss 0.41\n\u{1b}[32mdone\u{1b}[0m\n".utf8))
        browsing.monitor.browser = browser
        list.append(("monitor-results-file", browsing))
        // History
        var history = base(width, height)
        history.screen = .history
        list.append(("history-empty", history))
        let records = [
            record("20260101-000300-abcd0004", name: "hpcs_alice", state: "RUNNING", exit: nil, minutesAgo: 3),
            record("20260101-000200-abcd0003", name: "analysis", state: "COMPLETED", exit: 0, minutesAgo: 60),
            record("20260101-000100-abcd0002", name: "timeout_run", state: "TIMEOUT", exit: 0, minutesAgo: 600),
            record("20260101-000000-abcd0001", name: "bad_checksum", state: nil, exit: nil, stage: .failed, minutesAgo: 6000),
        ]
        showHistory(&history, records, selected: 1)
        list.append(("history-filled", history))
        history.history.showDetails = true
        showHistory(&history, records, selected: 3)
        list.append(("history-details", history))
        history.showHelp = true
        list.append(("history-help", history))
        // Jobs
        var jobs = base(width, height)
        connected(&jobs)
        jobs.screen = .jobs
        list.append(("jobs-asking", jobs))
        jobs.jobs.loaded = true
        jobs.jobs.jobs = jobSummaries
        jobs.jobs.selected = 1
        jobs.jobs.marked = ["4102"]
        list.append(("jobs-filled", jobs))
        jobs.jobs.error = "connection lost: not connected"
        list.append(("jobs-error", jobs))
        return list
    }

    static let jobSummaries = [
        JobSummary(jobID: "4101", name: "hpcs_alice", partition: "small", state: .running, elapsed: "1:02", timeLimit: "2:00:00",
                   nodeCount: 1, nodeList: "nid001", comment: "hpcs-job:20260101-000300-abcd0004"),
        JobSummary(jobID: "4102", name: "plain_sweep", partition: "small", state: .running, elapsed: "0:10", timeLimit: "10:00",
                   nodeCount: 2, nodeList: "nid[002-003]"),
        JobSummary(jobID: "4103_[2-9]", name: "array", partition: "large", state: .pending, reason: "Priority", elapsed: "0:00",
                   timeLimit: "1-00:00:00", nodeCount: 1),
        JobSummary(jobID: "4090", name: "done", partition: "small", state: .completed, elapsed: "00:00:03", timeLimit: "00:05:00",
                   nodeCount: 1, nodeList: "nid001", exitCode: SlurmExitCode(code: 0, signal: 0)),
        JobSummary(jobID: "4091", name: "broken", partition: "small", state: .failed, elapsed: "00:00:01", timeLimit: "00:05:00",
                   nodeCount: 1, nodeList: "nid004", exitCode: SlurmExitCode(code: 3, signal: 0)),
    ]
}

enum RemoteFileInfoFactory {
    static func make(_ name: String, directory: Bool = false) -> RemoteFileInfo {
        RemoteFileInfo(name: name, kind: directory ? .directory : .file, size: 100, permissions: 0o644,
                       modified: Date(timeIntervalSince1970: 0))
    }
}
