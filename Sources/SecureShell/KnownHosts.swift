import Foundation

/// OpenSSH `known_hosts` files: plain and hashed (`|1|salt|hash`) host names,
/// `[host]:port`, patterns with `*`, `?` and `!`, `@revoked` markers.
public struct KnownHosts: Sendable {
    public struct Entry: Sendable {
        public let file: String
        public let line: Int
        public let hostField: String
        public let key: HostKey
        public let revoked: Bool
    }

    public enum Verdict: Sendable, Equatable {
        case match
        case unknown
        case mismatch(HostKeyMismatch)
    }

    public let files: [String]
    public private(set) var entries: [Entry] = []

    /// Reads every file that exists; a missing file is simply empty.
    public init(files: [String]) throws {
        self.files = files
        for file in files {
            guard FileManager.default.fileExists(atPath: file) else { continue }
            guard let data = FileManager.default.contents(atPath: file) else {
                throw SSHError.localFile(path: file, reason: "cannot read known_hosts file")
            }
            for (index, rawLine) in String(decoding: data, as: UTF8.self).split(
                separator: "\n", omittingEmptySubsequences: false).enumerated() {
                if let entry = Self.parse(line: rawLine, file: file, number: index + 1) { entries.append(entry) }
            }
        }
    }

    static func parse(line: Substring, file: String, number: Int) -> Entry? {
        var fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let first = fields.first, !first.hasPrefix("#") else { return nil }
        var revoked = false
        if first.hasPrefix("@") {
            // @cert-authority lines describe CAs, which this client does not use.
            guard first == "@revoked" else { return nil }
            revoked = true
            fields.removeFirst()
        }
        guard fields.count >= 3, let blob = Data(base64Encoded: fields[2]) else { return nil }
        let key = HostKey(blob: Array(blob))
        guard key.keyType == fields[1] else { return nil }
        return Entry(file: file, line: number, hostField: fields[0], key: key, revoked: revoked)
    }

    /// The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise.
    public static func lookupName(host: String, port: Int) -> String {
        port == 22 ? host : "[\(host)]:\(port)"
    }

    public func entries(forHost host: String, port: Int) -> [Entry] {
        let name = Self.lookupName(host: host, port: port)
        return entries.filter { Self.hostField($0.hostField, matches: name) }
    }

    /// Key types already recorded for the host, to prefer them in negotiation.
    public func knownKeyTypes(host: String, port: Int) -> [String] {
        var seen: [String] = []
        for entry in entries(forHost: host, port: port) where !entry.revoked && !seen.contains(entry.key.keyType) {
            seen.append(entry.key.keyType)
        }
        return seen
    }

    public func verify(host: String, port: Int, key: HostKey) -> Verdict {
        let relevant = entries(forHost: host, port: port)
        if let revoked = entries.first(where: { $0.revoked && $0.key == key }) {
            return .mismatch(mismatch(host, port, revoked, key, revoked: true))
        }
        if relevant.contains(where: { !$0.revoked && $0.key == key }) { return .match }
        // Any other recorded key for this host, same type first, means it changed.
        let recorded = relevant.filter { !$0.revoked }
        if let old = recorded.first(where: { $0.key.keyType == key.keyType }) ?? recorded.first {
            return .mismatch(mismatch(host, port, old, key, revoked: false))
        }
        return .unknown
    }

    private func mismatch(_ host: String, _ port: Int, _ entry: Entry, _ key: HostKey, revoked: Bool) -> HostKeyMismatch {
        HostKeyMismatch(host: host, port: port, file: entry.file, line: entry.line,
                        recordedType: entry.key.keyType, recordedFingerprint: entry.key.fingerprint,
                        presentedType: key.keyType, presentedFingerprint: key.fingerprint, revoked: revoked)
    }

    /// Appends `name type base64` to `file`, creating it (0600, directory 0700).
    public static func append(host: String, port: Int, key: HostKey, to file: String, hashed: Bool = false) throws {
        let url = URL(fileURLWithPath: file)
        let manager = FileManager.default
        do {
            try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true,
                                        attributes: [.posixPermissions: 0o700])
            let descriptor = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw SSHError.localFile(path: file, reason: String(cString: strerror(errno))) }
            defer { close(descriptor) }
            var text = ""
            let size = lseek(descriptor, 0, SEEK_END)
            if size > 0, let existing = manager.contents(atPath: file), existing.last != 0x0A { text += "\n" }
            let name = lookupName(host: host, port: port)
            text += "\(hashed ? hashedName(name) : name) \(key.knownHostsText)\n"
            let bytes = Array(text.utf8)
            guard write(descriptor, bytes, bytes.count) == bytes.count else {
                throw SSHError.localFile(path: file, reason: "cannot append host key: \(String(cString: strerror(errno)))")
            }
        } catch let error as SSHError {
            throw error
        } catch {
            throw SSHError.localFile(path: file, reason: "\(error)")
        }
    }

    /// `|1|salt|HMAC-SHA1(salt, name)`, both base64, with a fresh 20-byte salt, as `HashKnownHosts yes` writes.
    static func hashedName(_ name: String, salt: [UInt8]? = nil) -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = salt ?? (0..<20).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let hash = Digest.hmacSHA1(key: salt, message: Array(name.utf8))
        return "|1|\(Data(salt).base64EncodedString())|\(Data(hash).base64EncodedString())"
    }

    /// Whether a host field (comma-separated patterns, or a hashed name) matches `name`.
    static func hostField(_ field: String, matches name: String) -> Bool {
        if field.hasPrefix("|1|") {
            let parts = field.split(separator: "|", omittingEmptySubsequences: false)
            guard parts.count == 4, let salt = Data(base64Encoded: String(parts[2])),
                  let hash = Data(base64Encoded: String(parts[3])) else { return false }
            return Digest.hmacSHA1(key: Array(salt), message: Array(name.utf8)) == Array(hash)
        }
        var matched = false
        for pattern in field.split(separator: ",") {
            if pattern.hasPrefix("!") {
                if Glob.matches(String(pattern.dropFirst()), name.lowercased()) { return false }
            } else if Glob.matches(String(pattern).lowercased(), name.lowercased()) {
                matched = true
            }
        }
        return matched
    }
}

/// OpenSSH's `*` and `?` patterns.
/// OpenSSH's host patterns: `*` any run, `?` one character. Greedy with
/// one backtrack point (the last `*`), so a pattern of many stars costs
/// O(pattern × text), never exponential time (found by fuzzing ssh-config).
enum Glob {
    static func matches(_ pattern: String, _ text: String) -> Bool {
        let pattern = Array(pattern.utf8), text = Array(text.utf8)
        var p = 0, t = 0
        var star: Int?, resume = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == UInt8(ascii: "?") || pattern[p] == text[t] && pattern[p] != UInt8(ascii: "*") {
                p += 1
                t += 1
            } else if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
                star = p
                resume = t
                p += 1
            } else if let star {
                // Let the last star take one more character and try again.
                p = star + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }
}
