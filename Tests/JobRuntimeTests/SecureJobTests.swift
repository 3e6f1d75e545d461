import AgeCrypto
import Foundation
import History
import JobPreparation
import JobRuntime
import SecureShell
import SiteTestSupport
import Slurm
import Testing

/// The whole loop on the local site's compute node: prepare → submit →
/// Slurm runs the secure script → encrypted output → decrypted results.
/// Failures are arranged per job (own info files or config), never by
/// changing the shared site, so these run beside every other test.
@Suite(.enabled(if: LocalSite.isExpected, "\(LocalSite.howToStart)"))
struct SecureJobTests {
    struct Outcome {
        let record: SubmissionRecord
        let status: JobStatusSnapshot
        let log: String
    }

    func run(_ session: SiteSession, name: String, workdir: String? = nil, config: HPCSConfig? = nil, app: String? = nil,
             data: String? = nil, flags: [String] = [],
             afterPrepare: (SubmissionPlan) async throws -> Void = { _ in }) async throws -> Outcome {
        var spec = session.spec(workdir: workdir ?? session.workdir(name))
        spec.applicationArguments = ["--mode", "fast run"]
        spec.singularityFlags = flags
        var request = session.request(spec, app: app, data: data)
        if let config { request.config = config }
        let prepared = try await session.submitter.prepare(request, on: session.ssh)
        try await afterPrepare(prepared.plan)
        let record = try await session.submitter.submit(prepared, on: session.ssh)
        let status = try await session.waitFinal(try #require(record.jobID))
        let log = String(decoding: (try? await session.ssh.readFile(prepared.plan.logFile)) ?? Data(), as: UTF8.self)
        return Outcome(record: record, status: status, log: log)
    }

    /// The job's scratch is gone and no secret file is left in it, the workdir, /tmp or /dev/shm.
    func expectNoSecretsLeft(_ session: SiteSession, _ outcome: Outcome) async throws {
        let scratch = outcome.log.firstMatch(of: /\(scratch (\/[^)]+)\)/).map { String($0.1) }
        let scratchPath = try #require(scratch, "the log names the job's scratch directory")
        #expect(try await session.ssh.stat(scratchPath) == nil, "scratch \(scratchPath) was removed")
        let names = ["container_key", "app_token", "app_login.json", "app_key.json", "input.pass", "output.pass", "app.sif",
                     "app.sif.age", "data.tgz.age", "agent.conf", "join.json"]
        // Other jobs running beside this one have live scratch dirs: prune them
        // (this job's own scratch was checked above to be gone).
        let find = RemoteCommand(["find", outcome.record.spec.workdir, "/tmp", "/dev/shm", "(", "-path", "/tmp/hpcs-job.*", "-o",
                                  "-path", "/dev/shm/hpcs-job.*", "-o", "-path", "/tmp/singularity.*", ")", "-prune", "-o",
                                  "-user", session.site.user, "("]
            + names.flatMap { ["-name", $0, "-o"] }.dropLast() + ["-o", "-name", "login.*", "-o", "-name", "svid.*", ")", "-print"])
        let leftovers = try await session.ssh.run(find).stdoutText
        #expect(leftovers.isEmpty, "secret files left behind: \(leftovers)")
    }

    @Test func sampleJobRunsEndToEndAndItsResultsDecrypt() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        let outcome = try await run(session, name: "e2e")
        #expect(outcome.status == JobStatusSnapshot(state: "COMPLETED", exitCode: 0), "\(outcome.log)")
        for step in 1...12 { #expect(outcome.log.contains("[hpcs-job] step \(step)/12:")) }
        #expect(outcome.log.contains("[hpcs-job] Vault token revoked"), "the container key's token is ended after use")
        // The site's config names the SPIRE server's trust bundle: no insecure bootstrap.
        #expect(outcome.log.contains("agent identity spiffe://hpcs.local/spire/agent/join_token/") && !outcome.log.contains("insecure"))
        let results = try await ResultsFetcher.fetch(try #require(try session.history.record(outcome.record.id)),
                                                     from: session.ssh, paths: session.paths)
        #expect(results.exitCode == 0)
        #expect(results.stdout == """
            hpcs sample application
            argument: --mode
            argument: fast run
            input lines: 3
            sample input line 1
            sample input line 2
            sample input line 3

            """)
        try await expectNoSecretsLeft(session, outcome)
    }

    /// Flags users pass to `singularity run`: with --cleanenv the container
    /// still gets what it needs from the job (passed as SINGULARITYENV_*),
    /// and nothing else of the host's environment.
    @Test func cleanedEnvironmentStillRunsTheSecureJob() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        let outcome = try await run(session, name: "cleanenv", flags: ["--cleanenv", "--env", "A=1"])
        #expect(outcome.status == JobStatusSnapshot(state: "COMPLETED", exitCode: 0), "\(outcome.log)")
        let results = try await ResultsFetcher.fetch(try #require(try session.history.record(outcome.record.id)),
                                                     from: session.ssh, paths: session.paths)
        #expect(results.exitCode == 0)
        #expect(results.stdout?.contains("environment: A=1, SLURM_JOB_ID not passed in") == true, "\(results.stdout ?? "")")
        #expect(results.stdout?.contains("sample input line 3") == true)
        try await expectNoSecretsLeft(session, outcome)
    }

    @Test func twoJobsBackToBackDecryptOnlyWithTheirOwnKeys() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        async let first = run(session, name: "own-a")
        async let second = run(session, name: "own-b")
        let outcomes = try await [first, second]
        var encrypted: [URL] = []
        for outcome in outcomes {
            #expect(outcome.status.state == "COMPLETED", "\(outcome.log)")
            let record = try #require(try session.history.record(outcome.record.id))
            encrypted.append(try await ResultsFetcher.fetch(record, from: session.ssh, paths: session.paths).encryptedFile)
        }
        let keys = try outcomes.map { try IdentityFile.read(URL(fileURLWithPath: try #require($0.record.identityFile))) }
        #expect(throws: AgeError.noMatch) { _ = try Age.decrypt(try Data(contentsOf: encrypted[0]), identities: keys[1]) }
        #expect(throws: AgeError.noMatch) { _ = try Age.decrypt(try Data(contentsOf: encrypted[1]), identities: keys[0]) }
    }

    /// While the container runs: no secret on any command line, the scratch
    /// private (0700). Cancelled or out of time then: nothing secret or
    /// decrypted left, no volume left mounted.
    @Test(arguments: ["scancel", "time limit"])
    func anInterruptedJobLeavesNoSecretAndShowsNoneOnCommandLines(_ ending: String) async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        var spec = session.spec(workdir: session.workdir("interrupted"))
        spec.applicationArguments = ["--hold"]
        if ending == "time limit" { spec.time = .minutes(1) }
        let prepared = try await session.submitter.prepare(session.request(spec), on: session.ssh)
        let record = try await session.submitter.submit(prepared, on: session.ssh)
        let jobID = try #require(record.jobID)
        let holding = prepared.plan.outputDirectory + "/holding"
        let deadline = ContinuousClock.now + .seconds(150)
        while try await session.ssh.stat(holding) == nil {
            guard ContinuousClock.now < deadline else { Issue.record("the container never started"); return }
            try await Task.sleep(for: .milliseconds(200))
        }
        let log = String(decoding: try await session.ssh.readFile(prepared.plan.logFile), as: UTF8.self)
        let scratch = try #require(log.firstMatch(of: /\(scratch (\/[^)]+)\)/).map { String($0.1) })
        let mode = try FileManager.default.attributesOfItem(atPath: scratch)[.posixPermissions] as? Int
        #expect(mode == 0o700, "the scratch \(scratch) is private")
        let exposed = Self.commandLinesHoldingSecrets(ofUser: session.site.user)
        #expect(exposed.isEmpty, "secrets on command lines: \(exposed)")

        if ending == "scancel" { _ = try await session.ssh.run(["scancel", jobID]) }
        // A time limit of one minute, then Slurm's TERM and up to KillWait.
        let final = try await session.waitFinal(jobID, timeout: .seconds(240))
        #expect(final.state == (ending == "scancel" ? "CANCELLED" : "TIMEOUT"), "\(final)")
        // The trap has run once the job is gone from the node.
        let outcome = Outcome(record: record, status: final,
                              log: String(decoding: try await session.ssh.readFile(prepared.plan.logFile), as: UTF8.self))
        try await expectNoSecretsLeft(session, outcome)
        let mounts = (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? ""
        #expect(!mounts.contains(scratch), "a volume of the job is still mounted")
    }

    /// Command lines of the user's processes that hold key material: age
    /// keys, Vault tokens, JWTs.
    static func commandLinesHoldingSecrets(ofUser user: String) -> [String] {
        guard let uid = getpwnam(user)?.pointee.pw_uid else { return ["no user \(user)"] }
        var found: [String] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int(entry) != nil {
            var info = stat()
            guard stat("/proc/\(entry)", &info) == 0, info.st_uid == uid,
                  let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
            let line = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            if line.contains("AGE-SECRET-KEY-") || line.contains("hvs.") || line.contains("eyJ") { found.append(line) }
        }
        return found
    }

    /// Submissions sharing one work directory (and job name) each write and
    /// read their own log and results.
    @Test func twoJobsInOneWorkdirKeepTheirOwnLogsAndResults() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        let shared = session.workdir("shared")
        async let first = run(session, name: "shared", workdir: shared)
        async let second = run(session, name: "shared", workdir: shared)
        let outcomes = try await [first, second]
        #expect(Set(outcomes.map { $0.record.logPath }).count == 2)
        #expect(Set(outcomes.map { $0.record.encryptedOutputPath }).count == 2)
        for (outcome, other) in zip(outcomes, outcomes.reversed()) {
            #expect(outcome.status.state == "COMPLETED", "\(outcome.log)")
            #expect(outcome.log.contains("job \(outcome.record.id) on"), "its log is its own")
            #expect(!outcome.log.contains(other.record.id), "and holds nothing of the other job")
            let record = try #require(try session.history.record(outcome.record.id))
            let results = try await ResultsFetcher.fetch(record, from: session.ssh, paths: session.paths)
            #expect(results.exitCode == 0, "its results decrypt with its own key")
        }
    }

    /// A copy of a site info file with some fields replaced, in a private dir.
    func infoCopy(_ session: SiteSession, of path: String, in dir: String, replacing: [String: String]) async throws -> String {
        var text = String(decoding: try await session.ssh.readFile(path), as: UTF8.self)
        for (old, new) in replacing { text = text.replacingOccurrences(of: old, with: new) }
        let target = dir + "/" + (path as NSString).lastPathComponent
        try await session.ssh.makeDirectories(dir)
        try await session.ssh.writeFileAtomically(target, data: Data(text.utf8))
        return target
    }

    func expectFailedAt(_ outcome: Outcome, step: Int, _ session: SiteSession) async throws {
        #expect(outcome.status.state == "FAILED", "\(outcome.log)")
        #expect(outcome.log.contains("[hpcs-job] FAILED at step \(step)/12"), "\(outcome.log)")
        try await expectNoSecretsLeft(session, outcome)
    }

    @Test func wrongContainerKeyInVaultFailsClosed() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        let app = try await infoCopy(session, of: session.site.appInfo, in: session.workdir("wrongkey-info"), replacing: [
            "hpcs/sample-container": "hpcs/wrong-container-key", "sample-container-role": "wrong-key-role"])
        try await expectFailedAt(try await run(session, name: "wrongkey", app: app), step: 7, session)
    }

    @Test func vaultDownFailsClosed() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        var config = session.config
        config.vaultURL = "http://127.0.0.1:9" // nothing listens there
        try await expectFailedAt(try await run(session, name: "novault", config: config), step: 5, session)
    }

    @Test func unregisteredDataSpiffeIDFailsClosed() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        let data = try await infoCopy(session, of: session.site.dataInfo, in: session.workdir("unreg-info"), replacing: [
            "c/sample-data": "c/not-registered"])
        try await expectFailedAt(try await run(session, name: "unregistered", data: data), step: 9, session)
    }

    /// The compute node re-checks both files' SHA-512 (on its private copies).
    @Test(arguments: ["image", "dataset"])
    func aFileChangedAfterSubmissionFailsClosed(_ which: String) async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        let dir = session.workdir("changed-\(which)")
        try await session.ssh.makeDirectories(dir)
        let infoPath = which == "image" ? session.site.appInfo : session.site.dataInfo
        let copy = dir + "/\(which).age"
        let info = String(decoding: try await session.ssh.readFile(infoPath), as: UTF8.self)
        let original = try #require(info.firstMatch(of: /path_at_rest: (\S+)/).map { String($0.1) })
        _ = try await session.ssh.run(["cp", original, copy])
        let changedInfo = try await infoCopy(session, of: infoPath, in: dir, replacing: [original: copy])
        let outcome = try await run(session, name: "changed", app: which == "image" ? changedInfo : nil,
                                    data: which == "dataset" ? changedInfo : nil) { _ in
            // Verified at preparation; changed before the job runs.
            _ = try await session.ssh.run(RemoteCommand(script: "printf x >> \(ShellQuote.quote(copy))"))
        }
        #expect(outcome.log.contains("changed since submission"), "\(outcome.log)")
        try await expectFailedAt(outcome, step: 7, session)
    }

    @Test func singularityFailingFailsClosed() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        try await expectFailedAt(try await run(session, name: "badflag", flags: ["--no-such-flag"]), step: 10, session)
    }
}

/// Tools the site asks the job to download are pinned and verified.
@Suite(.enabled(if: LocalSite.isExpected, "\(LocalSite.howToStart)"))
struct PinnedToolTests {
    func runWithManifest(_ session: SiteSession, name: String, pin: (String) -> String) async throws -> (String, String) {
        try await runWithEnvironment(session, name: name) { workdir in
            let sum = String(try await session.ssh.run(["sha256sum", "/usr/bin/age"]).stdoutText.prefix(64))
            let manifest = workdir + "/tools.manifest"
            try await session.ssh.writeFileAtomically(manifest,
                                                      data: Data("# name url sha256\nage file:///usr/bin/age \(pin(sum))\n".utf8))
            return "HPCS_TOOLS_MANIFEST=\(manifest)"
        }
    }

    /// A prepared job submitted with plain sbatch and one more variable in
    /// its environment, as a login session's settings would give it.
    func runWithEnvironment(_ session: SiteSession, name: String,
                            variable: (String) async throws -> String) async throws -> (String, String) {
        let prepared = try await session.submitter.prepare(session.request(session.spec(workdir: session.workdir(name))),
                                                           on: session.ssh, dryRun: true)
        let plan = prepared.plan
        let (_, recipient) = try OutputKeys.generate(submissionID: plan.submissionID, paths: session.paths)
        try await session.ssh.makeDirectories(plan.spec.workdir)
        try await Uploader.upload(plan, sbatch: prepared.sbatch, recipient: recipient.description, to: session.ssh)
        let setting = try await variable(plan.spec.workdir)
        let submit = try await session.ssh.run(["sbatch", "--parsable", "--export=ALL,\(setting)", plan.sbatchPath])
        let jobID = submit.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        let state = try await session.waitFinal(jobID).state
        return (state, String(decoding: try await session.ssh.readFile(plan.logFile), as: UTF8.self))
    }

    /// sbatch passes the login node's TMPDIR, often on a shared file system:
    /// the job's secrets never go there.
    @Test func anInheritedTMPDIRIsNotTheScratch() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        var shared = ""
        let (state, log) = try await runWithEnvironment(session, name: "tmpdir") { workdir in
            shared = workdir + "/shared-tmp"
            try await session.ssh.makeDirectories(shared)
            return "TMPDIR=\(shared)"
        }
        #expect(state == "COMPLETED", "\(log)")
        let scratch = try #require(log.firstMatch(of: /\(scratch (\/[^)]+)\)/).map { String($0.1) })
        #expect(!scratch.hasPrefix(shared) && (scratch.hasPrefix("/dev/shm/") || scratch.hasPrefix("/tmp/")), "\(scratch)")
    }

    @Test func aMatchingPinIsUsed() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        let (state, log) = try await runWithManifest(session, name: "pin-ok") { $0 }
        #expect(state == "COMPLETED", "\(log)")
        #expect(log.contains("using age from file:///usr/bin/age (SHA-256 verified)"))
    }

    @Test func aWrongPinFailsClosedBeforeUse() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        let (state, log) = try await runWithManifest(session, name: "pin-bad") { _ in String(repeating: "0", count: 64) }
        #expect(state == "FAILED")
        #expect(log.contains("does not match its pinned SHA-256"), "\(log)")
        #expect(log.contains("[hpcs-job] FAILED at step 2/12"))
    }
}
