import CSodium

/// libsodium primitives the age format is built from.
enum Primitives {
    static let ready: Bool = sodium_init() >= 0

    /// A MAC (not secret): returned as an array.
    static func hmacSHA256(key: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        out.withUnsafeMutableBufferPointer { hmacSHA256(key: key, message: message, into: $0.baseAddress.unsafelyUnwrapped) }
        return out
    }

    /// Writes the 32-byte HMAC into `out` (a secret's own storage, when it is key material).
    static func hmacSHA256(key: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer, into out: UnsafeMutablePointer<UInt8>) {
        var state = crypto_auth_hmacsha256_state()
        var emptyKey: UInt8 = 0
        if let base = key.baseAddress, key.count > 0 {
            crypto_auth_hmacsha256_init(&state, base.assumingMemoryBound(to: UInt8.self), key.count)
        } else {
            crypto_auth_hmacsha256_init(&state, &emptyKey, 0)
        }
        crypto_auth_hmacsha256_update(&state, message.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(message.count))
        crypto_auth_hmacsha256_final(&state, out)
        sodium_memzero(&state, MemoryLayout<crypto_auth_hmacsha256_state>.size)
    }

    /// HKDF-SHA256 (RFC 5869) producing 32 bytes, as age uses it. The
    /// intermediate key and the result live only in wiped storage.
    static func hkdf(ikm: SecretBytes, salt: [UInt8], info: String) -> SecretBytes {
        let prk = SecretBytes(count: 32)
        salt.withUnsafeBytes { hmacSHA256(key: $0, message: ikm.bytes, into: prk.mutableBase) }
        let result = SecretBytes(count: 32)
        (Array(info.utf8) + [1]).withUnsafeBytes { hmacSHA256(key: prk.bytes, message: $0, into: result.mutableBase) }
        return result
    }

    static let aeadTagSize = Int(crypto_aead_chacha20poly1305_IETF_ABYTES)

    /// ChaCha20-Poly1305 (IETF) seal into `output` (which gets `count + 16` bytes).
    static func seal(key: SecretBytes, nonce: [UInt8], plaintext: UnsafePointer<UInt8>?, count: Int,
                     into output: UnsafeMutablePointer<UInt8>) {
        var length: UInt64 = 0
        crypto_aead_chacha20poly1305_ietf_encrypt(output, &length, plaintext, UInt64(count), nil, 0, nil, nonce, key.base)
    }

    /// Opens a sealed box; false when the tag does not verify.
    static func open(key: SecretBytes, nonce: [UInt8], ciphertext: UnsafePointer<UInt8>, count: Int,
                     into output: UnsafeMutablePointer<UInt8>) -> Bool {
        guard count >= aeadTagSize else { return false }
        var length: UInt64 = 0
        return crypto_aead_chacha20poly1305_ietf_decrypt(output, &length, nil, ciphertext, UInt64(count), nil, 0,
                                                         nonce, key.base) == 0
    }

    /// X25519(scalar, point); nil when the result is all zeros (low-order point).
    static func x25519(scalar: SecretBytes, point: [UInt8]) -> SecretBytes? {
        let shared = SecretBytes(count: 32)
        guard crypto_scalarmult(shared.mutableBase, scalar.base, point) == 0, !shared.isAllZero else { return nil }
        return shared
    }

    static func x25519Base(scalar: SecretBytes) -> [UInt8] {
        var point = [UInt8](repeating: 0, count: 32)
        crypto_scalarmult_base(&point, scalar.base)
        return point
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        randombytes_buf(&out, count)
        return out
    }

    /// scrypt(N = 2^logN, r = 8, p = 1) → 32 bytes.
    static func scrypt(passphrase: SecretBytes, salt: [UInt8], logN: Int) -> SecretBytes? {
        let out = SecretBytes(count: 32)
        let rc = crypto_pwhash_scryptsalsa208sha256_ll(passphrase.base, passphrase.count, salt, salt.count,
                                                        UInt64(1) << UInt64(logN), 8, 1, out.mutableBase, 32)
        return rc == 0 ? out : nil
    }
}
