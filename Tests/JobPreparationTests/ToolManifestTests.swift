import Foundation
@testable import JobPreparation
import SecureShell
import SiteTestSupport
import Testing

struct ToolManifestTests {
    static let sha = String(repeating: "ab", count: 32)
    static let age = PinnedTool(name: "age", version: "1.1.1", sha256: sha,
                                url: "https://github.com/FiloSottile/age/releases/download/v1.1.1/age-v1.1.1-linux-amd64.tar.gz",
                                member: "age/age")

    @Test func roundTripsAndReplacesAPin() throws {
        var manifest = ToolManifest(tools: [Self.age])
        var newer = Self.age
        newer.version = "1.2.0"
        manifest.pin(newer)
        manifest.pin(PinnedTool(name: "gocryptfs", version: "2.4.0", sha256: Self.sha, url: "https://example.org/g.tar.gz", member: "gocryptfs"))
        #expect(manifest.tools.map(\.version) == ["1.2.0", "2.4.0"])
        #expect(try ToolManifest.parse(manifest.text, path: "m") == manifest)
        #expect(Self.age.cachePath == ".hpcs-job/tools/\(Self.sha)/age-v1.1.1-linux-amd64.tar.gz")
    }

    /// Every field reaches the job's awk and shell as one word: anything
    /// else is refused with the file, line and tool.
    @Test(arguments: [
        ("age 1.1.1 \(sha) https://x.org/a.tar.gz", "found 4 field(s)"),
        ("age 1.1.1 \(sha.uppercased()) https://x.org/a.tar.gz age/age", "is not a SHA-256"),
        ("age 1.1.1 \(sha) ftp://x.org/a.tar.gz age/age", "is not an http(s) URL"),
        ("age 1.1.1 \(sha) https://x.org/a'$(id).tar.gz age/age", "is not an http(s) URL"),
        ("age 1.1.1 \(sha) https://x.org/a.tar.gz ../../bin/age", "is not a relative path"),
        ("age 1.1.1 \(sha) https://x.org/a.tar.gz /bin/age", "is not a relative path"),
        ("a;ge 1.1.1 \(sha) https://x.org/a.tar.gz age", "is not a tool name"),
    ])
    func badLinesAreNamed(line: String, problem: String) {
        let text = "# pinned\n\(line)\n"
        #expect {
            try ToolManifest.parse(text, path: "/home/a/.config/hpcs-job/tools.manifest")
        } throws: { error in
            let message = "\(error)"
            return message.contains(problem) && message.contains("tools.manifest:2:")
        }
    }

    @Test func aToolPinnedTwiceIsAnError() {
        let line = "age 1.1.1 \(Self.sha) https://x.org/a.tar.gz age/age\n"
        #expect(throws: PreparationError.self) { try ToolManifest.parse(line + line, path: "m") }
    }

    static let x86 = ConnectionSettings(host: "login.x86.example.org", port: 22, user: "alice")
    static let arm = ConnectionSettings(host: "login.arm.example.org", port: 2222, user: "alice")

    @Test func savedPrivatelyAndLoadedBack() throws {
        let root = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let paths = LocalPaths(environment: ["HOME": root.path, "XDG_CONFIG_HOME": root.appendingPathComponent("config").path])
        #expect(try ToolManifest.load(paths, cluster: Self.x86) == nil)
        try ToolManifest(tools: [Self.age]).save(paths, cluster: Self.x86)
        #expect(try ToolManifest.load(paths, cluster: Self.x86) == ToolManifest(tools: [Self.age]))
        let file = paths.toolsManifest(for: Self.x86)
        #expect(file.lastPathComponent == "alice@login.x86.example.org:22.manifest")
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        let folder = try FileManager.default.attributesOfItem(atPath: file.deletingLastPathComponent().path)[.posixPermissions] as? Int
        #expect(mode == 0o600 && folder == 0o700)
    }

    /// Two clusters of different architectures keep their own pins: pinning
    /// for one never changes what jobs on the other use.
    @Test func eachLoginNodeHasItsOwnManifest() throws {
        let root = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let paths = LocalPaths(environment: ["HOME": root.path, "XDG_CONFIG_HOME": root.appendingPathComponent("config").path])
        var armAge = Self.age
        armAge.url = armAge.url.replacingOccurrences(of: "amd64", with: "arm64")
        armAge.sha256 = String(repeating: "b", count: 64)
        try ToolManifest(tools: [Self.age]).save(paths, cluster: Self.x86)
        try ToolManifest(tools: [armAge]).save(paths, cluster: Self.arm)
        #expect(try ToolManifest.load(paths, cluster: Self.x86)?["age"] == Self.age)
        #expect(try ToolManifest.load(paths, cluster: Self.arm)?["age"] == armAge)
        // Another user or port on the same host is another login.
        #expect(try ToolManifest.load(paths, cluster: ConnectionSettings(host: "login.x86.example.org", port: 22, user: "bob")) == nil)
        let odd = ConnectionSettings(host: "../etc", port: 22, user: "a/b")
        #expect(paths.toolsManifest(for: odd).lastPathComponent == "a_b@.._etc:22.manifest", "never a path outside the folder")
    }

    /// Pins made when there was one manifest for every cluster still work
    /// for a cluster without its own; new pins go to the cluster's.
    @Test func theSingleManifestOfEarlierVersionsIsReadNeverWritten() throws {
        let root = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let paths = LocalPaths(environment: ["HOME": root.path, "XDG_CONFIG_HOME": root.appendingPathComponent("config").path])
        try LocalPaths.ensurePrivateDirectory(paths.configHome)
        try ToolManifest(tools: [Self.age]).text.write(to: paths.legacyToolsManifest, atomically: true, encoding: .utf8)
        #expect(try ToolManifest.load(paths, cluster: Self.arm)?["age"] == Self.age)
        try ToolManifest().save(paths, cluster: Self.arm)
        #expect(try ToolManifest.load(paths, cluster: Self.arm) == ToolManifest())
        #expect(try ToolManifest.load(paths, cluster: Self.x86)?["age"] == Self.age)
    }

    @Test func releasesNameTheirArchivesAsUpstreamDoes() throws {
        let spire = try #require(ToolRelease.catalogue.first { $0.name == "spire-agent" })
        #expect(spire.archiveURL(arch: "arm64") == "https://github.com/spiffe/spire/releases/download/v1.12.6/spire-1.12.6-linux-arm64-musl.tar.gz")
        #expect(spire.checksumsURL(base: "http://127.0.0.1:8098/", arch: "amd64")
                == "http://127.0.0.1:8098/spiffe/spire/releases/download/v1.12.6/spire-1.12.6-linux-amd64-musl_sha256sum.txt")
        #expect(ToolRelease.catalogue.filter { $0.checksumsURL(arch: "amd64") == nil }.map(\.name) == ["age", "gocryptfs"])
        #expect(ToolRelease.releaseArchitecture("x86_64") == "amd64" && ToolRelease.releaseArchitecture("aarch64") == "arm64")
        #expect(ToolRelease.releaseArchitecture("ppc64le") == nil)
        for release in ToolRelease.catalogue {
            let tool = PinnedTool(name: release.name, version: release.version, sha256: Self.sha,
                                  url: release.archiveURL(arch: "amd64"), member: release.member)
            #expect(ToolManifest.problem(tool) == nil)
        }
    }
}

struct TrustBundleTests {
    func config(bundle: String) throws -> HPCSConfig {
        try HPCSConfig.parse(Sample.configText.replacingOccurrences(of: "trust-domain = hpcs.example.org",
                                                                     with: "trust-domain = hpcs.example.org\ntrust-bundle = \(bundle)"),
                             path: "/home/alice/conf/hpcs-client.conf")
    }

    @Test func aRelativeBundleIsBesideTheConfig() throws {
        #expect(try config(bundle: "spire.pem").spireServer.trustBundle == "/home/alice/conf/spire.pem")
        #expect(try Sample.config().spireServer.trustBundle == nil)
        #expect(try Sample.config().readTrustBundle() == nil)
    }

    @Test func aBundleMustBeReadableAndHoldACertificate() throws {
        let root = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        #expect {
            try config(bundle: root.appendingPathComponent("absent.pem").path).readTrustBundle()
        } throws: { "\($0)".contains("[spire-server] trust-bundle") && "\($0)".contains("cannot read the trust bundle") }
        let notPEM = root.appendingPathComponent("key.txt")
        try Data("just text\n".utf8).write(to: notPEM)
        #expect {
            try config(bundle: notPEM.path).readTrustBundle()
        } throws: { "\($0)".contains("holds no PEM certificate") }
        let pem = root.appendingPathComponent("bundle.pem")
        try Data("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".utf8).write(to: pem)
        #expect(try config(bundle: pem.path).readTrustBundle()?.isEmpty == false)
    }

    @Test func theJobGetsBothPathsOnlyWhenThereIsSomethingToUpload() throws {
        let plain = try Sample.plan()
        #expect(plain.templateValues["tools_manifest"] == .absent && plain.templateValues["spire_trust_bundle"] == .absent)
        let full = SubmissionPlan(submissionID: plain.submissionID, config: plain.config, application: plain.application, data: plain.data,
                                  spec: plain.spec, remoteHome: "/home/alice", tools: ToolManifest(tools: [ToolManifestTests.age]),
                                  trustBundle: Data("pem".utf8))
        #expect(full.templateValues["tools_manifest"] == .word("/home/alice/.hpcs-job/\(plain.submissionID)/tools.manifest"))
        #expect(full.templateValues["spire_trust_bundle"] == .word("/home/alice/.hpcs-job/\(plain.submissionID)/spire-bundle.pem"))
        let empty = SubmissionPlan(submissionID: plain.submissionID, config: plain.config, application: plain.application, data: plain.data,
                                   spec: plain.spec, remoteHome: "/home/alice", tools: ToolManifest())
        #expect(empty.tools == nil, "an empty manifest is not uploaded")
    }
}
