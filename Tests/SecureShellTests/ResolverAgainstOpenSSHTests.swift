import Foundation
@testable import SecureShell
import SiteTestSupport
import Testing

/// The ssh_config resolver against OpenSSH itself: the same file, alias and
/// user given to `ssh -G -F FILE`, every value hpcs-job uses compared with
/// what ssh printed. (`ssh -G` prints IdentityFile and User as written, so
/// those are compared as written; their tokens are tested on their own.)
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/ssh"), "needs OpenSSH's ssh (openssh-client)"))
struct ResolverAgainstOpenSSHTests {
    static let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hpcs-ssh-g-\(getpid())")

    static let included = """
        Host inc-*
          HostName %h.included.example
          Port 2201
        Host *.cluster
          User from-include
        """

    static let conditional = """
        HashKnownHosts no
        Host nomatch
          User never
        """

    static let config = """
        # First value wins, Host negation, Include in place (and inside a
        # Host block: read only when it applies), Match in order.
        Include \(directory.path)/conf.d/*.conf
        Host lumi
          HostName lumi.csc.fi
          User alice
          IdentityFile ~/.ssh/id_%h_%r
          HostKeyAlias lumi-key
          ConnectTimeout 7
        Host lumi
          HostName ignored.example
          Include \(directory.path)/conditional.conf
          Port 2022
        Host *.cluster !bad.cluster
          ProxyJump jump1,carol@jump2:2222
          StrictHostKeyChecking accept-new
        Host bad.cluster
          ProxyCommand /usr/bin/nc %h %p
        Match originalhost lumi user bob
          Port 2200
        Match host lumi.csc.fi
          ServerAliveInterval 9
          HashKnownHosts yes
        Match host other.example,!*.csc.fi
          ServerAliveInterval 11
        Match !host lumi.csc.fi originalhost x*
          ConnectTimeout 3
        Match localuser \(NSUserName())
          GlobalKnownHostsFile /etc/hpcs/known_hosts /etc/hpcs/known_hosts2
        Match all
          StrictHostKeyChecking yes
          UserKnownHostsFile ~/.ssh/known_hosts_%h
        """

    /// What `ssh -G` prints, key → value.
    func openSSH(_ alias: String, user: String?) throws -> [String: String] {
        try FileManager.default.createDirectory(at: Self.directory.appendingPathComponent("conf.d"), withIntermediateDirectories: true)
        try Self.config.write(to: Self.directory.appendingPathComponent("config"), atomically: true, encoding: .utf8)
        try Self.included.write(to: Self.directory.appendingPathComponent("conf.d/10-inc.conf"), atomically: true, encoding: .utf8)
        try "Host inc-*\n  Port 9999\n  User later\n".write(to: Self.directory.appendingPathComponent("conf.d/20-later.conf"), atomically: true,
                                                             encoding: .utf8)
        try Self.conditional.write(to: Self.directory.appendingPathComponent("conditional.conf"), atomically: true, encoding: .utf8)
        let result = try Tool.run("/usr/bin/ssh", ["-G", "-F", Self.directory.appendingPathComponent("config").path]
                                  + (user.map { ["-l", $0] } ?? []) + [alias])
        #expect(result.status == 0, "\(result.err)")
        var values: [String: String] = [:]
        for line in String(decoding: result.stdout, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let key = String(parts[0])
            values[key] = values[key].map { $0 + "\n" + parts[1] } ?? String(parts[1])
        }
        return values
    }

    @Test(arguments: [("lumi", nil), ("lumi", "bob"), ("node.cluster", nil), ("bad.cluster", nil), ("inc-a", nil),
                      ("inc-a.cluster", nil), ("x-other", nil), ("other.example", nil)] as [(String, String?)])
    func resolvedValuesAreOpenSSHs(alias: String, user: String?) throws {
        let expected = try openSSH(alias, user: user)
        let file = SSHConfigFile.load(path: Self.directory.appendingPathComponent("config").path)
        let found = file.resolve(alias: alias, user: user)
        let settings = ConnectionSettings.resolve(alias: alias, user: user, port: nil, identityFile: nil, knownHosts: nil, sshConfig: file)
        #expect(file.warnings.isEmpty)
        #expect(settings.host == expected["hostname"], "hostname")
        #expect(String(settings.port) == expected["port"], "port")
        // The resolver's own answer (with a user given, ssh -G -l says that user: the resolver must too).
        #expect(settings.user == expected["user"] || (found.user == nil && user == nil && expected["user"] == NSUserName()), "user")
        #expect(found.hostKeyAlias == expected["hostkeyalias"], "hostkeyalias")
        #expect(found.connectTimeout.map(String.init) ?? "none" == expected["connecttimeout"], "connecttimeout")
        #expect(String(found.serverAliveInterval ?? 0) == expected["serveraliveinterval"], "serveraliveinterval")
        #expect((found.strictHostKeyChecking == "yes" ? "true" : found.strictHostKeyChecking ?? "ask") == expected["stricthostkeychecking"],
                "stricthostkeychecking")
        #expect(((found.hashKnownHosts ?? false) ? "yes" : "no") == expected["hashknownhosts"], "hashknownhosts")
        #expect(settings.globalKnownHostsFiles.joined(separator: " ") == expected["globalknownhostsfile"], "globalknownhostsfile")
        #expect(found.proxyJump == expected["proxyjump"], "proxyjump")
        #expect(found.proxyCommand == expected["proxycommand"], "proxycommand")
        // Where the config names none, ssh -G prints OpenSSH's defaults: then the resolver must have found none either.
        let defaultIdentities = (expected["identityfile"] ?? "").split(separator: "\n").allSatisfy { $0.hasPrefix("~/.ssh/id_") }
        if found.identityFiles.isEmpty {
            #expect(defaultIdentities, "the config names identity files the resolver missed: \(expected["identityfile"] ?? "")")
        } else {
            #expect(found.identityFiles.joined(separator: "\n") == expected["identityfile"], "identityfile")
        }
        if found.knownHostsFiles.isEmpty {
            #expect(expected["userknownhostsfile"] == "~/.ssh/known_hosts ~/.ssh/known_hosts2",
                    "the config names known_hosts files the resolver missed: \(expected["userknownhostsfile"] ?? "")")
        } else {
            #expect(settings.knownHostsFiles.joined(separator: " ") == expected["userknownhostsfile"], "userknownhostsfile")
        }
    }

    @Test func unsupportedMatchCriteriaAreSkippedWithAWarning() {
        let file = SSHConfigFile(text: """
            Match exec "test -e /nonexistent" host x
              Port 1
            Match canonical
              Port 2
            Match !tagged foo
              Port 3
            """)
        #expect(file.resolve(alias: "x").port == nil, "never applied")
        #expect(file.warnings.count == 3)
        #expect(file.warnings.first?.contains("Match exec test -e /nonexistent") == true)
    }
}
