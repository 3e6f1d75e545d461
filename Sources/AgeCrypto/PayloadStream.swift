import CSodium

/// age's STREAM: 64 KiB chunks sealed with ChaCha20-Poly1305 under nonces
/// of an 11-byte big-endian counter and a final-chunk flag.
enum PayloadStream {
    static let chunkSize = 64 * 1024
    static let sealedChunkSize = chunkSize + 16

    static func nonce(counter: UInt64, last: Bool) -> [UInt8] {
        var nonce = [UInt8](repeating: 0, count: 12)
        for index in 0..<8 { nonce[10 - index] = UInt8(truncatingIfNeeded: counter >> (8 * UInt64(index))) }
        nonce[11] = last ? 1 : 0
        return nonce
    }

    static func encrypt(key: SecretBytes, from source: ByteSource, to sink: ByteSink) throws {
        let input = UnsafeMutableRawBufferPointer.allocate(byteCount: 2 * chunkSize, alignment: 16)
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: sealedChunkSize, alignment: 16)
        defer {
            sodium_memzero(input.baseAddress, input.count)
            input.deallocate()
            output.deallocate()
        }
        // Two halves: the current chunk and a look-ahead that tells whether it is the last.
        var current = UnsafeMutableRawBufferPointer(rebasing: input[0..<chunkSize])
        var next = UnsafeMutableRawBufferPointer(rebasing: input[chunkSize...])
        var currentCount = try fill(current, from: source)
        var counter: UInt64 = 0
        while true {
            let nextCount = currentCount == chunkSize ? try fill(next, from: source) : 0
            let last = nextCount == 0
            Primitives.seal(key: key, nonce: nonce(counter: counter, last: last),
                            plaintext: current.baseAddress?.assumingMemoryBound(to: UInt8.self), count: currentCount,
                            into: output.baseAddress.unsafelyUnwrapped.assumingMemoryBound(to: UInt8.self))
            try sink.write(UnsafeRawBufferPointer(rebasing: output[0..<(currentCount + 16)]))
            if last { return }
            swap(&current, &next)
            currentCount = nextCount
            counter += 1
        }
    }

    /// Releases each chunk's plaintext to `sink` only after its tag verifies.
    static func decrypt(key: SecretBytes, from reader: BufferedReader, to sink: ByteSink) throws {
        let sealed = UnsafeMutableRawBufferPointer.allocate(byteCount: sealedChunkSize, alignment: 16)
        let plain = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer {
            sodium_memzero(plain.baseAddress, plain.count)
            sealed.deallocate()
            plain.deallocate()
        }
        let sealedBase = sealed.baseAddress.unsafelyUnwrapped.assumingMemoryBound(to: UInt8.self)
        let plainBase = plain.baseAddress.unsafelyUnwrapped.assumingMemoryBound(to: UInt8.self)
        var counter: UInt64 = 0
        while true {
            let count = try reader.read(upTo: sealedChunkSize, into: sealed.baseAddress.unsafelyUnwrapped)
            if count == 0 {
                throw counter == 0 ? AgeError.payload("no chunks") : AgeError.truncated
            }
            guard count > 16 || (count == 16 && counter == 0) else {
                throw count == 16 ? AgeError.payload("the final chunk is empty") : AgeError.payload("chunk shorter than its tag")
            }
            var last = count < sealedChunkSize
            if last {
                guard Primitives.open(key: key, nonce: nonce(counter: counter, last: true), ciphertext: sealedBase,
                                      count: count, into: plainBase) else {
                    throw AgeError.payload("chunk \(counter) failed authentication")
                }
            } else if !Primitives.open(key: key, nonce: nonce(counter: counter, last: false), ciphertext: sealedBase,
                                       count: count, into: plainBase) {
                // A full chunk may also be the final one.
                guard Primitives.open(key: key, nonce: nonce(counter: counter, last: true), ciphertext: sealedBase,
                                      count: count, into: plainBase) else {
                    throw AgeError.payload("chunk \(counter) failed authentication")
                }
                last = true
            }
            try sink.write(UnsafeRawBufferPointer(rebasing: plain[0..<(count - 16)]))
            if last, try !reader.isAtEnd { throw AgeError.trailingData }
            if last { return }
            counter += 1
        }
    }

    /// Fills `buffer` completely unless the source ends first.
    private static func fill(_ buffer: UnsafeMutableRawBufferPointer, from source: ByteSource) throws -> Int {
        var total = 0
        while total < buffer.count {
            let count = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[total...]))
            if count == 0 { break }
            total += count
        }
        return total
    }
}
