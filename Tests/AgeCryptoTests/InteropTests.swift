import AgeCrypto
import Foundation
import SiteTestSupport
import Testing

/// Files must round-trip with the real `age` CLI (Debian package `age`) both ways.
@Suite(.enabled(if: Tool.which("age") != nil || LocalSite.isExpected, "the age CLI is not installed (Scripts/install-deps)"))
struct InteropTests {
    // Chunk and batch (8 chunks) boundaries on both sides.
    static let sizes = [0, 1, 65535, 65536, 65537, 3 * 65536, 8 * 65536 - 1, 8 * 65536, 8 * 65536 + 1, 16 * 65536, 10 << 20]

    func randomFile(_ size: Int, in dir: URL) throws -> URL {
        let url = dir.appendingPathComponent("plain-\(size)")
        var data = Data(count: size)
        data.withUnsafeMutableBytes { bytes in
            if let base = bytes.baseAddress { arc4random_buf(base, bytes.count) }
        }
        try data.write(to: url)
        return url
    }

    func ageKeygen(_ dir: URL, _ name: String) throws -> (file: URL, recipient: String) {
        let file = dir.appendingPathComponent(name)
        let result = try Tool.run("/usr/bin/age-keygen", ["-o", file.path])
        #expect(result.status == 0, "\(result.err)")
        let recipient = try Tool.run("/usr/bin/age-keygen", ["-y", file.path]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        return (file, recipient)
    }

    @Test(arguments: sizes, [false, true])
    func ourEncryptionDecryptsWithTheCLI(size: Int, armor: Bool) throws {
        let dir = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plain = try randomFile(size, in: dir)
        let first = try ageKeygen(dir, "one.key"), second = try ageKeygen(dir, "two.key")
        let sealed = dir.appendingPathComponent("sealed.age")
        try Age.encryptFile(at: plain, to: sealed, recipients: [try X25519Recipient(parsing: first.recipient),
                                                                 try X25519Recipient(parsing: second.recipient)], armor: armor)
        for key in [first.file, second.file] {
            // age -o creates no file for empty output: compare its stdout.
            let result = try Tool.run("/usr/bin/age", ["-d", "-i", key.path, sealed.path])
            #expect(result.status == 0, "\(result.err)")
            #expect(result.stdout == (try Data(contentsOf: plain)))
        }
    }

    @Test(arguments: sizes, [false, true])
    func cliEncryptionDecryptsWithUs(size: Int, armor: Bool) throws {
        let dir = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plain = try randomFile(size, in: dir)
        let first = try ageKeygen(dir, "one.key"), second = try ageKeygen(dir, "two.key")
        let sealed = dir.appendingPathComponent("sealed.age")
        let result = try Tool.run("/usr/bin/age", (armor ? ["-a"] : []) + ["-r", first.recipient, "-r", second.recipient,
                                                                         "-o", sealed.path, plain.path])
        #expect(result.status == 0, "\(result.err)")
        for key in [first.file, second.file] {
            let out = dir.appendingPathComponent("out")
            try Age.decryptFile(at: sealed, to: out, identities: try IdentityFile.read(key))
            #expect(try Data(contentsOf: out) == Data(contentsOf: plain))
        }
    }

    @Test func identityFilesInteroperate() throws {
        let dir = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Ours, read by age -d -i.
        let ours = X25519Identity.generate()
        let keyFile = dir.appendingPathComponent("keys/ours.key")
        try IdentityFile.write(ours, to: keyFile)
        let mode = try FileManager.default.attributesOfItem(atPath: keyFile.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try Tool.run("/usr/bin/age-keygen", ["-y", keyFile.path]).out == "\(ours.recipient)\n")
        let sealed = dir.appendingPathComponent("s.age")
        try Age.encrypt(Data("hello".utf8), recipients: [ours.recipient]).write(to: sealed)
        let result = try Tool.run("/usr/bin/age", ["-d", "-i", keyFile.path, sealed.path])
        #expect(result.out == "hello")
        // age-keygen's, read by us.
        let theirs = try ageKeygen(dir, "theirs.key")
        let parsed = try IdentityFile.read(theirs.file)
        #expect(parsed.map(\.recipient.description) == [theirs.recipient])
    }

    @Test func passphraseProtectedIdentityFileRoundTrips() throws {
        let dir = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let identity = X25519Identity.generate()
        let file = dir.appendingPathComponent("protected.key")
        try IdentityFile.write(identity, to: file, passphrase: "open sesame")
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.hasPrefix("-----BEGIN AGE ENCRYPTED FILE-----") && !text.contains("AGE-SECRET-KEY"))
        let read = try IdentityFile.read(file) { "open sesame" }
        #expect(read.map(\.recipient) == [identity.recipient])
        #expect(throws: AgeError.noMatch) { _ = try IdentityFile.read(file) { "wrong" } }
    }
}

struct PropertyTests {
    @Test func roundTripsForRandomSizes() throws {
        let identity = X25519Identity.generate()
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<40 {
            let size = Int.random(in: 0...(300 * 1024), using: &generator)
            let plain = Data((0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) })
            let armor = Bool.random(using: &generator)
            let sealed = try Age.encrypt(plain, recipients: [identity.recipient], armor: armor)
            #expect(try Age.decrypt(sealed, identities: [identity]) == plain)
        }
    }

    @Test func anyFlippedBitFailsBeforeReleasingTheAffectedChunk() throws {
        let identity = X25519Identity.generate()
        let chunk = 64 * 1024
        let plain = Data((0..<(2 * chunk + 100)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let sealed = try Age.encrypt(plain, recipients: [identity.recipient])
        let headerLength = sealed.count - (plain.count + 3 * 16) // header + nonce
        let positions = [0, 10, headerLength - 17, headerLength - 1, headerLength + 5,
                         headerLength + chunk + 16 + 7, sealed.count - 1] + (0..<25).map { _ in Int.random(in: 0..<sealed.count) }
        for position in positions {
            var corrupt = sealed
            corrupt[position] ^= 1 << UInt8.random(in: 0...7)
            let sink = MemorySink()
            #expect(throws: AgeError.self) {
                try Age.decrypt(from: MemorySource(corrupt), to: sink, identities: [identity])
            }
            // Whatever was released is an untouched prefix of whole chunks before the flipped one.
            let payloadOffset = position - headerLength
            let affectedChunk = payloadOffset < 0 ? 0 : payloadOffset / (chunk + 16)
            #expect(sink.data.count <= affectedChunk * chunk)
            #expect(sink.data == plain.prefix(sink.data.count))
        }
    }
}
