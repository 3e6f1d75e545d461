import Foundation

/// The network steps under an SSH connection, one at a time, for diagnostics:
/// a name that does not resolve and a port that refuses are told apart.
public enum NetworkProbe {
    /// The numeric addresses `host` resolves to (IPv4 and IPv6).
    public static func addresses(of host: String, port: Int) throws -> [String] {
        try withAddresses(host: host, port: port) { first in
            var found: [String] = []
            var cursor: UnsafeMutablePointer<addrinfo>? = first
            while let info = cursor {
                cursor = info.pointee.ai_next
                var name = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                if getnameinfo(info.pointee.ai_addr, info.pointee.ai_addrlen, &name, socklen_t(name.count), nil, 0,
                               NI_NUMERICHOST) == 0 {
                    let text = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                    if !found.contains(text) { found.append(text) }
                }
            }
            return found
        }
    }

    /// Opens a TCP connection and closes it again; how long it took.
    public static func tcp(host: String, port: Int, timeout: Duration) throws -> Duration {
        let start = ContinuousClock.now
        let fd = try openTCP(host: host, port: port, timeout: timeout)
        close(fd)
        return ContinuousClock.now - start
    }
}
