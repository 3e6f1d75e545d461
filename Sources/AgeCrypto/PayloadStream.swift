import CSodium
import Dispatch

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

    /// Chunks read and sealed together. Once its nonce is known a chunk
    /// seals on its own, so a batch's chunks are sealed on every core.
    static let batchChunks = 8

    static func encrypt(key: SecretBytes, from source: ByteSource, to sink: ByteSink) throws {
        let batchBytes = batchChunks * chunkSize
        let input = UnsafeMutableRawBufferPointer.allocate(byteCount: 2 * batchBytes, alignment: 16)
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: batchChunks * sealedChunkSize, alignment: 16)
        defer {
            sodium_memzero(input.baseAddress, input.count)
            input.deallocate()
            output.deallocate()
        }
        // Two halves: the current batch and a look-ahead that tells whether it holds the last chunk.
        var current = UnsafeMutableRawBufferPointer(rebasing: input[0..<batchBytes])
        var next = UnsafeMutableRawBufferPointer(rebasing: input[batchBytes...])
        var currentCount = try fill(current, from: source)
        var counter: UInt64 = 0
        let sealed = Disjoint(output.baseAddress.unsafelyUnwrapped)
        while true {
            let nextCount = currentCount == batchBytes ? try fill(next, from: source) : 0
            let last = nextCount == 0
            // Full chunks, then what is left; an empty stream is one empty final chunk.
            let chunks = max(1, (currentCount + chunkSize - 1) / chunkSize)
            let plain = Disjoint(current.baseAddress.unsafelyUnwrapped), first = counter, count = currentCount
            DispatchQueue.concurrentPerform(iterations: chunks) { index in
                let start = index * chunkSize
                Primitives.seal(key: key, nonce: nonce(counter: first + UInt64(index), last: last && index == chunks - 1),
                                plaintext: (plain.base + start).assumingMemoryBound(to: UInt8.self), count: min(chunkSize, count - start),
                                into: (sealed.base + index * sealedChunkSize).assumingMemoryBound(to: UInt8.self))
            }
            // Every chunk but the batch's last is full, so the sealed chunks lie end to end.
            try sink.write(UnsafeRawBufferPointer(rebasing: output[0..<(currentCount + 16 * chunks)]))
            if last { return }
            swap(&current, &next)
            currentCount = nextCount
            counter += UInt64(chunks)
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

    /// A buffer whose chunks are each touched by one iteration of a
    /// `concurrentPerform` that returns before the buffer is used again.
    private struct Disjoint: @unchecked Sendable {
        let base: UnsafeMutableRawPointer
        init(_ base: UnsafeMutableRawPointer) { self.base = base }
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
