import Foundation
@testable import SecureShell
import SiteTestSupport
import Testing

/// Where connection settings come from, without a server.
struct SettingsTests {
    /// A known_hosts line without a port is the host on port 22, and only there.
    @Test func aPlainKnownHostsLineIsPort22() throws {
        let dir = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let blob = Data(base64Encoded: "AAAAC3NzaC1lZDI1NTE5AAAAIHfj0Yhr6Fxtx1O8JUoS4s+MaTHXxjRBh/B0Tx93IqzK") ?? Data()
        let key = HostKey(blob: Array(blob))
        let file = dir.appendingPathComponent("known_hosts")
        try "login.example.org \(key.knownHostsText)\n".write(to: file, atomically: true, encoding: .utf8)
        let knownHosts = try KnownHosts(files: [file.path])
        #expect(knownHosts.verify(host: "login.example.org", port: 22, key: key) == .match)
        #expect(knownHosts.verify(host: "login.example.org", port: 2222, key: key) == .unknown)
        #expect(knownHosts.verify(host: "other.example.org", port: 22, key: key) == .unknown)
    }

    /// The HPCS config's values win over ~/.ssh/config's for the same host;
    /// what it leaves out comes from ~/.ssh/config.
    @Test func explicitValuesOverrideSSHConfig() {
        let config = SSHConfigFile(text: """
            Host login.example.org
                HostName real-login.example.org
                User fromconfig
                Port 2200
                IdentityFile ~/.ssh/from_config
                ConnectTimeout 7
                ServerAliveInterval 9
            """)
        let explicit = ConnectionSettings.resolve(alias: "login.example.org", user: "alice", port: 2222,
                                                  identityFile: "/keys/explicit", knownHosts: "/kh", sshConfig: config)
        #expect(explicit.host == "real-login.example.org" && explicit.user == "alice" && explicit.port == 2222)
        #expect(explicit.identityFiles.first == "/keys/explicit" && explicit.knownHostsFiles == ["/kh"])
        #expect(explicit.connectTimeout == .seconds(7) && explicit.serverAliveInterval == 9)
        let fromConfig = ConnectionSettings.resolve(alias: "login.example.org", user: nil, port: nil, identityFile: nil,
                                                    knownHosts: nil, sshConfig: config)
        #expect(fromConfig.user == "fromconfig" && fromConfig.port == 2200)
        #expect(fromConfig.identityFiles.first?.hasSuffix("/.ssh/from_config") == true)
    }

    /// ConnectTimeout bounds a server that accepts TCP but never speaks SSH.
    @Test func connectTimeoutEndsASilentHandshake() async throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        #expect(bound == 0 && listen(fd, 4) == 0)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let port = Int(UInt16(bigEndian: address.sin_port))
        let settings = ConnectionSettings(host: "127.0.0.1", port: port, user: "nobody", connectTimeout: .seconds(1))
        // The failure is libssh2's own timeout during the handshake (the
        // server never closed): the limit was applied. No wall-clock bound
        // here: under the full suite an async test may wait for a free thread.
        await #expect {
            _ = try await SSHConnection.connect(settings, interaction: NonInteractive())
        } throws: { error in
            guard case let .timeout(what)? = error as? SSHError else { return false }
            return what.hasPrefix("the SSH handshake")
        }
    }
}

/// Host patterns as OpenSSH reads them.
struct GlobTests {
    @Test(arguments: [
        ("*", "anything", true), ("*.example.org", "login.example.org", true), ("*.example.org", "example.org", false),
        ("log?n", "login", true), ("log?n", "logn", false), ("a*b*c", "axxbyyc", true), ("a*b*c", "axxbyy", false),
        ("", "", true), ("", "x", false), ("**", "", true), ("*?", "", false), ("[127.0.0.1]:2222", "[127.0.0.1]:2222", true),
    ])
    func patternsMatchAsOpenSSHs(pattern: String, text: String, expected: Bool) {
        #expect(SSHConfigFile.block([pattern], matches: text) == expected)
    }

    /// Found by fuzzing: a pattern of many stars took exponential time.
    @Test func manyStarsMatchInLinearTime() {
        let pattern = "*?t" + String(repeating: "*", count: 60) + "h"
        let started = ContinuousClock.now
        #expect(!SSHConfigFile.block([pattern], matches: String(repeating: "a", count: 200)))
        #expect(SSHConfigFile.block([pattern], matches: String(repeating: "a", count: 100) + "t" + String(repeating: "b", count: 99) + "h"))
        #expect(ContinuousClock.now - started < .seconds(5), "exponential backtracking would take hours")
    }
}

/// `Include` as OpenSSH reads it.
struct IncludeTests {
    @Test func includedFilesAreReadInPlaceInGlobOrder() throws {
        let dir = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try "Host b.example.org\n    User from-b\n".write(to: dir.appendingPathComponent("20-b.conf"), atomically: true, encoding: .utf8)
        try "Host *.example.org\n    Port 2201\n    User from-a\n".write(to: dir.appendingPathComponent("10-a.conf"),
                                                                           atomically: true, encoding: .utf8)
        let config = SSHConfigFile(text: "Include \(dir.path)/*.conf\nHost *\n    Port 22\n", includeBase: "/nonexistent", depth: 0)
        let resolved = config.resolve(alias: "b.example.org")
        #expect(resolved.port == 2201 && resolved.user == "from-a", "first value wins, in glob order")
    }

    /// Found by fuzzing: devices, directories and huge files are not read
    /// (and Foundation's file reading leaked on some special files).
    @Test func onlySmallRegularFilesAreIncluded() {
        let config = SSHConfigFile(text: "Include /dev/zero /dev /proc/self/stat\nHost x\n    HostName y\n", includeBase: "/", depth: 0)
        #expect(config.resolve(alias: "x").hostName == "y")
    }

    /// Found by fuzzing (ssh-config target): `Include /*/*` said a few times
    /// read every small file on the disk, again and again. All of a file's
    /// Includes together read at most 256 files, and say so beyond that.
    @Test func includesHaveABudget() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("include-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for index in 0..<300 {
            try "Host h\(index)\n    HostName n\(index)\n".write(to: folder.appendingPathComponent(String(format: "%03d.conf", index)),
                                                                 atomically: true, encoding: .utf8)
        }
        let config = SSHConfigFile(text: "Include \(folder.path)/*\nInclude \(folder.path)/*\n", includeBase: "/", depth: 0)
        #expect(config.resolve(alias: "h255").hostName == "n255")
        #expect(config.resolve(alias: "h256").hostName == nil, "the 257th file is not read")
        #expect(config.warnings.contains { $0.contains("more than 256 files") })
    }
}
