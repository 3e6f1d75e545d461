import Foundation
import SecureShell
import SiteTestSupport
import Testing

/// The login node reached over IPv6: a second sshd of the site's own
/// configuration and host key, listening on [::1] only, for this test.
@Suite(.enabled(if: LocalSite.isExpected, "\(LocalSite.howToStart)"),
       .enabled(if: IPv6Loopback.isAvailable, "this machine has no IPv6 loopback (::1)"))
struct IPv6Tests {
    @Test func connectsOverIPv6CheckingTheBracketedKnownHostsEntry() async throws {
        let site = try LocalSite.require()
        let dir = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = try IPv6Loopback.freePort()
        let etc = site["HPCS_SITE_ROOT"] + "/etc"
        let siteConfig = try String(contentsOfFile: etc + "/sshd_config", encoding: .utf8)
        let config = siteConfig.split(separator: "\n").filter {
            !$0.hasPrefix("ListenAddress") && !$0.hasPrefix("Port") && !$0.hasPrefix("PidFile")
        }.joined(separator: "\n") + "\nListenAddress [::1]:\(port)\nPidFile \(dir.path)/sshd.pid\n"
        let configFile = dir.appendingPathComponent("sshd_config")
        try config.write(to: configFile, atomically: true, encoding: .utf8)
        let sshd = try Tool.spawn("/usr/sbin/sshd", ["-D", "-e", "-f", configFile.path])
        defer { sshd.terminate() }

        let hostKey = try String(contentsOfFile: etc + "/ssh_host_ed25519_key.pub", encoding: .utf8)
            .split(separator: " ").prefix(2).joined(separator: " ")
        let knownHosts = dir.appendingPathComponent("known_hosts")
        try "[::1]:\(port) \(hostKey)\n".write(to: knownHosts, atomically: true, encoding: .utf8)
        var settings = site.settings(knownHosts: knownHosts.path)
        settings.host = "::1"
        settings.port = port
        var connection: SSHConnection?
        for _ in 0..<100 where connection == nil {
            do { connection = try await SSHConnection.connect(settings, interaction: NonInteractive()) } catch let error as SSHError {
                guard case .connect = error else { throw error }
                try await Task.sleep(for: .milliseconds(50)) // sshd still starting
            }
        }
        let ssh = try #require(connection)
        defer { ssh.close() }
        let result = try await ssh.run(RemoteCommand(script: "printf '%s' \"${SSH_CONNECTION%% *}\""))
        #expect(result.stdoutText == "::1", "the server saw the client come from ::1")
    }
}

enum IPv6Loopback {
    static var isAvailable: Bool { (try? freePort()) != nil }

    /// A port free on ::1 at the moment of asking.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CocoaError(.fileReadUnknown) }
        defer { close(fd) }
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_addr = in6addr_loopback
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
        }
        guard bound == 0 else { throw CocoaError(.fileReadUnknown) }
        var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin6_port))
    }
}
