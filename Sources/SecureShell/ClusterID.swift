/// Which login a connection, a job or a record belongs to: the user, the
/// host and the port, as reached. Two ports of one host, or two users of one
/// port, are two clusters. Every remote action names one; nothing runs on
/// "whichever connection is active".
public struct ClusterID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var user: String
    public var host: String
    public var port: Int

    public init(user: String, host: String, port: Int) {
        self.user = user
        self.host = host
        self.port = port
    }

    /// `user@host:port`: the one spelling, shown to the user and stored.
    public var description: String { "\(user)@\(host):\(port)" }

    /// The spelling as a file name: anything outside letters, digits and
    /// `.@:-` becomes `_`, so no name can reach outside its folder.
    public var fileName: String {
        String(description.map { char -> Character in
            char.isASCII && (char.isLetter || char.isNumber || ".@:-".contains(char)) ? char : "_"
        })
    }

    /// The same name for a narrow column: the port unless it is 22, the user only where there is room.
    public func compact(withUser: Bool) -> String {
        (withUser ? "\(user)@" : "") + host + (port == 22 ? "" : ":\(port)")
    }

    public static func < (lhs: ClusterID, rhs: ClusterID) -> Bool { lhs.description < rhs.description }
}

extension ConnectionSettings {
    /// The login these settings reach.
    public var cluster: ClusterID { ClusterID(user: user, host: host, port: port) }
}
