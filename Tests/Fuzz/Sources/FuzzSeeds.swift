import Foundation
@testable import AgeCrypto

/// The age seeds are made, not copied: files to the fuzz identity (binary,
/// armored, two chunks) and a passphrase file of low work factor, so that
/// mutations reach past the header (Scripts/fuzz --write-seeds).
enum FuzzSeeds {
    static func write(into directory: URL) -> Bool {
        guard let identity = FuzzTargets.identity else { return false }
        let short = Data(FuzzTargets.plaintext.prefix(100))
        let long = Data(FuzzTargets.plaintext)
        do {
            let age = directory.appendingPathComponent("age")
            let armor = directory.appendingPathComponent("armor")
            let bech32 = directory.appendingPathComponent("bech32")
            for folder in [age, armor, bech32] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
            try Age.encrypt(short, recipients: [identity.recipient]).write(to: age.appendingPathComponent("short.age"))
            try Age.encrypt(short, recipients: [identity.recipient], armor: true).write(to: age.appendingPathComponent("short.age.asc"))
            try Age.encrypt(long, recipients: [identity.recipient]).write(to: age.appendingPathComponent("two-chunks.age"))
            let sink = MemorySink()
            try Age.encrypt(from: MemorySource(short), to: sink, recipients: [ScryptRecipient(passphrase: "fuzz", workFactor: 2)])
            try sink.data.write(to: age.appendingPathComponent("passphrase.age"))
            try Age.encrypt(short, recipients: [identity.recipient], armor: true).write(to: armor.appendingPathComponent("file.asc"))
            try Data(identity.recipient.description.utf8).write(to: bech32.appendingPathComponent("recipient"))
            try Data(identity.encoded().utf8).write(to: bech32.appendingPathComponent("identity"))
            return true
        } catch {
            FileHandle.standardError.write(Data("hpcs-fuzz: cannot write seeds: \(error)\n".utf8))
            return false
        }
    }
}
