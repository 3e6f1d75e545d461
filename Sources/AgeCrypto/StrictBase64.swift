/// Canonical base64 only: the header's unpadded encoding and armor's padded
/// one. Non-canonical input (stray bits, wrong padding, other characters)
/// is rejected, as the age spec requires.
enum StrictBase64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let reverse: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (index, char) in alphabet.enumerated() { table[Int(char)] = Int8(index) }
        return table
    }()

    static func encode(_ data: some Collection<UInt8>, padded: Bool) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((data.count + 2) / 3 * 4)
        var iterator = data.makeIterator()
        while let a = iterator.next() {
            let b = iterator.next(), c = iterator.next()
            out.append(alphabet[Int(a >> 2)])
            out.append(alphabet[Int((a & 3) << 4 | (b ?? 0) >> 4)])
            if let b { out.append(alphabet[Int((b & 15) << 2 | (c ?? 0) >> 6)]) } else if padded { out.append(61) }
            if let c { out.append(alphabet[Int(c & 63)]) } else if padded { out.append(61) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Unpadded, canonical.
    static func decodeRaw(_ text: some Collection<UInt8>) -> [UInt8]? {
        let chars = Array(text)
        guard chars.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count * 3 / 4)
        var buffer: UInt32 = 0, bits = 0
        for char in chars {
            let value = reverse[Int(char)]
            guard value >= 0 else { return nil }
            buffer = buffer << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((buffer >> UInt32(bits)) & 0xff))
            }
        }
        // Leftover bits must be zero for the encoding to be canonical.
        guard buffer & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return out
    }

    /// Padded, canonical (length a multiple of 4, `=` only at the end).
    static func decodePadded(_ text: some Collection<UInt8>) -> [UInt8]? {
        let chars = Array(text)
        guard chars.count % 4 == 0 else { return nil }
        var body = chars[...]
        var padding = 0
        while body.last == 61, padding < 2 { body = body.dropLast(); padding += 1 }
        guard !body.contains(61) else { return nil }
        guard let decoded = decodeRaw(body), (body.count + padding) % 4 == 0 else { return nil }
        if padding > 0 && body.count % 4 == 0 { return nil }
        return decoded
    }
}
