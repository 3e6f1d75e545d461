import AgeCrypto
import Foundation
import Testing

/// Headers no honest age writer makes: refused as header failures before
/// any key is tried or any plaintext released.
struct HostileHeaderTests {
    /// A real file to `identity`, with `extra` stanza lines inserted before the MAC line.
    func file(to identity: X25519Identity, inserting extra: String) throws -> Data {
        let sealed = try Age.encrypt(Data("secret payload".utf8), recipients: [identity.recipient])
        let text = String(decoding: sealed, as: UTF8.self)
        let mac = try #require(text.range(of: "\n---"))
        return Data(text[..<mac.lowerBound].utf8) + Data(("\n" + extra).utf8) + sealed[sealed.index(sealed.startIndex,
                    offsetBy: text.utf8.distance(from: text.utf8.startIndex, to: mac.lowerBound) + 1)...]
    }

    @Test func anScryptStanzaBesideOthersIsAHeaderFailureForEveryIdentity() throws {
        let identity = X25519Identity.generate()
        // A well-formed scrypt stanza: 16-byte salt, work factor, 32-byte body.
        let scrypt = "-> scrypt \(Data(count: 16).base64EncodedString().replacingOccurrences(of: "=", with: "")) 10\n"
            + Data(count: 32).base64EncodedString().replacingOccurrences(of: "=", with: "") + "\n"
        let mixed = try file(to: identity, inserting: scrypt)
        for identities in [[identity] as [AgeIdentity], [ScryptIdentity(passphrase: "x")], [X25519Identity.generate()]] {
            #expect {
                _ = try Age.decrypt(mixed, identities: identities)
            } throws: { error in
                guard case let AgeError.header(reason) = error else { return false }
                return reason.contains("scrypt")
            }
        }
    }

    @Test func tooManyStanzasAreRefused() throws {
        let identity = X25519Identity.generate()
        let stanza = "-> other-type arg\n\n"
        let crowded = try file(to: identity, inserting: String(repeating: stanza, count: 1100))
        #expect {
            _ = try Age.decrypt(crowded, identities: [identity])
        } throws: { error in
            guard case let AgeError.header(reason) = error else { return false }
            return reason.contains("more than 1024")
        }
        // A few unknown stanzas beside ours are fine (they are skipped).
        let some = try file(to: identity, inserting: String(repeating: stanza, count: 3))
        #expect(throws: AgeError.headerMAC) { _ = try Age.decrypt(some, identities: [identity]) }
    }
}
