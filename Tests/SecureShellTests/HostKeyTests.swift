import Foundation
import SecureShell
import SiteTestSupport
import Testing

@Suite(.enabled(if: LocalSite.isExpected, "\(LocalSite.howToStart)"))
struct HostKeyTests {
    @Test func knownMatchingKeyConnects() async throws {
        let site = try LocalSite.require()
        let ssh = try await site.connect()
        defer { ssh.close() }
        let result = try await ssh.run(["id", "-un"])
        #expect(result.stdoutText == site.user + "\n")
        #expect(result.status == RemoteExitStatus(code: 0, signal: nil))
    }

    @Test func unknownKeyIsRefusedWithoutADecision() async throws {
        let site = try LocalSite.require()
        let dir = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let knownHosts = dir.appendingPathComponent("known_hosts").path
        let interaction = RecordingInteraction(hostKey: .refuse)
        await #expect {
            _ = try await site.connect(site.settings(knownHosts: knownHosts), interaction: interaction)
        } throws: { error in
            guard case let SSHError.hostKeyNotAccepted(key) = error else { return false }
            return key.fingerprint.hasPrefix("SHA256:") && key.keyType == "ssh-ed25519"
        }
        #expect(interaction.asked.count == 1)
        #expect(!FileManager.default.fileExists(atPath: knownHosts))
    }

    @Test func fingerprintIsOpenSSHs() async throws {
        let site = try LocalSite.require()
        let dir = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let interaction = RecordingInteraction(hostKey: .refuse)
        _ = try? await site.connect(site.settings(knownHosts: dir.appendingPathComponent("kh").path), interaction: interaction)
        // ssh-keygen of the server's own public key file, not of our known_hosts.
        let openssh = try Tool.run("/usr/bin/ssh-keygen", ["-l", "-E", "sha256", "-f", site["HPCS_SITE_ROOT"] + "/etc/ssh_host_ed25519_key.pub"])
        let expected = openssh.out.split(separator: " ")[1]
        #expect(interaction.asked == ["hostkey \(expected)"])
    }

    @Test func acceptedKeyIsRememberedAndReadBackHashed() async throws {
        let site = try LocalSite.require()
        let dir = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let knownHosts = dir.appendingPathComponent("sub/known_hosts").path
        let first = try await site.connect(site.settings(knownHosts: knownHosts),
                                           interaction: RecordingInteraction(hostKey: .acceptAndRemember))
        first.close()
        let text = try String(contentsOfFile: knownHosts, encoding: .utf8)
        #expect(text.hasPrefix("[\(site.host)]:\(site.port) ssh-ed25519 "))
        let mode = try FileManager.default.attributesOfItem(atPath: knownHosts)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        // OpenSSH itself accepts the entry we wrote, hashed.
        _ = try Tool.run("/usr/bin/ssh-keygen", ["-H", "-f", knownHosts])
        #expect(try String(contentsOfFile: knownHosts, encoding: .utf8).hasPrefix("|1|"))
        let again = RecordingInteraction(hostKey: .refuse)
        let second = try await site.connect(site.settings(knownHosts: knownHosts), interaction: again)
        second.close()
        #expect(again.asked.isEmpty)
    }

    @Test func changedKeyIsRefusedNamingFileLineAndBothFingerprints() async throws {
        let site = try LocalSite.require()
        let dir = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let other = dir.appendingPathComponent("other")
        _ = try Tool.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", other.path])
        let otherKey = try String(contentsOf: other.appendingPathExtension("pub"), encoding: .utf8)
            .split(separator: " ").prefix(2).joined(separator: " ")
        let knownHosts = dir.appendingPathComponent("known_hosts").path
        try "# comment\nexample.org ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKzF7l6kQ8Yk8xW3oK7Yk7Yk7Yk7Yk7Yk7Yk7Yk7Yk7\n[\(site.host)]:\(site.port) \(otherKey)\n"
            .write(toFile: knownHosts, atomically: true, encoding: .utf8)
        let interaction = RecordingInteraction(hostKey: .acceptAndRemember)
        await #expect {
            _ = try await site.connect(site.settings(knownHosts: knownHosts), interaction: interaction)
        } throws: { error in
            guard case let SSHError.hostKeyChanged(mismatch) = error else { return false }
            let text = "\(error)"
            return mismatch.line == 3 && mismatch.file == knownHosts && text.contains(mismatch.recordedFingerprint)
                && text.contains(mismatch.presentedFingerprint) && mismatch.recordedFingerprint != mismatch.presentedFingerprint
        }
        #expect(interaction.asked.isEmpty, "a changed key is never offered for acceptance")
    }
}
