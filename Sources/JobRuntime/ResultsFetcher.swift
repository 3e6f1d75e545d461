import AgeCrypto
import Foundation
import History
import JobPreparation
import SecureShell

/// A job's decrypted results and the application's own outputs.
public struct JobResults: Sendable, Equatable {
    public let directory: URL
    public let encryptedFile: URL
    public let files: [String]
    public let stdout: String?
    public let stderr: String?
    public let exitCode: Int?
}

/// Step 12: download `WORKDIR/output/encrypted_output.tgz`, decrypt it with
/// this job's own identity, unpack it safely. The encrypted download is
/// kept whatever happens, so nothing is lost.
public enum ResultsFetcher {
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    public static func fetch(_ record: SubmissionRecord, from host: RemoteHost, paths: LocalPaths, into directory: URL? = nil,
                             progress: TransferProgress? = nil) async throws -> JobResults {
        guard let identityPath = record.identityFile else {
            throw Failure(message: "submission \(record.id) has no output key (it was never submitted)")
        }
        let base = directory ?? paths.results.appendingPathComponent(record.id)
        try LocalPaths.ensurePrivateDirectory(base)
        let remote = record.spec.encryptedOutput
        guard try await host.stat(remote) != nil else {
            throw Failure(message: "the job left no \(remote) (did it complete? see its log)")
        }
        let encrypted = base.appendingPathComponent("encrypted_output.tgz")
        _ = try await host.download(remote, to: encrypted, mode: 0o600, progress: progress)

        let identities: [X25519Identity]
        do {
            identities = try IdentityFile.read(URL(fileURLWithPath: identityPath))
        } catch {
            throw Failure(message: "cannot read this job's key \(identityPath): \(error)")
        }
        let archive = base.appendingPathComponent(".output.tgz")
        defer { try? FileManager.default.removeItem(at: archive) }
        do {
            try Age.decryptFile(at: encrypted, to: archive, identities: identities)
        } catch let error as AgeError {
            let hint = error == .noMatch ? " (it was encrypted to another key than this job's)" : ""
            throw Failure(message: "cannot decrypt \(encrypted.path): \(error)\(hint); the encrypted file is kept")
        }
        let files = base.appendingPathComponent("files")
        if FileManager.default.fileExists(atPath: files.path) { try FileManager.default.removeItem(at: files) }
        let extracted: [String]
        do {
            extracted = try SafeUntar.extract(archive, into: files)
        } catch {
            throw Failure(message: "\(error); the encrypted file is kept at \(encrypted.path)")
        }
        func output(_ name: String) -> String? {
            guard let path = extracted.first(where: { $0 == name || $0.hasSuffix("/" + name) }) else { return nil }
            return try? String(contentsOf: files.appendingPathComponent(path), encoding: .utf8)
        }
        return JobResults(directory: files, encryptedFile: encrypted, files: extracted, stdout: output("stdout"),
                          stderr: output("stderr"),
                          exitCode: output("exit_code").flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
    }
}
