/// Everything that can go wrong on an SSH connection, typed so callers can
/// react (ask again, reconnect, show the host-key screen) and worded so it
/// reads well when shown to a person. Never carries a secret.
public enum SSHError: Error, Sendable, Equatable, CustomStringConvertible {
    /// TCP could not be established (DNS, refused, unreachable).
    case connect(host: String, port: Int, reason: String)
    /// A step did not finish in time.
    case timeout(String)
    /// The server's key is not in any known_hosts file and was not accepted.
    case hostKeyNotAccepted(UnknownHostKey)
    /// The server's key differs from a recorded one: always refused.
    case hostKeyChanged(HostKeyMismatch)
    /// No authentication method succeeded.
    case authentication(user: String, offered: [String], tried: [String], detail: String)
    /// A channel could not be opened or used.
    case channel(code: Int32, message: String)
    /// An SFTP request failed with the server's status code.
    case sftp(status: UInt, path: String, message: String)
    /// The connection is gone (server closed it, keepalive unanswered).
    case disconnected(String)
    /// Any other libssh2 failure, with its code and last-error text.
    case libssh2(code: Int32, message: String, during: String)
    /// A local file (key, known_hosts) could not be used.
    case localFile(path: String, reason: String)
    /// The caller cancelled the operation.
    case cancelled

    public var description: String {
        switch self {
        case let .connect(host, port, reason):
            return "cannot connect to \(host) port \(port): \(reason)"
        case let .timeout(what):
            return "timed out: \(what)"
        case let .hostKeyNotAccepted(key) where key.refusedByStrictChecking:
            return "the host key of \(key.hostDescription) is not known and ssh_config says StrictHostKeyChecking yes "
                + "(\(key.keyType) \(key.fingerprint)); verify it with the site's administrators and add it to "
                + "\(key.knownHostsFile)"
        case let .hostKeyNotAccepted(key):
            return "the host key of \(key.hostDescription) is not known and was not accepted "
                + "(\(key.keyType) \(key.fingerprint)); verify it with the site's administrators, "
                + "then accept it interactively or add it to \(key.knownHostsFile)"
        case let .hostKeyChanged(mismatch):
            return mismatch.description
        case let .authentication(user, offered, tried, detail):
            let offeredText = offered.isEmpty ? "none" : offered.joined(separator: ", ")
            let triedText = tried.isEmpty ? "none" : tried.joined(separator: ", ")
            return "authentication as \(user) failed: server offers \(offeredText); tried \(triedText)"
                + (detail.isEmpty ? "" : " (\(detail))")
        case let .channel(code, message):
            return "SSH channel error \(code): \(message)"
        case let .sftp(status, path, message):
            return "SFTP error on \(path): \(message) (status \(status))"
        case let .disconnected(reason):
            return "connection lost: \(reason)"
        case let .libssh2(code, message, during):
            return "SSH error while \(during): \(message) (libssh2 code \(code))"
        case let .localFile(path, reason):
            return "\(path): \(reason)"
        case .cancelled:
            return "cancelled"
        }
    }

    /// True for failures after which the connection is unusable.
    public var isConnectionLost: Bool {
        switch self {
        case .disconnected, .connect: return true
        default: return false
        }
    }
}
