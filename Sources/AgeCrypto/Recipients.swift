import Foundation

/// Something a file can be encrypted to.
public protocol AgeRecipient: Sendable {
    func wrap(_ fileKey: SecretBytes) throws -> Stanza
}

/// Something that can unwrap a file key from a header's stanzas.
public protocol AgeIdentity: Sendable {
    /// The file key, or nil when no stanza is for this identity.
    /// Throws `AgeError.header` for a malformed stanza of its own type.
    func unwrap(_ stanzas: [Stanza]) throws -> SecretBytes?
}

private let x25519Label = "age-encryption.org/v1/X25519"
private let zeroNonce = [UInt8](repeating: 0, count: 12)

/// A stanza body: the 16-byte file key sealed under a wrapping key (zero nonce).
private func wrapFileKey(_ fileKey: SecretBytes, with key: SecretBytes) -> [UInt8] {
    var body = [UInt8](repeating: 0, count: fileKey.count + Primitives.aeadTagSize)
    Primitives.seal(key: key, nonce: zeroNonce, plaintext: fileKey.base, count: fileKey.count, into: &body)
    return body
}

/// The file key from a stanza body (32 bytes, checked by the caller), or nil.
private func unwrapFileKey(_ body: [UInt8], with key: SecretBytes) -> SecretBytes? {
    let fileKey = SecretBytes(count: 16)
    let opened = body.withUnsafeBufferPointer {
        Primitives.open(key: key, nonce: zeroNonce, ciphertext: $0.baseAddress.unsafelyUnwrapped, count: $0.count,
                        into: fileKey.mutableBase)
    }
    return opened ? fileKey : nil
}

extension X25519Recipient: AgeRecipient {
    public func wrap(_ fileKey: SecretBytes) throws -> Stanza {
        let ephemeral = SecretBytes.random(count: 32)
        let share = Primitives.x25519Base(scalar: ephemeral)
        guard let shared = Primitives.x25519(scalar: ephemeral, point: publicKey) else {
            throw AgeError.invalidKey("the recipient is a low-order point")
        }
        let key = Primitives.hkdf(ikm: shared, salt: share + publicKey, info: x25519Label)
        let body = wrapFileKey(fileKey, with: key)
        return Stanza(type: "X25519", arguments: [StrictBase64.encode(share, padded: false)], body: body)
    }
}

extension X25519Identity: AgeIdentity {
    public func unwrap(_ stanzas: [Stanza]) throws -> SecretBytes? {
        for stanza in stanzas where stanza.type == "X25519" {
            guard stanza.arguments.count == 1 else { throw AgeError.header("an X25519 stanza has one argument") }
            guard let share = StrictBase64.decodeRaw(Array(stanza.arguments[0].utf8)), share.count == 32 else {
                throw AgeError.header("malformed X25519 share")
            }
            guard stanza.body.count == 32 else { throw AgeError.header("an X25519 stanza wraps a 16-byte file key") }
            guard let shared = Primitives.x25519(scalar: secret, point: share) else {
                throw AgeError.header("the X25519 share is a low-order point")
            }
            let key = Primitives.hkdf(ikm: shared, salt: share + recipient.publicKey, info: x25519Label)
            if let fileKey = unwrapFileKey(stanza.body, with: key) { return fileKey }
        }
        return nil
    }
}

private let scryptLabel = Array("age-encryption.org/v1/scrypt".utf8)

/// A passphrase recipient (scrypt). It must be a file's only recipient.
public struct ScryptRecipient: AgeRecipient {
    let passphrase: SecretBytes
    let workFactor: Int

    public init(passphrase: String, workFactor: Int = 18) {
        self.passphrase = SecretBytes(copying: passphrase.utf8)
        self.workFactor = workFactor
    }

    public func wrap(_ fileKey: SecretBytes) throws -> Stanza {
        let salt = Primitives.randomBytes(16)
        guard let key = Primitives.scrypt(passphrase: passphrase, salt: scryptLabel + salt, logN: workFactor) else {
            throw AgeError.io("scrypt failed (out of memory?)")
        }
        let body = wrapFileKey(fileKey, with: key)
        return Stanza(type: "scrypt", arguments: [StrictBase64.encode(salt, padded: false), String(workFactor)], body: body)
    }
}

/// A passphrase identity. Work factors above `maxWorkFactor` are refused
/// (they would take very long), as the age CLI does.
public struct ScryptIdentity: AgeIdentity {
    let passphrase: SecretBytes
    let maxWorkFactor: Int

    public init(passphrase: String, maxWorkFactor: Int = 22) {
        self.passphrase = SecretBytes(copying: passphrase.utf8)
        self.maxWorkFactor = maxWorkFactor
    }

    public func unwrap(_ stanzas: [Stanza]) throws -> SecretBytes? {
        guard let stanza = stanzas.first(where: { $0.type == "scrypt" }) else { return nil }
        guard stanzas.count == 1 else { throw AgeError.header("an scrypt stanza must be the only one") }
        guard stanza.arguments.count == 2 else { throw AgeError.header("an scrypt stanza has two arguments") }
        guard let salt = StrictBase64.decodeRaw(Array(stanza.arguments[0].utf8)), salt.count == 16 else {
            throw AgeError.header("malformed scrypt salt")
        }
        let factorText = stanza.arguments[1]
        guard let first = factorText.first, first != "0", factorText.allSatisfy(\.isASCII), factorText.allSatisfy(\.isNumber),
              factorText.count <= 2, let workFactor = Int(factorText), workFactor > 0, workFactor < 64 else {
            throw AgeError.header("malformed scrypt work factor")
        }
        guard workFactor <= maxWorkFactor else {
            throw AgeError.header("scrypt work factor \(workFactor) is above the limit \(maxWorkFactor)")
        }
        guard stanza.body.count == 32 else { throw AgeError.header("an scrypt stanza wraps a 16-byte file key") }
        guard let key = Primitives.scrypt(passphrase: passphrase, salt: scryptLabel + salt, logN: workFactor) else {
            throw AgeError.io("scrypt failed (out of memory?)")
        }
        return unwrapFileKey(stanza.body, with: key)
    }
}
