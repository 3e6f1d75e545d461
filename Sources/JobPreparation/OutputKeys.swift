import AgeCrypto
import Foundation

/// Step 7: a fresh age key pair per job. The private half stays on this
/// machine (0600, written atomically, never in /tmp, never uploaded).
public enum OutputKeys {
    public static func generate(submissionID: String, paths: LocalPaths) throws -> (identityFile: URL, recipient: X25519Recipient) {
        try LocalPaths.ensurePrivateDirectory(paths.keys)
        let file = paths.keyFile(submissionID: submissionID)
        guard !FileManager.default.fileExists(atPath: file.path) else {
            throw PreparationError(.upload, file: file.path, "a key for this submission already exists")
        }
        let identity = X25519Identity.generate()
        try IdentityFile.write(identity, to: file)
        return (file, identity.recipient)
    }
}
