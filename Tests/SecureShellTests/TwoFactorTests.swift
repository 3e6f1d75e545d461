import Foundation
import SecureShell
import SiteTestSupport
import Testing

/// The site's two-factor login node: `AuthenticationMethods
/// publickey,keyboard-interactive`, a TOTP code from PAM.
@Suite(.enabled(if: LocalSite.isExpected, "\(LocalSite.howToStart)"))
struct TwoFactorTests {
    func settings(_ site: LocalSite) -> ConnectionSettings {
        var settings = site.settings()
        settings.port = Int(site["HPCS_SITE_2FA_SSH_PORT"]) ?? 2223
        return settings
    }

    /// The key is accepted (partial success), then the code is asked for and logs in.
    @Test func keyThenOneTimeCodeLogsIn() async throws {
        let site = try LocalSite.require()
        let interaction = RecordingInteraction(keyboardInteractiveAnswer: { try? site.oneTimeCode() })
        let ssh = try await SSHConnection.connect(settings(site), interaction: interaction)
        defer { ssh.close() }
        #expect(try await ssh.run(["id", "-un"]).stdoutText == site.user + "\n")
        #expect(ssh.details.offeredMethods == ["publickey"], "only the first step is offered at first")
        #expect(ssh.details.authenticatedWith == "publickey \(site.identity), then keyboard-interactive")
        #expect(interaction.asked.count == 1 && interaction.asked.first?.contains("Verification code") == true,
                "the server's prompt was handed over: \(interaction.asked)")
    }

    /// A wrong code fails naming the key as accepted and the code as refused.
    @Test func aWrongCodeNeverBlamesTheAcceptedKey() async throws {
        let site = try LocalSite.require()
        let wrong = String(format: "%06d", ((Int(try site.oneTimeCode()) ?? 0) + 500_000) % 1_000_000)
        await #expect {
            _ = try await SSHConnection.connect(settings(site), interaction: NonInteractive(keyboardInteractiveAnswers: [wrong]))
        } throws: { error in
            guard case let SSHError.authentication(_, offered, tried, detail) = error else { return false }
            return offered == ["publickey"] && tried.contains("keyboard-interactive")
                && detail.contains("accepted: publickey \(site.identity)") && detail.contains("keyboard-interactive: not accepted")
                && !detail.contains("\(site.identity): not accepted")
        }
    }
}

/// Users' other key types on the real sshd (OpenSSH 9.2).
@Suite(.enabled(if: LocalSite.isExpected, "\(LocalSite.howToStart)"))
struct KeyTypeTests {
    @Test func anECDSAKeyLogsIn() async throws {
        let site = try LocalSite.require()
        let identity = site["HPCS_SITE_ECDSA_IDENTITY"]
        let ssh = try await SSHConnection.connect(site.settings(identity: identity), interaction: NonInteractive())
        defer { ssh.close() }
        #expect(ssh.details.authenticatedWith == "publickey \(identity)")
        #expect(try await ssh.run(["id", "-un"]).stdoutText == site.user + "\n")
    }

    /// With libssh2 before 1.11 an RSA key can only sign with SHA-1, which
    /// OpenSSH 8.8 and later refuse: the failure says exactly that and how
    /// to fix it. With 1.11 or newer the RSA key logs in.
    @Test func anRSAKeyLogsInOrFailsSayingWhy() async throws {
        let site = try LocalSite.require()
        let identity = site["HPCS_SITE_RSA_IDENTITY"]
        let settings = site.settings(identity: identity)
        if LibSSH2.signsRSAWithSHA2 {
            let ssh = try await SSHConnection.connect(settings, interaction: NonInteractive())
            ssh.close()
            #expect(ssh.details.authenticatedWith == "publickey \(identity)")
            return
        }
        await #expect {
            _ = try await SSHConnection.connect(settings, interaction: NonInteractive())
        } throws: { error in
            guard case let SSHError.authentication(_, _, tried, detail) = error else { return false }
            return tried.first == "publickey \(identity)" && detail.contains("\(identity) is an RSA key")
                && detail.contains("SHA-1") && detail.contains("libssh2 \(LibSSH2.version)") && detail.contains("ed25519")
        }
    }
}
