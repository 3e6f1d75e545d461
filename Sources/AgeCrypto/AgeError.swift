/// Why an age operation failed. Messages never contain key material.
public enum AgeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The header is malformed (version, stanza syntax, encoding, nonce).
    case header(String)
    /// No identity could unwrap the file key.
    case noMatch
    /// The file key was found but the header MAC does not verify.
    case headerMAC
    /// A payload chunk failed authentication or is malformed.
    case payload(String)
    /// The payload ended before its final chunk.
    case truncated
    /// Data follows the final chunk.
    case trailingData
    /// The ASCII armor is malformed.
    case armor(String)
    /// A key of a type this implementation does not support (e.g. ML-KEM hybrid).
    case unsupported(String)
    /// A key string or identity file is invalid.
    case invalidKey(String)
    /// Reading or writing failed.
    case io(String)

    public var description: String {
        switch self {
        case let .header(why): return "invalid age header: \(why)"
        case .noMatch: return "no identity matches any recipient of this file (wrong key?)"
        case .headerMAC: return "the age header's MAC does not verify: the file was modified or the key is wrong"
        case let .payload(why): return "the encrypted payload is corrupt: \(why)"
        case .truncated: return "the encrypted file is truncated (its final chunk is missing)"
        case .trailingData: return "the encrypted file has trailing data after its final chunk"
        case let .armor(why): return "invalid ASCII armor: \(why)"
        case let .unsupported(what): return "unsupported: \(what)"
        case let .invalidKey(why): return "invalid key: \(why)"
        case let .io(why): return why
        }
    }
}
