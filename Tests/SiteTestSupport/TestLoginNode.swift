import Foundation

/// A second login node for one test: an sshd of the site's own configuration
/// and host key on another address, with some lines replaced (another
/// `SetEnv`, say). Stopped by `stop()`.
public final class TestLoginNode: Sendable {
    public let host: String
    public let port: Int
    /// `host:port` as known_hosts writes it, with the site's host key.
    public let knownHostsLine: String
    let sshd: ChildProcess

    /// `dropping` removes the site's lines that start with these words;
    /// `adding` appends lines.
    public init(site: LocalSite, directory: URL, ipv6: Bool = false, dropping: [String] = [],
                adding: [String] = []) throws {
        host = ipv6 ? "::1" : "127.0.0.1"
        port = try FreePort.find(ipv6: ipv6)
        let etc = site["HPCS_SITE_ROOT"] + "/etc"
        let siteConfig = try String(contentsOfFile: etc + "/sshd_config", encoding: .utf8)
        let dropped = ["ListenAddress", "Port", "PidFile"] + dropping
        let listen = ipv6 ? "[::1]:\(port)" : "127.0.0.1:\(port)"
        let config = siteConfig.split(separator: "\n").filter { line in
            !dropped.contains { line.hasPrefix($0) }
        }.joined(separator: "\n") + "\n" + (["ListenAddress \(listen)", "PidFile \(directory.path)/sshd.pid"] + adding)
            .joined(separator: "\n") + "\n"
        let configFile = directory.appendingPathComponent("sshd_config")
        try config.write(to: configFile, atomically: true, encoding: .utf8)
        let hostKey = try String(contentsOfFile: etc + "/ssh_host_ed25519_key.pub", encoding: .utf8)
            .split(separator: " ").prefix(2).joined(separator: " ")
        knownHostsLine = "[\(host)]:\(port) \(hostKey)"
        sshd = try Tool.spawn("/usr/sbin/sshd", ["-D", "-e", "-f", configFile.path])
        // Ready when it accepts a connection (sshd binds before it is asked to).
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if FreePort.accepts(host: host, port: port) { return }
            if !sshd.isRunning { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        sshd.terminate()
        throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "test sshd did not start on \(listen)"])
    }

    public func stop() { sshd.terminate() }
}

public enum FreePort {
    /// A TCP port free on the loopback address at the moment of asking.
    public static func find(ipv6: Bool) throws -> Int {
        let fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CocoaError(.fileReadUnknown) }
        defer { close(fd) }
        var storage = sockaddr_storage()
        var length: socklen_t
        if ipv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_addr = in6addr_loopback
            withUnsafeBytes(of: address) { bytes in
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: bytes) }
            }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            withUnsafeBytes(of: address) { bytes in
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: bytes) }
            }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
        }
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw CocoaError(.fileReadUnknown) }
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let port = withUnsafeBytes(of: storage) { bytes in
            bytes.load(fromByteOffset: 2, as: UInt16.self) // sin_port and sin6_port sit after the family
        }
        return Int(UInt16(bigEndian: port))
    }

    /// Whether something accepts TCP connections on host:port now.
    public static func accepts(host: String, port: Int) -> Bool {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let info = list else { return false }
        defer { freeaddrinfo(info) }
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0
    }
}
