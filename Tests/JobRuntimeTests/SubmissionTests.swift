import Foundation
import History
import JobPreparation
import JobRuntime
import SecureShell
import SiteTestSupport
import Slurm
import Testing

@Suite(.enabled(if: LocalSite.isExpected, "\(LocalSite.howToStart)"))
struct SubmissionTests {
    @Test func aRealSubmissionLandsWithItsTagAndItsFiles() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        let submitter = session.submitter
        let prepared = try await submitter.prepare(session.request(session.spec(workdir: session.workdir("land"))), on: session.ssh)
        let record = try await submitter.submit(prepared, on: session.ssh)
        let jobID = try #require(record.jobID)

        let queue = try await session.ssh.run(["squeue", "-h", "-t", "all", "-j", jobID, "-o", "%k"])
        #expect(queue.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "hpcs-job:\(record.id)")

        let remoteDir = try #require(record.remoteDir)
        let entries = try await session.ssh.list(remoteDir)
        // The site's config names the SPIRE trust bundle: it travels with the job.
        #expect(entries.map(\.name) == ["hpcs-client.conf", "job.sbatch", "output_key.pub", "spire-bundle.pem"])
        #expect(entries.allSatisfy { $0.permissions == 0o600 })
        #expect(try await session.ssh.stat(remoteDir)?.permissions == 0o700)
        let uploadedConfig = try await session.ssh.readFile(remoteDir + "/hpcs-client.conf")
        #expect(!String(decoding: uploadedConfig, as: UTF8.self).contains("identity-file"))

        let stored = try #require(try session.history.record(record.id))
        #expect(stored.stage == .submitted && stored.appInfo != nil && stored.dataInfo != nil && stored.sbatchText != nil)
        #expect(Set(stored.stepTimes.keys) == ["preparing", "verified", "keyed", "uploaded", "submitting", "submitted"])
        let keyFile = try #require(stored.identityFile)
        #expect(keyFile.hasPrefix(session.paths.keys.path))
        #expect(try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? Int == 0o600)
    }

    @Test func twoSubmissionsBackToBackGetTheirOwnKeys() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        var publicKeys: [String] = []
        for _ in 0..<2 {
            let prepared = try await session.submitter.prepare(session.request(session.spec(workdir: session.workdir("twin"))),
                                                               on: session.ssh)
            let record = try await session.submitter.submit(prepared, on: session.ssh)
            publicKeys.append(try await session.ssh.readFile(try #require(record.remoteDir) + "/output_key.pub").base64EncodedString())
        }
        #expect(publicKeys.count == 2 && publicKeys[0] != publicKeys[1])
    }

    /// A failure leaves no remote files and a failed history row with the reason.
    func expectCleanFailure(_ session: SiteSession, _ request: SubmitRequest, reason: String) async throws {
        let before = try await session.ssh.run(RemoteCommand(script: "ls -1 ~/.hpcs-job 2>/dev/null | sort")).stdoutText
        await #expect {
            let prepared = try await session.submitter.prepare(request, on: session.ssh)
            _ = try await session.submitter.submit(prepared, on: session.ssh)
        } throws: { error in
            // The kinds the CLI maps to its documented exit codes, saying why.
            (error is PreparationError || error is SubmissionFailed) && "\(error)".contains(reason)
        }
        let after = try await session.ssh.run(RemoteCommand(script: "ls -1 ~/.hpcs-job 2>/dev/null | sort")).stdoutText
        let newDirs = Set(after.split(separator: "\n")).subtracting(before.split(separator: "\n"))
        let mine = try session.history.list().first
        #expect(mine?.stage == .failed)
        #expect(mine?.failure?.contains(reason) == true, "\(mine?.failure ?? "no failure")")
        if let id = mine?.id { #expect(!newDirs.contains(Substring(id)), "remote directory left behind") }
        // The keys folder is read (an unreadable one must not pass as empty): it exists, or was never made.
        if FileManager.default.fileExists(atPath: session.paths.keys.path) {
            #expect(try FileManager.default.contentsOfDirectory(atPath: session.paths.keys.path).isEmpty, "the job's private key is left behind")
        }
    }

    @Test func checksumMismatchFailsBeforeUpload() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        let dir = session.workdir("mismatch")
        let info = try await session.ssh.readFile(session.site.dataInfo)
        let changed = String(decoding: info, as: UTF8.self).replacingOccurrences(
            of: #"checksum: [0-9a-f]{128}"#, with: "checksum: " + String(repeating: "0", count: 128), options: .regularExpression)
        try await session.ssh.makeDirectories(dir)
        try await session.ssh.writeFileAtomically(dir + "/bad.info.yaml", data: Data(changed.utf8))
        try await expectCleanFailure(session, session.request(session.spec(workdir: dir), data: dir + "/bad.info.yaml"),
                                     reason: "SHA-512")
        // Nothing was uploaded: the work directory holds only what the test put there.
        #expect(try await session.ssh.list(dir).map(\.name).filter { $0 != "." && $0 != ".." } == ["bad.info.yaml"])
    }

    @Test func missingDataFileFails() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        let dir = session.workdir("missing")
        let info = String(decoding: try await session.ssh.readFile(session.site.dataInfo), as: UTF8.self)
            .replacingOccurrences(of: "sample-data.tgz.age", with: "no-such-file.age")
        try await session.ssh.makeDirectories(dir)
        try await session.ssh.writeFileAtomically(dir + "/gone.info.yaml", data: Data(info.utf8))
        try await expectCleanFailure(session, session.request(session.spec(workdir: dir), data: dir + "/gone.info.yaml"),
                                     reason: "does not exist")
    }

    @Test func malformedInfoFileFailsNamingTheField() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        let dir = session.workdir("malformed")
        try await session.ssh.makeDirectories(dir)
        // Every field present, one of them wrong: the error names that field, not just the file.
        let good = String(decoding: try await session.ssh.readFile(session.site.dataInfo), as: UTF8.self)
        let bad = good.replacing(/path_at_rest: \S+/, with: "path_at_rest: relative/data.tgz.age")
        #expect(bad != good)
        try await session.ssh.writeFileAtomically(dir + "/bad.info.yaml", data: Data(bad.utf8))
        try await expectCleanFailure(session, session.request(session.spec(workdir: dir), data: dir + "/bad.info.yaml"),
                                     reason: "info.path_at_rest")
    }

    @Test func invalidPartitionShowsSbatchsOwnError() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        let request = session.request(session.spec(workdir: session.workdir("partition"), partition: "nosuchpartition"))
        try await expectCleanFailure(session, request, reason: "invalid partition")
    }

    @Test func aCrashAfterSbatchIsRecoveredByTheCommentTag() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        let prepared = try await session.submitter.prepare(session.request(session.spec(workdir: session.workdir("crash"))),
                                                           on: session.ssh)
        let record = try await session.submitter.submit(prepared, on: session.ssh)
        // As if the process died between sbatch and storing the job id.
        try session.history.update(record.id) { $0.stage = .submitting; $0.jobID = nil }
        let reopened = try HistoryStore(url: session.paths.historyDatabase)
        let submitter = Submitter(history: reopened, paths: session.paths, templates: session.submitter.templates)
        let recovered = try await submitter.recover(on: session.ssh, cluster: session.ssh.settings)
        #expect(recovered.map(\.id) == [record.id])
        #expect(try reopened.record(record.id)?.jobID == record.jobID)
        #expect(try reopened.record(record.id)?.stage == .submitted)
    }

    /// sbatch ran, but its end was unclear: nothing may be undone, and
    /// recovery settles the record by the comment tag.
    @Test(arguments: [SbatchMishap.connectionDropped, .unreadableAnswer])
    func anUnclearSbatchKeepsTheKeyAndTheFilesForRecovery(_ mishap: SbatchMishap) async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        let host = MisbehavingSbatch(session.ssh, mishap)
        let prepared = try await session.submitter.prepare(session.request(session.spec(workdir: session.workdir("unclear"))),
                                                           on: host)
        await #expect { _ = try await session.submitter.submit(prepared, on: host) } throws: { error in
            (error as? SubmissionUnclear)?.submissionID == prepared.plan.submissionID
        }
        let id = prepared.plan.submissionID
        let kept = try #require(try session.history.record(id))
        #expect(kept.stage == .submitting && kept.jobID == nil)
        #expect(FileManager.default.fileExists(atPath: session.paths.keyFile(submissionID: id).path), "the job's key is kept")
        #expect(try await session.ssh.stat(prepared.plan.sbatchPath) != nil, "the remote files are kept")

        let recovered = try await session.submitter.recover(on: session.ssh, cluster: session.ssh.settings)
        #expect(recovered.map(\.id) == [id])
        let jobID = try #require(try session.history.record(id)?.jobID)
        #expect(try await session.waitFinal(jobID).state == "COMPLETED", "the job sbatch queued ran")
    }

    /// The preview's one-off edit is the script that is uploaded, run and recorded.
    @Test func anEditedScriptIsWhatIsUploadedAndRecorded() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        let prepared = try await session.submitter.prepare(session.request(session.spec(workdir: session.workdir("edited"))),
                                                           on: session.ssh)
        let edited = prepared.sbatch + "\n# edited in the preview\n"
        let record = try await session.submitter.submit(prepared, editedSbatch: edited, on: session.ssh)
        #expect(String(decoding: try await session.ssh.readFile(prepared.plan.sbatchPath), as: UTF8.self) == edited)
        #expect(try session.history.record(record.id)?.sbatchText == edited)
        #expect(try await session.waitFinal(try #require(record.jobID)).state == "COMPLETED")
    }

    @Test func recoveryLooksOnlyAtRecordsOfItsOwnCluster() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        var elsewhere = SubmissionRecord(id: SubmissionPlan.newSubmissionID(), clusterHost: "login.other.example", clusterPort: 22,
                                         clusterUser: session.site.user, configPath: "/elsewhere.conf", appInfoPath: "/a",
                                         dataInfoPath: "/d", spec: session.spec(workdir: session.workdir("elsewhere")))
        elsewhere.stage = .submitting
        try session.history.insert(elsewhere)
        _ = try await session.submitter.recover(on: session.ssh, cluster: session.ssh.settings)
        #expect(try session.history.record(elsewhere.id)?.stage == .submitting, "another cluster's record is left for that cluster")
    }
}

enum SbatchMishap: String, Sendable, CustomTestStringConvertible {
    case connectionDropped, unreadableAnswer
    var testDescription: String { rawValue }
}

/// The real login node, except that sbatch's answer is lost after sbatch
/// has really run: the connection "drops", or the answer is garbled.
final class MisbehavingSbatch: RemoteHost {
    let inner: SSHConnection
    let mishap: SbatchMishap

    init(_ inner: SSHConnection, _ mishap: SbatchMishap) {
        self.inner = inner
        self.mishap = mishap
    }

    var settings: ConnectionSettings { inner.settings }

    func run(_ command: RemoteCommand) async throws -> CommandResult {
        let result = try await inner.run(command)
        // Every word arrives quoted: 'sbatch' '--parsable' …
        guard command.description.hasPrefix("'sbatch' ") else { return result }
        switch mishap {
        case .connectionDropped: throw SSHError.disconnected("the test dropped it after sbatch ran")
        case .unreadableAnswer:
            return CommandResult(stdout: Data("sbatch: warning: something odd\n".utf8), stderr: Data(), status: result.status)
        }
    }

    func stream(_ command: RemoteCommand, bufferLimit: Int) -> AsyncThrowingStream<ExecChunk, Error> {
        inner.stream(command, bufferLimit: bufferLimit)
    }
    func readFile(_ path: String, limit: Int) async throws -> Data { try await inner.readFile(path, limit: limit) }
    func stat(_ path: String) async throws -> RemoteFileInfo? { try await inner.stat(path) }
    func list(_ path: String) async throws -> [RemoteFileInfo] { try await inner.list(path) }
    func makeDirectories(_ path: String, mode: Int32) async throws { try await inner.makeDirectories(path, mode: mode) }
    func mkdir(_ path: String, mode: Int32) async throws { try await inner.mkdir(path, mode: mode) }
    func writeFileAtomically(_ path: String, data: Data, mode: Int32, progress: TransferProgress?) async throws {
        try await inner.writeFileAtomically(path, data: data, mode: mode, progress: progress)
    }
    func download(_ path: String, to local: URL, mode: Int, progress: TransferProgress?) async throws -> UInt64 {
        try await inner.download(path, to: local, mode: mode, progress: progress)
    }
    func removeFile(_ path: String) async throws { try await inner.removeFile(path) }
    func removeDirectory(_ path: String) async throws { try await inner.removeDirectory(path) }
}
