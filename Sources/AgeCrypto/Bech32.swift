/// Bech32 (BIP 173) as age uses it: no length limit, all-lower or all-upper.
enum Bech32 {
    private static let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    private static let reverse: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (index, char) in charset.enumerated() { table[Int(char)] = Int8(index) }
        return table
    }()

    private static func polymod(_ values: [UInt8]) -> UInt32 {
        let generator: [UInt32] = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
        var checksum: UInt32 = 1
        for value in values {
            let top = checksum >> 25
            checksum = (checksum & 0x1ffffff) << 5 ^ UInt32(value)
            for i in 0..<5 where (top >> UInt32(i)) & 1 == 1 { checksum ^= generator[i] }
        }
        return checksum
    }

    private static func expand(_ hrp: [UInt8]) -> [UInt8] {
        hrp.map { $0 >> 5 } + [0] + hrp.map { $0 & 31 }
    }

    private static func convert(_ data: [UInt8], from: Int, to: Int, pad: Bool) -> [UInt8]? {
        var accumulator = 0, bits = 0
        var out: [UInt8] = []
        let maxValue = (1 << to) - 1
        for value in data {
            guard Int(value) >> from == 0 else { return nil }
            accumulator = accumulator << from | Int(value)
            bits += from
            while bits >= to {
                bits -= to
                out.append(UInt8((accumulator >> bits) & maxValue))
            }
        }
        if pad {
            if bits > 0 { out.append(UInt8((accumulator << (to - bits)) & maxValue)) }
        } else if bits >= from || (accumulator << (to - bits)) & maxValue != 0 {
            return nil
        }
        return out
    }

    static func encode(hrp: String, data: [UInt8]) -> String {
        let hrpBytes = Array(hrp.lowercased().utf8)
        let values = convert(data, from: 8, to: 5, pad: true) ?? []
        let checksum = polymod(expand(hrpBytes) + values + [0, 0, 0, 0, 0, 0]) ^ 1
        let checksumValues = (0..<6).map { UInt8((checksum >> UInt32(5 * (5 - $0))) & 31) }
        return hrp.lowercased() + "1" + String(decoding: (values + checksumValues).map { charset[Int($0)] }, as: UTF8.self)
    }

    /// Decodes to (lowercased hrp, data); nil on any checksum or format error.
    /// Its intermediate arrays are wiped: the text may be a secret key.
    static func decode(_ text: String) -> (hrp: String, data: [UInt8])? {
        var bytes = Array(text.utf8)
        defer { wipe(&bytes) }
        let hasLower = bytes.contains { $0 >= 97 && $0 <= 122 }
        let hasUpper = bytes.contains { $0 >= 65 && $0 <= 90 }
        guard !(hasLower && hasUpper), bytes.allSatisfy({ $0 >= 33 && $0 <= 126 }),
              let separator = bytes.lastIndex(of: UInt8(ascii: "1")), separator >= 1, bytes.count - separator > 6 else {
            return nil
        }
        var lower = bytes.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
        defer { wipe(&lower) }
        let hrp = Array(lower[..<separator])
        var values: [UInt8] = []
        defer { wipe(&values) }
        for char in lower[(separator + 1)...] {
            guard char < 128, reverse[Int(char)] >= 0 else { return nil }
            values.append(UInt8(reverse[Int(char)]))
        }
        guard polymod(expand(hrp) + values) == 1 else { return nil }
        var groups = Array(values.dropLast(6))
        defer { wipe(&groups) }
        guard let data = convert(groups, from: 5, to: 8, pad: false) else { return nil }
        return (String(decoding: hrp, as: UTF8.self), data)
    }
}
