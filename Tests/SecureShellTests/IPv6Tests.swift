import Foundation
import SecureShell
import SiteTestSupport
import Testing

/// The login node reached over IPv6: a second sshd of the site's own
/// configuration and host key, listening on [::1] only, for this test.
@Suite(.enabled(if: LocalSite.isExpected, "\(LocalSite.howToStart)"),
       // Where the site is required, a missing ::1 fails the test instead of skipping it.
       .enabled(if: (try? FreePort.find(ipv6: true)) != nil || LocalSite.isRequired, "this machine has no IPv6 loopback (::1)"))
struct IPv6Tests {
    @Test func connectsOverIPv6CheckingTheBracketedKnownHostsEntry() async throws {
        let site = try LocalSite.require()
        let dir = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let node = try TestLoginNode(site: site, directory: dir, ipv6: true)
        defer { node.stop() }

        let settings = try site.settings(for: node, in: dir)
        let ssh = try await SSHConnection.connect(settings, interaction: NonInteractive())
        defer { ssh.close() }
        let result = try await ssh.run(RemoteCommand(script: "printf '%s' \"${SSH_CONNECTION%% *}\""))
        #expect(result.stdoutText == "::1", "the server saw the client come from ::1")
    }
}
