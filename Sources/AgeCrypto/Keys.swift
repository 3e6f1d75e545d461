import Foundation

/// An age X25519 identity (private key), `AGE-SECRET-KEY-1…`.
///
///     let identity = X25519Identity.generate()
///     let recipient = identity.recipient      // age1…
public final class X25519Identity: Sendable {
    let secret: SecretBytes
    public let recipient: X25519Recipient

    init(secret: SecretBytes) {
        self.secret = secret
        recipient = X25519Recipient(publicKey: Primitives.x25519Base(scalar: secret))
    }

    public static func generate() -> X25519Identity {
        _ = Primitives.ready
        return X25519Identity(secret: SecretBytes.random(count: 32))
    }

    /// Parses `AGE-SECRET-KEY-1…`; other identity types are reported as unsupported.
    public convenience init(parsing text: String) throws {
        _ = Primitives.ready
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        // Bound as a `var` straight from the call, so the key bytes are wiped in place below.
        guard case (let hrp, var data)? = Bech32.decode(trimmed) else {
            throw AgeError.invalidKey("not a valid Bech32 identity")
        }
        defer { wipe(&data) }
        guard hrp == "age-secret-key-" else {
            if hrp.hasPrefix("age-secret-key-") || hrp.hasPrefix("age-plugin-") {
                throw AgeError.unsupported("identity type \(hrp.uppercased())")
            }
            throw AgeError.invalidKey("unexpected identity prefix \(hrp.uppercased())")
        }
        guard trimmed == trimmed.uppercased() else { throw AgeError.invalidKey("identities are upper case") }
        guard data.count == 32 else { throw AgeError.invalidKey("an X25519 identity holds 32 bytes") }
        self.init(secret: SecretBytes(copying: data))
    }

    /// The Bech32 text; handle as a secret.
    public func encoded() -> String {
        Bech32.encode(hrp: "AGE-SECRET-KEY-", data: Array(secret.bytes)).uppercased()
    }
}

/// An age X25519 recipient (public key), `age1…`.
public struct X25519Recipient: Sendable, Hashable, CustomStringConvertible {
    public let publicKey: [UInt8]

    init(publicKey: [UInt8]) { self.publicKey = publicKey }

    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let (hrp, data) = Bech32.decode(trimmed) else { throw AgeError.invalidKey("not a valid Bech32 recipient") }
        guard hrp == "age" else {
            throw hrp.hasPrefix("age") ? AgeError.unsupported("recipient type \(hrp)") : AgeError.invalidKey("recipients start with age1")
        }
        guard trimmed == trimmed.lowercased() else { throw AgeError.invalidKey("recipients are lower case") }
        guard data.count == 32 else { throw AgeError.invalidKey("an X25519 recipient holds 32 bytes") }
        publicKey = data
    }

    public var description: String { Bech32.encode(hrp: "age", data: publicKey) }
}

/// Identity files as `age-keygen` writes them: comment lines, then one key
/// per line.
public enum IdentityFile {
    /// The file's text for an identity, with creation time and public key.
    public static func contents(of identity: X25519Identity, created: Date = Date()) -> SecretBytes {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        let text = "# created: \(formatter.string(from: created))\n# public key: \(identity.recipient)\n\(identity.encoded())\n"
        return SecretBytes(copying: text.utf8)
    }

    /// Writes atomically with mode 0600 (temporary file in the same
    /// directory, fsync, rename); optionally passphrase-protected (scrypt).
    public static func write(_ identity: X25519Identity, to url: URL, passphrase: String? = nil) throws {
        let plain = contents(of: identity)
        if let passphrase {
            let output = MemorySink()
            try Age.encrypt(from: MemorySource(plain.bytes), to: output,
                            recipients: [ScryptRecipient(passphrase: passphrase)], armor: true)
            try SecureFile.writeAtomically(output.data, to: url)
        } else {
            try SecureFile.writeAtomically(plain.bytes, to: url)
        }
    }

    /// Reads identities from a file (plain, or age-encrypted with a passphrase).
    public static func read(_ url: URL, passphrase: (() -> String?)? = nil) throws -> [X25519Identity] {
        guard var data = FileManager.default.contents(atPath: url.path) else {
            throw AgeError.io("cannot read identity file \(url.path)")
        }
        let secret = SecretBytes(copying: data)
        // The buffer that was read, held only here: wiped in place, not a copy of it.
        data.resetBytes(in: 0..<data.count)
        let text = String(decoding: secret.bytes, as: UTF8.self)
        if text.hasPrefix("age-encryption.org/v1\n") || text.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("-----BEGIN AGE ENCRYPTED FILE-----") {
            guard let phrase = passphrase?() else { throw AgeError.invalidKey("\(url.path) is passphrase-protected") }
            let sink = MemorySink()
            try Age.decrypt(from: MemorySource(secret.bytes), to: sink, identities: [ScryptIdentity(passphrase: phrase)])
            return try parse(String(decoding: sink.data, as: UTF8.self), file: url.path)
        }
        return try parse(text, file: url.path)
    }

    static func parse(_ text: String, file: String) throws -> [X25519Identity] {
        var identities: [X25519Identity] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            do {
                identities.append(try X25519Identity(parsing: trimmed))
            } catch let error as AgeError {
                throw AgeError.invalidKey("\(file) line \(number + 1): \(error)")
            }
        }
        guard !identities.isEmpty else { throw AgeError.invalidKey("\(file) holds no identity") }
        return identities
    }
}

/// Writes secret files: mode 0600 from creation, fsync, atomic rename.
public enum SecureFile {
    public static func writeAtomically(_ bytes: UnsafeRawBufferPointer, to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).tmp-\(UUID().uuidString.prefix(8))")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw AgeError.io("cannot create \(temporary.path): \(String(cString: strerror(errno)))") }
        var written = 0
        while written < bytes.count {
            let count = Foundation.write(fd, bytes.baseAddress.unsafelyUnwrapped + written, bytes.count - written)
            if count <= 0 {
                close(fd)
                unlink(temporary.path)
                throw AgeError.io("cannot write \(temporary.path): \(String(cString: strerror(errno)))")
            }
            written += count
        }
        guard fsync(fd) == 0, close(fd) == 0, rename(temporary.path, url.path) == 0 else {
            unlink(temporary.path)
            throw AgeError.io("cannot store \(url.path): \(String(cString: strerror(errno)))")
        }
    }

    public static func writeAtomically(_ data: Data, to url: URL) throws {
        try data.withUnsafeBytes { try writeAtomically($0, to: url) }
    }
}
