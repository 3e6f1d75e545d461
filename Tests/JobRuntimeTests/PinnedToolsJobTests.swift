import Foundation
import JobPreparation
import SiteTestSupport
import Testing

/// The job's own checks of pinned tools and of the SPIRE trust bundle, on
/// the bare login node (no tools, no environment). Each test pins its own
/// archive under its own SHA-256, so the shared cache of other runs is not
/// touched.
extension SecureJobTests {
    /// A release-like archive holding age/age plus a unique file; its SHA-256.
    func uniqueAgeArchive(in directory: URL) throws -> (archive: URL, sha256: String) {
        let tree = directory.appendingPathComponent("tree/age")
        try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/usr/bin/age", toPath: tree.appendingPathComponent("age").path)
        try Data(UUID().uuidString.utf8).write(to: tree.appendingPathComponent("nonce"))
        let archive = directory.appendingPathComponent("age-test.tar.gz")
        let tar = try Tool.run("/usr/bin/tar", ["-C", directory.appendingPathComponent("tree").path, "-czf", archive.path, "age"])
        #expect(tar.status == 0, "\(tar.err)")
        let sum = try Tool.run("/usr/bin/sha256sum", [archive.path]).out
        return (archive, String(sum.prefix(64)))
    }

    @Test func aTamperedCachedToolFailsTheJobClosedAtStep2() async throws {
        let session = try await SiteSession.open(configKey: "HPCS_SITE_BARE_CONFIG")
        defer { session.close() }
        let (archive, sha) = try uniqueAgeArchive(in: session.root)
        let tool = PinnedTool(name: "age", version: "1.1.1", sha256: sha, url: "http://127.0.0.1:9/age-test.tar.gz", member: "age/age")
        let home = try await session.ssh.homeDirectory()
        let cacheFolder = "\(home)/\(ToolManifest.cacheDirectory)/\(sha)"
        try await session.ssh.makeDirectories(cacheFolder, mode: 0o700)
        // Cached as pinned, then changed: one byte more.
        var bytes = try Data(contentsOf: archive)
        bytes.append(0x0A)
        try await session.ssh.writeFileAtomically("\(home)/\(tool.cachePath)", data: bytes, mode: 0o600, progress: nil)
        try ToolManifest(tools: [tool]).save(session.paths, cluster: session.ssh.settings)

        let outcome = try await run(session, name: "tampered-tool")
        _ = try? await session.ssh.run(["rm", "-rf", "--", cacheFolder])
        #expect(outcome.status.state == "FAILED", "\(outcome.log)")
        #expect(outcome.log.contains("FAILED at step 2/12"), "\(outcome.log)")
        #expect(outcome.log.contains("the cached age 1.1.1 (\(home)/\(tool.cachePath)) does not match its pinned SHA-256"), "\(outcome.log)")
        #expect(outcome.log.contains("hpcs-job tools pin"), "\(outcome.log)")
        #expect(!outcome.log.contains("step 3/12"))
    }

    @Test func aMissingCacheWithoutNetworkFailsClosedNamingTheFix() async throws {
        let session = try await SiteSession.open(configKey: "HPCS_SITE_BARE_CONFIG")
        defer { session.close() }
        let (_, sha) = try uniqueAgeArchive(in: session.root)
        // Never cached; its URL cannot be reached, as from a compute node without network.
        let tool = PinnedTool(name: "age", version: "1.1.1", sha256: sha, url: "http://127.0.0.1:9/age-v1.1.1-linux-amd64.tar.gz",
                              member: "age/age")
        try ToolManifest(tools: [tool]).save(session.paths, cluster: session.ssh.settings)

        let outcome = try await run(session, name: "uncached-tool")
        #expect(outcome.status.state == "FAILED", "\(outcome.log)")
        #expect(outcome.log.contains("FAILED at step 2/12"), "\(outcome.log)")
        #expect(outcome.log.contains("age 1.1.1 is not in the cache") && outcome.log.contains("cannot download it from \(tool.url)"),
                "\(outcome.log)")
        #expect(outcome.log.contains("no outbound network: run `hpcs-job tools pin`"), "\(outcome.log)")
    }

    /// The site's own setting wins over a pin: on the main login node
    /// HPCS_TOOLS_DIR provides spire-agent, so a pin that could not be used
    /// (never cached, unreachable) is not even looked at.
    @Test func aSiteSettingWinsOverAPin() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        let tool = PinnedTool(name: "spire-agent", version: "1.12.6", sha256: String(repeating: "0", count: 64),
                              url: "http://127.0.0.1:9/spire-1.12.6-linux-amd64-musl.tar.gz", member: "spire-1.12.6/bin/spire-agent")
        try ToolManifest(tools: [tool]).save(session.paths, cluster: session.ssh.settings)
        let outcome = try await run(session, name: "site-wins")
        #expect(outcome.status == JobStatusSnapshot(state: "COMPLETED", exitCode: 0), "\(outcome.log)")
        #expect(!outcome.log.contains("spire-agent 1.12.6"), "\(outcome.log)")
    }

    /// The agent checks the SPIRE server against the bundle the config
    /// names: another CA's bundle stops the job at step 3.
    @Test func aWrongTrustBundleStopsTheAgent() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        let bundle = session.root.appendingPathComponent("other-ca.pem")
        let made = try Tool.run("/usr/bin/openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                                     "-keyout", "/dev/null", "-days", "1", "-subj", "/O=elsewhere", "-out", bundle.path])
        #expect(made.status == 0, "\(made.err)")
        var config = session.config
        config.spireServer.trustBundle = bundle.path
        let outcome = try await run(session, name: "wrong-bundle", config: config)
        #expect(outcome.status.state == "FAILED", "\(outcome.log)")
        #expect(outcome.log.contains("FAILED at step 3/12") && outcome.log.contains("certificate signed by unknown authority"),
                "\(outcome.log)")
        #expect(!outcome.log.contains("insecure bootstrap"))
    }
}
