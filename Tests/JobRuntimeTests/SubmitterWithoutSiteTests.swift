import Foundation
import History
import JobPreparation
@testable import JobRuntime
import SecureShell
import HostTestSupport
import SiteTestSupport
import Slurm
import Testing

/// The submission workflow against an in-memory login node: every failure
/// point on demand, no site needed (these run from a bare clone too).
struct SubmitterWithoutSiteTests {
    static let checksum = String(repeating: "c", count: 128)

    struct Fixture {
        let host = InMemoryHost()
        let root: URL
        let paths: LocalPaths
        let submitter: Submitter
        var request: SubmitRequest

        init(checksumOnHost: String = SubmitterWithoutSiteTests.checksum) throws {
            root = try Tool.temporaryDirectory()
            paths = LocalPaths(environment: ["HOME": root.path, "XDG_DATA_HOME": root.appendingPathComponent("data").path,
                                             "XDG_CONFIG_HOME": root.appendingPathComponent("config").path])
            submitter = Submitter(history: try HistoryStore(url: paths.historyDatabase), paths: paths,
                                  templates: TemplateStore(directories: [LocalSite.repositoryRoot.appendingPathComponent("Templates")]))
            for (name, role) in [("app", "app-role"), ("data", "data-role")] {
                host.put("/data/\(name).age", "encrypted \(name)")
                host.put("/data/\(name).info.yaml", """
                    info:
                      path_at_rest: /data/\(name).age
                      secret_path: kv/\(name)
                      access_role: \(role)
                      checksum: \(SubmitterWithoutSiteTests.checksum)
                      spiffeID: spiffe://hpcs.example.org/c/\(name)
                    """)
            }
            host.on("sha512sum") { words in
                InMemoryHost.answer(words.dropFirst(2).map { "\(checksumOnHost)  \($0)\n" }.joined())
            }
            // The SPIRE server's CA, as a site publishes it (the workflow only checks it is PEM).
            try "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".write(to: root.appendingPathComponent("bundle.pem"),
                                                                                      atomically: true, encoding: .utf8)
            let config = try HPCSConfig.parse("""
                [spire-server]
                address = spire.example.org
                port = 8081
                trust-domain = hpcs.example.org
                trust-bundle = bundle.pem
                [hpcs-server]
                url = https://hpcs.example.org
                [vault]
                url = https://vault.example.org
                [supercomputer]
                address = login.example.org
                username = alice
                """, path: root.appendingPathComponent("hpcs.conf").path)
            let spec = JobSpec(jobName: "hpcs_alice", partition: "debug", time: .minutes(10), nodelist: "nid001", workdir: "/scratch/alice/run1")
            request = SubmitRequest(config: config, appInfoPath: "/data/app.info.yaml", dataInfoPath: "/data/data.info.yaml", spec: spec)
        }

        func submit() async throws -> SubmissionRecord {
            let prepared = try await submitter.prepare(request, on: host)
            return try await submitter.submit(prepared, on: host)
        }

        /// The one submission's record (each fixture makes one).
        func record() throws -> SubmissionRecord? { try submitter.history.list().first }

        func remoteFiles(_ record: SubmissionRecord) async throws -> [String] {
            try await host.list(try #require(record.remoteDir)).map(\.name)
        }

        func keyExists(_ id: String) -> Bool { FileManager.default.fileExists(atPath: paths.keyFile(submissionID: id).path) }
    }

    @Test func aSubmissionUploadsItsFilesPrivatelyAndRecordsTheJob() async throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.root) }
        let pinned = PinnedTool(name: "age", version: "1.1.1", sha256: String(repeating: "a", count: 64),
                                url: "https://example.org/age.tar.gz", member: "age/age")
        try ToolManifest(tools: [pinned]).save(fixture.paths, cluster: fixture.host.settings)
        fixture.host.on("sbatch") { words in
            #expect(words.contains("--parsable") && words.last?.hasSuffix("/job.sbatch") == true)
            return InMemoryHost.answer("4242\n")
        }
        let record = try await fixture.submit()
        #expect(record.jobID == "4242" && record.stage == .submitted && record.clusterHost == "login.example.org")
        #expect(try await fixture.remoteFiles(record) == ["hpcs-client.conf", "job.sbatch", "output_key.pub", "spire-bundle.pem", "tools.manifest"])
        for name in try await fixture.remoteFiles(record) {
            #expect(fixture.host.file(try #require(record.remoteDir) + "/" + name)?.mode == 0o600)
        }
        let script = String(decoding: try #require(fixture.host.file(record.remoteDir! + "/job.sbatch")).data, as: UTF8.self)
        #expect(script.contains("tools_manifest='\(record.remoteDir!)/tools.manifest'"))
        #expect(fixture.keyExists(record.id))
    }

    @Test func anUploadFailingHalfWayLeavesNothingBehind() async throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.root) }
        fixture.host.failWrites { $0.hasSuffix("/job.sbatch") }
        await #expect(throws: PreparationError.self) { _ = try await fixture.submit() }
        let record = try #require(try fixture.record())
        #expect(record.stage == .failed)
        #expect(!fixture.host.exists(try #require(record.remoteDir)), "the submission folder is removed")
        #expect(!fixture.keyExists(record.id), "the output key is removed")
        #expect(!fixture.host.ran("sbatch"))
    }

    @Test func sbatchRefusingUndoesTheSubmission() async throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.root) }
        fixture.host.on("sbatch") { _ in InMemoryHost.answer(stderr: "sbatch: error: invalid partition specified: debug\n", code: 1) }
        await #expect(throws: SubmissionFailed(message: "sbatch: error: invalid partition specified: debug")) { _ = try await fixture.submit() }
        let record = try #require(try fixture.record())
        #expect(record.stage == .failed && record.failure?.contains("invalid partition") == true)
        #expect(!fixture.host.exists(try #require(record.remoteDir)) && !fixture.keyExists(record.id))
    }

    /// sbatch may have queued the job: nothing is undone, recovery settles it by its tag.
    @Test func aConnectionLostWhileSbatchRunsKeepsEverythingForRecovery() async throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.root) }
        fixture.host.on("sbatch") { _ in throw InMemoryHost.Refused(description: "connection lost") }
        await #expect(throws: SubmissionUnclear.self) { _ = try await fixture.submit() }
        let record = try #require(try fixture.record())
        #expect(record.stage == .submitting && record.jobID == nil)
        #expect(try await fixture.remoteFiles(record).contains("job.sbatch") && fixture.keyExists(record.id))

        // Found by its comment tag the next time: the record completes.
        fixture.host.on("squeue") { _ in
            InMemoryHost.answer(["4243", "RUNNING", "None", "0:05", "10:00", "1", "nid001", "hpcs-job:\(record.id)"]
                .joined(separator: "\u{1f}") + "\n")
        }
        _ = try await fixture.submitter.recover(on: fixture.host, cluster: fixture.host.settings)
        let recovered = try #require(try fixture.record())
        #expect(recovered.stage == .submitted && recovered.jobID == "4243", "\(fixture.host.commands.last ?? [])")
    }

    /// Slurm can time out after queuing a job: such an sbatch failure keeps
    /// the key and the files and leaves the record to the comment tag.
    @Test func anSbatchTimeoutIsUnclearNotARefusal() async throws {
        for stderr in ["sbatch: error: Batch job submission failed: Socket timed out on send/recv operation", ""] {
            let fixture = try Fixture()
            defer { try? FileManager.default.removeItem(at: fixture.root) }
            fixture.host.on("sbatch") { _ in InMemoryHost.answer(stderr: stderr, code: 1) }
            await #expect(throws: SubmissionUnclear.self) { _ = try await fixture.submit() }
            let record = try #require(try fixture.record())
            #expect(record.stage == .submitting && fixture.keyExists(record.id), "\(stderr)")
            #expect(try await fixture.remoteFiles(record).contains("job.sbatch"))
        }
        #expect(SbatchFailure.classify(exitCode: 1, stderr: "sbatch: error: Batch job submission failed: Invalid partition name specified")
                == .refused("sbatch: error: Batch job submission failed: Invalid partition name specified"))
        #expect(SbatchFailure.classify(exitCode: 127, stderr: "bash: sbatch: command not found") == .refused("bash: sbatch: command not found"))
        #expect(SbatchFailure.classify(exitCode: 1, stderr: "sbatch: error: Unable to contact slurm controller (connect failure)")
                == .unclear("sbatch: error: Unable to contact slurm controller (connect failure)"))
    }

    /// A record is marked failed only when Slurm answered both questions
    /// without the job: squeue or sacct failing says nothing about it.
    @Test func recoveryWaitsWhenSlurmDoesNotAnswer() async throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.root) }
        fixture.host.on("sbatch") { _ in throw InMemoryHost.Refused(description: "connection lost") }
        await #expect(throws: SubmissionUnclear.self) { _ = try await fixture.submit() }
        fixture.host.on("squeue") { _ in InMemoryHost.answer(stderr: "squeue: error: Unable to contact slurm controller", code: 1) }
        fixture.host.on("sacct") { _ in InMemoryHost.answer("") }
        _ = try await fixture.submitter.recover(on: fixture.host, cluster: fixture.host.settings)
        #expect(try fixture.record()?.stage == .submitting, "squeue failed: the job may be queued")
        fixture.host.on("squeue") { _ in InMemoryHost.answer("") }
        fixture.host.on("sacct") { _ in InMemoryHost.answer(stderr: "sacct: error: slurmdbd not responding", code: 1) }
        _ = try await fixture.submitter.recover(on: fixture.host, cluster: fixture.host.settings)
        #expect(try fixture.record()?.stage == .submitting, "sacct failed: the job may have ended already")
        fixture.host.on("sacct") { _ in InMemoryHost.answer("") }
        _ = try await fixture.submitter.recover(on: fixture.host, cluster: fixture.host.settings)
        #expect(try fixture.record()?.stage == .failed, "both answered without it: it never ran")
    }

    /// No trust bundle and no explicit opt-in: the job's SPIRE agent could
    /// not know its server, so nothing is recorded or uploaded.
    @Test func withoutATrustBundleNothingStartsUnlessTheUserOptsIn() async throws {
        var fixture = try Fixture()
        let bare = fixture.request.config.remoteText.replacingOccurrences(of: "trust-bundle", with: "#")
        fixture.request.config = try HPCSConfig.parse(bare, path: fixture.request.config.path)
        await #expect {
            _ = try await fixture.submit()
        } throws: { error in
            let error = error as? PreparationError
            return error?.field == "[spire-server] trust-bundle" && error?.fix?.contains("insecure-bootstrap = yes") == true
        }
        #expect(try fixture.record() == nil && fixture.host.commands.isEmpty, "nothing recorded, nothing run on the cluster")
        // Opted into, knowingly: the job renders an insecure bootstrap (and warns when it runs).
        fixture.request.config = try HPCSConfig.parse(bare.replacingOccurrences(of: "[hpcs-server]", with: "insecure-bootstrap = yes\n[hpcs-server]"),
                                                      path: fixture.request.config.path)
        let prepared = try await fixture.submitter.prepare(fixture.request, on: fixture.host, dryRun: true)
        #expect(prepared.sbatch.contains("spire_insecure_bootstrap='yes'"))
    }

    @Test func aChecksumMismatchStopsBeforeAnythingIsUploaded() async throws {
        let fixture = try Fixture(checksumOnHost: String(repeating: "d", count: 128))
        defer { try? FileManager.default.removeItem(at: fixture.root) }
        await #expect(throws: PreparationError.self) { _ = try await fixture.submit() }
        #expect(try fixture.record()?.stage == .failed)
        #expect(!fixture.host.exists("/home/alice/.hpcs-job") && !fixture.host.ran("sbatch"))
    }
}
