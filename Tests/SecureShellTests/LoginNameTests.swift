import Foundation
@testable import SecureShell
import SiteTestSupport
import Testing

/// Host and user names are names (OpenSSH 9.6's rule): one in a config or
/// an ssh_config HostName/User never reaches a ProxyCommand's shell, and
/// every `%` expansion in that command is one quoted word.
struct LoginNameTests {
    @Test func namesAsOpenSSHAcceptsThem() {
        for host in ["login.example.org", "lumi-uan01", "node_7", "127.0.0.1", "[::1]", "fe80::1", "[2001:db8::1]"] {
            #expect(LoginNames.isValidHost(host), "\(host)")
        }
        for host in ["x$(touch${IFS}/tmp/pwned).example.org", "a,*", "*", "-oProxyCommand=x", ".hidden", "a b", "a;b", "a\u{1b}b", "", "[]"] {
            #expect(!LoginNames.isValidHost(host), "\(host)")
        }
        for user in ["alice", "alice.smith", "a_b-c", "alice@ad.example.org"] { #expect(LoginNames.isValidUser(user), "\(user)") }
        for user in ["u$(id)", "-l", "a b", "a'b", "a`b`", ""] { #expect(!LoginNames.isValidUser(user), "\(user)") }
    }

    /// The issue's exploit: the user's own `Host *.example.org` with a
    /// ProxyCommand, and a host name that is a command substitution.
    @Test func aHostileHostNameNeverRunsInTheProxyCommandsShell() async throws {
        let dir = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let marker = dir.appendingPathComponent("pwned").path
        let config = SSHConfigFile(text: """
            Host *.example.org
                ProxyCommand sh -c 'exit 1' %h %p %r
            """)
        for (alias, user) in [("x$(touch \(marker)).example.org", "alice"), ("login.example.org", "u$(touch \(marker))")] {
            let settings = ConnectionSettings.resolve(alias: alias, user: user, port: 22, identityFile: nil, knownHosts: nil, sshConfig: config)
            // Each expansion is one quoted word, whatever it holds.
            let command = try #require(settings.proxyCommand)
            #expect(command.contains(ShellQuote.quoteIfNeeded(alias)) && command.contains(ShellQuote.quoteIfNeeded(user)), "\(command)")
            do {
                _ = try await SSHConnection.connect(settings, interaction: NonInteractive())
                Issue.record("connected with \(alias) \(user)")
            } catch let SSHError.connect(_, _, reason) {
                #expect(reason.contains("is not a valid"), "\(reason)")
            }
            #expect(!FileManager.default.fileExists(atPath: marker), "the name ran as a command")
        }
    }

    @Test func anExpandedValueIsNotExpandedAgain() {
        let expanded = ConnectionSettings.expand("nc %h %p %%h", alias: "a", host: "h%r%p.example.org", user: "bob", port: 2222, forShell: true)
        #expect(expanded == "nc h%r%p.example.org 2222 %h", "a value holding %r or %p stays as it is: \(expanded)")
        #expect(ConnectionSettings.expand("x %d", alias: "a", forShell: true).hasSuffix(ShellQuote.quoteIfNeeded(ConnectionSettings.home)))
    }

    @Test func aJumpHostWithAHostileNameIsRefusedBeforeAnythingRuns() async {
        let config = SSHConfigFile(text: "Host login.example.org\n    ProxyJump bad;name\n")
        let settings = ConnectionSettings.resolve(alias: "login.example.org", user: "alice", port: 22, identityFile: nil, knownHosts: nil,
                                                  sshConfig: config)
        #expect(LoginNames.problem(in: settings)?.contains("'bad;name' is not a valid host name") == true)
    }
}

/// Several jump hosts a hop under `Host *` multiplied the resolving work by
/// their number at every level (a fuzzing find: half a second an input);
/// the hops resolved in all are bounded.
struct JumpResolutionTests {
    @Test func manyJumpHostsAHopResolveInBoundedWork() {
        let config = SSHConfigFile(text: "Host *\n  ProxyJump a,b,c,d,e,f\n")
        let settings = ConnectionSettings.resolve(alias: "x", user: "u", port: nil, identityFile: nil, knownHosts: nil, sshConfig: config)
        func count(_ hop: ConnectionSettings) -> Int { hop.jumpHosts.reduce(hop.jumpHosts.count) { $0 + count($1) } }
        #expect(settings.jumpHosts.count == 6 && count(settings) <= 64, "\(count(settings)) hops resolved")
    }
}
