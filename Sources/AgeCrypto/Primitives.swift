import CSodium

/// libsodium primitives the age format is built from.
enum Primitives {
    static let ready: Bool = sodium_init() >= 0

    static func hmacSHA256(key: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer) -> [UInt8] {
        var state = crypto_auth_hmacsha256_state()
        var out = [UInt8](repeating: 0, count: 32)
        var emptyKey: UInt8 = 0
        if let base = key.baseAddress, key.count > 0 {
            crypto_auth_hmacsha256_init(&state, base.assumingMemoryBound(to: UInt8.self), key.count)
        } else {
            crypto_auth_hmacsha256_init(&state, &emptyKey, 0)
        }
        crypto_auth_hmacsha256_update(&state, message.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(message.count))
        crypto_auth_hmacsha256_final(&state, &out)
        sodium_memzero(&state, MemoryLayout<crypto_auth_hmacsha256_state>.size)
        return out
    }

    /// HKDF-SHA256 (RFC 5869) producing 32 bytes, as age uses it.
    static func hkdf(ikm: SecretBytes, salt: [UInt8], info: String) -> SecretBytes {
        let prk = salt.withUnsafeBytes { hmacSHA256(key: $0, message: ikm.bytes) }
        let prkSecret = SecretBytes(copying: prk)
        var scratch = prk
        sodium_memzero(&scratch, scratch.count)
        let block = Array(info.utf8) + [1]
        let okm = block.withUnsafeBytes { hmacSHA256(key: prkSecret.bytes, message: $0) }
        let result = SecretBytes(copying: okm)
        var okmScratch = okm
        sodium_memzero(&okmScratch, okmScratch.count)
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
