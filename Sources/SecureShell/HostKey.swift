import Foundation

/// A server's public host key as received during the handshake.
public struct HostKey: Sendable, Hashable {
    /// The key blob in SSH wire format.
    public let blob: [UInt8]

    public init(blob: [UInt8]) { self.blob = blob }

    /// The algorithm name stored in the blob (`ssh-ed25519`, `ecdsa-sha2-nistp256`, …).
    public var keyType: String {
        guard blob.count >= 4 else { return "unknown" }
        let length = Int(blob[0]) << 24 | Int(blob[1]) << 16 | Int(blob[2]) << 8 | Int(blob[3])
        guard length > 0, blob.count >= 4 + length else { return "unknown" }
        return String(decoding: blob[4..<(4 + length)], as: UTF8.self)
    }

    /// The fingerprint exactly as OpenSSH prints it: `SHA256:` + unpadded base64.
    public var fingerprint: String {
        var encoded = Data(Digest.sha256(blob)).base64EncodedString()
        while encoded.hasSuffix("=") { encoded.removeLast() }
        return "SHA256:" + encoded
    }

    /// The `type base64` pair of a known_hosts line.
    public var knownHostsText: String { "\(keyType) \(Data(blob).base64EncodedString())" }
}

/// A host key met for the first time: the caller decides.
public struct UnknownHostKey: Sendable, Equatable {
    public let host: String
    public let port: Int
    public let key: HostKey
    /// The file an accepted key would be appended to.
    public let knownHostsFile: String
    /// Refused without asking, because ssh_config says `StrictHostKeyChecking yes`.
    public var refusedByStrictChecking = false

    public init(host: String, port: Int, key: HostKey, knownHostsFile: String) {
        self.host = host
        self.port = port
        self.key = key
        self.knownHostsFile = knownHostsFile
    }

    public var keyType: String { key.keyType }
    public var fingerprint: String { key.fingerprint }
    public var hostDescription: String { port == 22 ? host : "[\(host)]:\(port)" }
}

/// What the caller decided about an unknown host key.
public enum HostKeyDecision: Sendable, Equatable {
    /// Trust it for this connection only.
    case acceptOnce
    /// Trust it and append it to the known_hosts file.
    case acceptAndRemember
    case refuse
}

/// A recorded key that does not match the one the server presented.
public struct HostKeyMismatch: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let port: Int
    public let file: String
    public let line: Int
    public let recordedType: String
    public let recordedFingerprint: String
    public let presentedType: String
    public let presentedFingerprint: String
    public let revoked: Bool

    public var description: String {
        let name = port == 22 ? host : "[\(host)]:\(port)"
        if revoked {
            return "the host key of \(name) (\(presentedType) \(presentedFingerprint)) is marked @revoked "
                + "in \(file) line \(line); connection refused"
        }
        return "THE HOST KEY OF \(name) HAS CHANGED: \(file) line \(line) records \(recordedType) "
            + "\(recordedFingerprint), the server presented \(presentedType) \(presentedFingerprint). "
            + "Someone may be intercepting the connection, or the key was replaced. Connection refused; "
            + "if the site confirms the new key, remove line \(line) of \(file)."
    }
}

/// What a connection learned while it was set up, for diagnostics
/// (`hpcs-job doctor`) and the connection summary.
public struct ConnectionDetails: Sendable, Equatable {
    public let hostKey: HostKey
    /// False when the key was accepted during this connection.
    public let hostKeyWasKnown: Bool
    /// The methods the server offered first ("publickey", "keyboard-interactive", …).
    public let offeredMethods: [String]
    /// The method that succeeded, e.g. "publickey /home/me/.ssh/id_ed25519".
    public let authenticatedWith: String
}
