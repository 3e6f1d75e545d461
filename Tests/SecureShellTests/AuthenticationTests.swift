import Foundation
import SecureShell
import SiteTestSupport
import Testing

@Suite(.enabled(if: LocalSite.isExpected, "\(LocalSite.howToStart)"))
struct AuthenticationTests {
    /// A fresh key pair authorised on the login node.
    func authorisedKey(passphrase: String, in dir: URL) throws -> String {
        let key = dir.appendingPathComponent("id_ed25519").path
        _ = try Tool.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", passphrase, "-C", "test", "-f", key])
        let site = try LocalSite.require()
        let publicKey = try Data(contentsOf: URL(fileURLWithPath: key + ".pub"))
        let added = try site.openSSH("cat >> ~/.ssh/authorized_keys", stdin: publicKey)
        #expect(added.status == 0)
        return key
    }

    @Test func encryptedKeyAsksForItsPassphrase() async throws {
        let site = try LocalSite.require()
        let dir = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = try authorisedKey(passphrase: "correct horse", in: dir)
        let interaction = RecordingInteraction(passphrase: "correct horse")
        let ssh = try await site.connect(site.settings(identity: key), interaction: interaction)
        ssh.close()
        #expect(interaction.asked == ["passphrase 1"])
    }

    @Test func wrongPassphraseIsAskedAgainThenFailsNamingMethods() async throws {
        let site = try LocalSite.require()
        let dir = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = try authorisedKey(passphrase: "right", in: dir)
        let interaction = RecordingInteraction(passphrase: "wrong")
        await #expect {
            _ = try await site.connect(site.settings(identity: key), interaction: interaction)
        } throws: { error in
            guard case let SSHError.authentication(_, offered, tried, _) = error else { return false }
            return offered.contains("publickey") && tried.contains("publickey \(key)")
                && tried.contains("keyboard-interactive")
        }
        #expect(interaction.asked.filter { $0.hasPrefix("passphrase") }.count == 3)
    }

    @Test func keyboardInteractiveHandsPromptsToTheCaller() async throws {
        let site = try LocalSite.require()
        let interaction = RecordingInteraction(keyboardInteractive: site.password)
        let ssh = try await site.connect(site.settings(identity: "/nonexistent/key"), interaction: interaction)
        let result = try await ssh.run(["id", "-un"])
        ssh.close()
        #expect(result.stdoutText == site.user + "\n")
        #expect(interaction.asked.count == 1)
        #expect(interaction.asked.first?.hasPrefix("kbd ") == true)
        #expect(interaction.asked.first?.lowercased().contains("password") == true)
    }

    @Test func passwordIsTriedLastWhenNothingElseAnswers() async throws {
        let site = try LocalSite.require()
        let interaction = NonInteractive(password: site.password)
        let ssh = try await site.connect(site.settings(identity: "/nonexistent/key"), interaction: interaction)
        let result = try await ssh.run(["id", "-un"])
        ssh.close()
        #expect(result.stdoutText == site.user + "\n")
        #expect(ssh.details.authenticatedWith == "password")
        await #expect {
            _ = try await site.connect(site.settings(identity: "/nonexistent/key"), interaction: NonInteractive(password: "wrong"))
        } throws: { error in
            // OpenSSH's order: key files, then keyboard-interactive, password last; a
            // missing key file is named as such, not as a key the server refused.
            guard case let SSHError.authentication(_, offered, tried, detail) = error else { return false }
            return offered.contains("password") && tried == ["keyboard-interactive", "password"]
                && detail.contains("no such identity file /nonexistent/key")
        }
    }

    @Test func agentIdentitiesAreTriedFirst() async throws {
        let site = try LocalSite.require()
        let dir = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let socket = dir.appendingPathComponent("agent.sock").path
        let agent = try Tool.spawn("/usr/bin/ssh-agent", ["-D", "-a", socket])
        defer { agent.terminate() }
        // Under the full suite's load the agent can take seconds to listen (2.5 s was once too few).
        let deadline = ContinuousClock.now + .seconds(30)
        while !FileManager.default.fileExists(atPath: socket), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        try #require(FileManager.default.fileExists(atPath: socket), "ssh-agent did not listen within 30 s")
        let added = try Tool.run("/usr/bin/ssh-add", [site.identity], environment: ["SSH_AUTH_SOCK": socket])
        #expect(added.status == 0, "\(added.err)")
        let interaction = RecordingInteraction()
        // The key file would work too: the agent must be asked before it.
        var settings = site.settings(identity: site.identity, useAgent: true, agentSocket: socket)
        settings.identitiesOnly = false
        let ssh = try await site.connect(settings, interaction: interaction)
        ssh.close()
        #expect(ssh.details.authenticatedWith == "publickey (agent)")
        #expect(interaction.asked.isEmpty, "the agent's key was enough")
    }

    @Test func sshConfigAliasIsResolved() async throws {
        let site = try LocalSite.require()
        let config = SSHConfigFile(text: """
            # a user's ~/.ssh/config
            Host other
              HostName example.invalid
            Host hpcs-login login-*
              HostName \(site.host)
              Port \(site.port)
              User \(site.user)
              IdentityFile \(site.identity)
              IdentitiesOnly yes
              UserKnownHostsFile \(site.knownHosts)
              ServerAliveInterval 7
              SomeFutureOption whatever
            Host *
              User nobody
              Port 22
            """)
        let settings = ConnectionSettings.resolve(alias: "hpcs-login", user: nil, port: nil, identityFile: nil,
                                                  knownHosts: nil, sshConfig: config)
        #expect(settings.host == site.host && settings.port == site.port && settings.user == site.user)
        #expect(settings.serverAliveInterval == 7)
        // A loaded machine's sshd may drop a connection before its banner: not what this test is about.
        let ssh = try await retryingADroppedHandshake { try await SSHConnection.connect(settings, interaction: NonInteractive()) }
        defer { ssh.close() }
        #expect(try await ssh.run(["true"]).status.succeeded)
    }

    @Test func proxyJumpTunnelsThroughAJumpHost() async throws {
        let site = try LocalSite.require()
        let config = SSHConfigFile(text: """
            Host inner
              HostName \(site.host)
              Port \(site.port)
              ProxyJump \(site.user)@\(site.host):\(site.port)
            Host *
              IdentityFile \(site.identity)
              UserKnownHostsFile \(site.knownHosts)
              User \(site.user)
            """)
        let settings = ConnectionSettings.resolve(alias: "inner", user: nil, port: nil, identityFile: nil,
                                                  knownHosts: nil, sshConfig: config)
        #expect(settings.jumpHosts.count == 1)
        // A loaded machine's sshd may drop a connection before its banner: not what this test is about.
        let ssh = try await retryingADroppedHandshake { try await SSHConnection.connect(settings, interaction: NonInteractive()) }
        defer { ssh.close() }
        let result = try await ssh.run(["sh", "-c", "echo $SSH_CLIENT"])
        #expect(result.stdoutText.hasPrefix("127.0.0.1 "))
        #expect(ssh.localPort == nil, "the session runs over the tunnel, not its own TCP socket")
        // Proof of the tunnel: the TCP connection the inner session arrived on
        // was opened by the jump host's sshd, not by this process.
        let clientPort = try #require(result.stdoutText.split(separator: " ").dropFirst().first.map(String.init))
        let sockets = try Tool.run("/usr/bin/ss", ["-Htnp", "state", "established", "sport", "= :\(clientPort)"])
        #expect(sockets.out.contains("\"sshd\""), "the connection from port \(clientPort) belongs to: \(sockets.out)")
        #expect(!sockets.out.contains("pid=\(getpid()),"), "not to the test process")
    }

    /// `ProxyJump a,b`: through a to b, through b to the target, each hop
    /// a real SSH session; a `Host *` ProxyJump that would loop stops.
    @Test func proxyJumpChainsSeveralHops() async throws {
        let site = try LocalSite.require()
        let config = SSHConfigFile(text: """
            Host inner
              HostName \(site.host)
              Port \(site.port)
              ProxyJump hop1,hop2
            Host hop1 hop2
              HostName \(site.host)
              Port \(site.port)
            Host *
              IdentityFile \(site.identity)
              UserKnownHostsFile \(site.knownHosts)
              User \(site.user)
            """)
        let settings = ConnectionSettings.resolve(alias: "inner", user: nil, port: nil, identityFile: nil,
                                                  knownHosts: nil, sshConfig: config)
        #expect(settings.jumpHosts.count == 2)
        // A loaded machine's sshd may drop a connection before its banner: not what this test is about.
        let ssh = try await retryingADroppedHandshake { try await SSHConnection.connect(settings, interaction: NonInteractive()) }
        defer { ssh.close() }
        #expect(try await ssh.run(["true"]).status.succeeded)
        #expect(ssh.localPort == nil)

        let looping = SSHConfigFile(text: "Host *\n  ProxyJump loop\n")
        let resolved = ConnectionSettings.resolve(alias: "x", user: "u", port: nil, identityFile: nil, knownHosts: nil, sshConfig: looping)
        var depth = 0
        var hop = resolved
        while let next = hop.jumpHosts.first { depth += 1; hop = next }
        #expect(depth == 8, "resolution stops after eight nested hops")
    }
}
