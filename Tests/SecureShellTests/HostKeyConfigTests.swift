import Foundation
@testable import SecureShell
import SiteTestSupport
import Testing

/// Host-key directives of ssh_config, on the site's real sshd: HostKeyAlias,
/// GlobalKnownHostsFile, StrictHostKeyChecking and HashKnownHosts.
@Suite(.enabled(if: LocalSite.isExpected, "\(LocalSite.howToStart)"))
struct HostKeyConfigTests {
    /// Settings for alias `login` from an ssh_config that reaches the site, plus `extra`.
    func settings(_ site: LocalSite, _ dir: URL, _ extra: String) -> ConnectionSettings {
        let config = SSHConfigFile(text: """
            Host login
              HostName \(site.host)
              Port \(site.port)
              User \(site.user)
              IdentityFile \(site.identity)
              IdentitiesOnly yes
              UserKnownHostsFile \(dir.path)/known_hosts
              GlobalKnownHostsFile \(dir.path)/global_known_hosts
            \(extra)
            """)
        var settings = ConnectionSettings.resolve(alias: "login", user: nil, port: nil, identityFile: nil, knownHosts: nil, sshConfig: config)
        settings.useAgent = false
        return settings
    }

    /// The site's ed25519 key as `type base64`.
    func siteKey(_ site: LocalSite) throws -> String {
        let line = try #require(try String(contentsOfFile: site.knownHosts, encoding: .utf8).split(separator: "\n").first)
        return line.split(separator: " ").dropFirst().prefix(2).joined(separator: " ")
    }

    @Test func hostKeyAliasAndTheGlobalFileAreUsedToFindTheKey() async throws {
        let site = try LocalSite.require()
        let dir = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Recorded under the alias only: found through HostKeyAlias, without asking.
        try "login-node-key \(try siteKey(site))\n".write(toFile: dir.path + "/known_hosts", atomically: true, encoding: .utf8)
        let asked = RecordingInteraction(hostKey: .refuse)
        let aliased = try await SSHConnection.connect(settings(site, dir, "  HostKeyAlias login-node-key"), interaction: asked)
        aliased.close()
        #expect(asked.asked.isEmpty)
        // In the system-wide file only: found there, and the user's file is left alone.
        try "".write(toFile: dir.path + "/known_hosts", atomically: true, encoding: .utf8)
        try "[\(site.host)]:\(site.port) \(try siteKey(site))\n".write(toFile: dir.path + "/global_known_hosts", atomically: true, encoding: .utf8)
        let global = try await SSHConnection.connect(settings(site, dir, ""), interaction: asked)
        global.close()
        #expect(asked.asked.isEmpty)
        #expect(try String(contentsOfFile: dir.path + "/known_hosts", encoding: .utf8).isEmpty)
    }

    @Test func strictCheckingRefusesWithoutAskingAndAcceptNewRecordsHashed() async throws {
        let site = try LocalSite.require()
        let dir = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let asked = RecordingInteraction(hostKey: .acceptAndRemember)
        await #expect {
            _ = try await SSHConnection.connect(settings(site, dir, "  StrictHostKeyChecking yes"), interaction: asked)
        } throws: { error in
            guard case let SSHError.hostKeyNotAccepted(key) = error else { return false }
            return key.refusedByStrictChecking && "\(error)".contains("StrictHostKeyChecking yes")
        }
        #expect(asked.asked.isEmpty && !FileManager.default.fileExists(atPath: dir.path + "/known_hosts"))

        let accepting = try await SSHConnection.connect(settings(site, dir, "  StrictHostKeyChecking accept-new\n  HashKnownHosts yes"),
                                                        interaction: asked)
        accepting.close()
        #expect(asked.asked.isEmpty)
        let written = try String(contentsOfFile: dir.path + "/known_hosts", encoding: .utf8)
        #expect(written.hasPrefix("|1|") && !written.contains(site.host), "recorded under a hashed name")
        // OpenSSH finds the host in what we wrote, and so do we, without asking.
        let found = try Tool.run("/usr/bin/ssh-keygen", ["-F", "[\(site.host)]:\(site.port)", "-f", dir.path + "/known_hosts"])
        #expect(found.status == 0 && found.out.contains("ssh-ed25519"))
        let again = RecordingInteraction(hostKey: .refuse)
        let second = try await SSHConnection.connect(settings(site, dir, "  StrictHostKeyChecking yes"), interaction: again)
        second.close()
        #expect(again.asked.isEmpty)
    }
}
