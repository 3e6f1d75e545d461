import Foundation

/// The age v1 file format (age-encryption.org/v1): X25519 and scrypt
/// recipients, 64 KiB STREAM payload, optional ASCII armor; streaming in
/// constant memory.
///
///     let identity = X25519Identity.generate()
///     try Age.encryptFile(at: input, to: sealed, recipients: [identity.recipient])
///     try Age.decryptFile(at: sealed, to: output, identities: [identity])
public enum Age {
    public static func encrypt(from source: ByteSource, to sink: ByteSink, recipients: [AgeRecipient],
                               armor: Bool = false) throws {
        guard Primitives.ready else { throw AgeError.io("libsodium failed to initialise") }
        guard !recipients.isEmpty else { throw AgeError.invalidKey("no recipients") }
        if recipients.contains(where: { $0 is ScryptRecipient }), recipients.count > 1 {
            throw AgeError.invalidKey("a passphrase must be a file's only recipient")
        }
        let fileKey = SecretBytes.random(count: 16)
        var header = Header.versionLine
        for recipient in recipients { header += try recipient.wrap(fileKey).encoded }
        header += "---"
        let mac = Header.mac(fileKey: fileKey, over: Array(header.utf8))
        header += " " + StrictBase64.encode(mac, padded: false) + "\n"
        let nonce = Primitives.randomBytes(16)
        let payloadKey = Primitives.hkdf(ikm: fileKey, salt: nonce, info: "payload")

        let armored = armor ? try ArmorSink(sink) : nil
        let output: ByteSink = armored ?? sink
        try (Array(header.utf8) + nonce).withUnsafeBytes { try output.write($0) }
        try PayloadStream.encrypt(key: payloadKey, from: source, to: output)
        try armored?.finish()
    }

    /// Decrypts; plaintext reaches `sink` chunk by chunk, each only after its
    /// tag verified. `armored` nil detects armor from the first bytes.
    public static func decrypt(from source: ByteSource, to sink: ByteSink, identities: [AgeIdentity],
                               armored: Bool? = nil) throws {
        guard Primitives.ready else { throw AgeError.io("libsodium failed to initialise") }
        let sniffer = BufferedReader(source)
        let reader: BufferedReader
        if try armored ?? isArmored(sniffer) {
            reader = BufferedReader(ArmorSource(ReaderSource(sniffer)))
        } else {
            reader = sniffer
        }
        let header = try Header.parse(reader)
        var fileKey: SecretBytes?
        for identity in identities {
            if let key = try identity.unwrap(header.stanzas) { fileKey = key; break }
        }
        guard let fileKey else { throw AgeError.noMatch }
        let mac = Header.mac(fileKey: fileKey, over: header.macInput)
        guard mac.count == header.mac.count, zip(mac, header.mac).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0 else {
            throw AgeError.headerMAC
        }
        var nonce = [UInt8](repeating: 0, count: 16)
        guard try reader.read(upTo: 16, into: &nonce) == 16 else { throw AgeError.header("missing payload nonce") }
        let payloadKey = Primitives.hkdf(ikm: fileKey, salt: nonce, info: "payload")
        try PayloadStream.decrypt(key: payloadKey, from: reader, to: sink)
    }

    /// Encrypts a file to a new file (written to a temporary name, then renamed).
    public static func encryptFile(at input: URL, to output: URL, recipients: [AgeRecipient], armor: Bool = false) throws {
        try writeThenRename(output) { sink in
            try encrypt(from: try FileSource(url: input), to: sink, recipients: recipients, armor: armor)
        }
    }

    /// Decrypts a file to a new file (mode 0600). Nothing is left at
    /// `output` when decryption fails.
    public static func decryptFile(at input: URL, to output: URL, identities: [AgeIdentity]) throws {
        try writeThenRename(output) { sink in
            try decrypt(from: try FileSource(url: input), to: sink, identities: identities)
        }
    }

    public static func encrypt(_ data: Data, recipients: [AgeRecipient], armor: Bool = false) throws -> Data {
        let sink = MemorySink()
        try encrypt(from: MemorySource(data), to: sink, recipients: recipients, armor: armor)
        return sink.data
    }

    public static func decrypt(_ data: Data, identities: [AgeIdentity]) throws -> Data {
        let sink = MemorySink()
        try decrypt(from: MemorySource(data), to: sink, identities: identities)
        return sink.data
    }

    private static func writeThenRename(_ output: URL, _ body: (FileSink) throws -> Void) throws {
        let temporary = output.deletingLastPathComponent()
            .appendingPathComponent(".\(output.lastPathComponent).part-\(UUID().uuidString.prefix(8))")
        do {
            let sink = try FileSink(url: temporary)
            try body(sink)
            try sink.synchronize()
            guard rename(temporary.path, output.path) == 0 else {
                throw AgeError.io("cannot create \(output.path): \(String(cString: strerror(errno)))")
            }
        } catch {
            unlink(temporary.path)
            throw error
        }
    }

    private static func isArmored(_ reader: BufferedReader) throws -> Bool {
        try reader.peek(maximum: 1024).drop(while: Armor.isWhitespace).starts(with: Array("-----BEGIN".utf8))
    }
}

/// Lets an armor decoder read through a reader that already buffered the start.
final class ReaderSource: ByteSource {
    private let reader: BufferedReader
    init(_ reader: BufferedReader) { self.reader = reader }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try reader.read(upTo: min(buffer.count, 64 * 1024), into: buffer.baseAddress.unsafelyUnwrapped)
    }
}
