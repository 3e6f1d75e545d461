import CSodium

/// Key material in memory that is wiped (`sodium_memzero`) when released.
/// A class, so the bytes are never silently copied around like an Array.
public final class SecretBytes: @unchecked Sendable {
    private let storage: UnsafeMutableRawBufferPointer
    public let count: Int

    init(count: Int) {
        self.count = count
        storage = .allocate(byteCount: max(count, 1), alignment: 16)
        sodium_memzero(storage.baseAddress.unsafelyUnwrapped, storage.count)
    }

    convenience init(copying bytes: some Collection<UInt8>) {
        self.init(count: bytes.count)
        _ = UnsafeMutableBufferPointer(start: mutableBase, count: bytes.count).initialize(from: bytes)
    }

    static func random(count: Int) -> SecretBytes {
        let secret = SecretBytes(count: count)
        randombytes_buf(secret.storage.baseAddress.unsafelyUnwrapped, count)
        return secret
    }

    deinit {
        sodium_memzero(storage.baseAddress.unsafelyUnwrapped, storage.count)
        storage.deallocate()
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage.baseAddress, count: count) }
    var base: UnsafePointer<UInt8> { UnsafePointer(mutableBase) }
    var mutableBase: UnsafeMutablePointer<UInt8> { storage.baseAddress.unsafelyUnwrapped.assumingMemoryBound(to: UInt8.self) }

    var isAllZero: Bool { sodium_is_zero(base, count) == 1 }
}

/// Wipes an array's own buffer. The caller must hold the only reference
/// (a fresh local `var`), or a copy would be made and wiped instead.
func wipe(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { buffer in
        if let base = buffer.baseAddress { sodium_memzero(base, buffer.count) }
    }
}
