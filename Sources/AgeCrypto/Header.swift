/// One recipient stanza of an age header: `-> type args…` and a body.
public struct Stanza: Sendable, Equatable {
    public let type: String
    public let arguments: [String]
    public let body: [UInt8]

    public init(type: String, arguments: [String], body: [UInt8]) {
        self.type = type
        self.arguments = arguments
        self.body = body
    }

    /// The stanza as it appears in a header (body wrapped at 64 columns).
    var encoded: String {
        var text = "-> " + ([type] + arguments).joined(separator: " ") + "\n"
        let body = StrictBase64.encode(body, padded: false)
        var index = body.startIndex
        while body.distance(from: index, to: body.endIndex) >= 64 {
            let next = body.index(index, offsetBy: 64)
            text += body[index..<next] + "\n"
            index = next
        }
        return text + body[index...] + "\n"
    }
}

/// A parsed header: the stanzas, the MAC, and the bytes the MAC covers.
struct Header {
    static let versionLine = "age-encryption.org/v1\n"
    /// Bounds on what a header may hold (memory, time): far above any real file.
    static let maxStanzas = 1024
    static let maxStanzaBody = 64 << 10
    let stanzas: [Stanza]
    let mac: [UInt8]
    let macInput: [UInt8]

    static func parse(_ reader: BufferedReader) throws -> Header {
        guard let version = try reader.readLine(limit: 64) else { throw AgeError.header("empty file") }
        guard version == Array(versionLine.utf8) else {
            if version.starts(with: Array("age-encryption.org/".utf8)) {
                throw AgeError.header("unsupported version \(String(decoding: version.dropLast(), as: UTF8.self))")
            }
            throw AgeError.header("not an age file")
        }
        var macInput = version
        var stanzas: [Stanza] = []
        var pending = try nextLine(reader)
        while true {
            if pending.starts(with: Array("--- ".utf8)) {
                let encoded = pending.dropFirst(4)
                guard encoded.count == 43, let mac = StrictBase64.decodeRaw(encoded), mac.count == 32 else {
                    throw AgeError.header("malformed MAC line")
                }
                macInput += Array("---".utf8)
                // Whatever the identity: a passphrase file has no other recipient.
                if stanzas.count > 1, stanzas.contains(where: { $0.type == "scrypt" }) {
                    throw AgeError.header("an scrypt stanza must be the only one")
                }
                return Header(stanzas: stanzas, mac: mac, macInput: macInput)
            }
            guard pending.starts(with: Array("-> ".utf8)) else { throw AgeError.header("expected a stanza or the MAC line") }
            guard stanzas.count < maxStanzas else { throw AgeError.header("more than \(maxStanzas) recipient stanzas") }
            macInput += pending + [0x0A]
            let words = pending.dropFirst(3).split(separator: 0x20, omittingEmptySubsequences: false)
            guard !words.isEmpty, words.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0 >= 33 && $0 <= 126 } }) else {
                throw AgeError.header("malformed stanza arguments")
            }
            var body: [UInt8] = []
            while true {
                let line = try nextLine(reader)
                guard line.count <= 64, let decoded = StrictBase64.decodeRaw(line) else {
                    throw AgeError.header("malformed stanza body")
                }
                macInput += line + [0x0A]
                body += decoded
                guard body.count <= maxStanzaBody else { throw AgeError.header("a stanza body over \(maxStanzaBody) bytes") }
                if line.count < 64 { break }
            }
            let strings = words.map { String(decoding: $0, as: UTF8.self) }
            stanzas.append(Stanza(type: strings[0], arguments: Array(strings.dropFirst()), body: body))
            pending = try nextLine(reader)
        }
    }

    /// A header line without its `\n`; the line must end with one.
    private static func nextLine(_ reader: BufferedReader) throws -> [UInt8] {
        guard let line = try reader.readLine(limit: 4096), line.last == 0x0A else {
            throw AgeError.header("unexpected end of header")
        }
        return Array(line.dropLast())
    }

    static func mac(fileKey: SecretBytes, over input: [UInt8]) -> [UInt8] {
        let key = Primitives.hkdf(ikm: fileKey, salt: [], info: "header")
        return input.withUnsafeBytes { Primitives.hmacSHA256(key: key.bytes, message: $0) }
    }
}
