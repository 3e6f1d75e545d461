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

/// Step 12: download the job's `encrypted_output.tgz`, decrypt it with this
/// job's own identity, unpack it safely into `PARENT/<submission id>/`
/// (`encrypted_output.tgz` and `files/`). PARENT is the data directory's
/// `results/` or the user's `--output` folder, which is never changed
/// otherwise: a folder hpcs-job did not make is never replaced, and a
/// re-fetch swaps in its new copy only once it is complete.
public enum ResultsFetcher {
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Marks a folder as made by hpcs-job (and so replaceable by it).
    static let marker = ".hpcs-job-results"

    public static func fetch(_ record: SubmissionRecord, from host: RemoteHost, paths: LocalPaths, into parent: URL? = nil,
                             limits: SafeUntar.Limits = SafeUntar.Limits(),
                             progress: TransferProgress? = nil) async throws -> JobResults {
        guard let identityPath = record.identityFile else {
            throw Failure(message: "submission \(record.id) has no output key (it was never submitted)")
        }
        let fileManager = FileManager.default
        let parent = parent ?? paths.results
        if parent == paths.results {
            try LocalPaths.ensurePrivateDirectory(parent)
        } else if !fileManager.fileExists(atPath: parent.path) {
            try fileManager.createDirectory(at: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let target = parent.appendingPathComponent(record.id)
        try refuseForeign(target)

        let remote = record.encryptedOutputPath
        guard let info = try await host.stat(remote) else {
            throw Failure(message: "the job left no \(remote) (did it complete? see its log)")
        }
        let size = Int(clamping: info.size)
        guard size <= limits.totalBytes else {
            throw Failure(message: "\(remote) is \(size) bytes, more than the \(limits.totalBytes) allowed for results; nothing was downloaded")
        }
        // The download and its decrypted copy sit side by side until unpacked.
        if let free = freeBytes(parent), free < 2 * size + (64 << 20) {
            throw Failure(message: "\(parent.path) has \(free / (1 << 20)) MiB free; \(remote) needs about \(2 * size / (1 << 20) + 64) MiB "
                                   + "to download and decrypt; nothing was downloaded")
        }

        let staging = parent.appendingPathComponent(".\(record.id).partial-\(UUID().uuidString.prefix(8))")
        try fileManager.createDirectory(at: staging, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        try Data("hpcs-job results of submission \(record.id)\n".utf8).write(to: staging.appendingPathComponent(marker))
        let encrypted = staging.appendingPathComponent("encrypted_output.tgz")
        do {
            _ = try await host.download(remote, to: encrypted, mode: 0o600, progress: progress)
        } catch {
            try? fileManager.removeItem(at: staging)
            throw error
        }
        do {
            let extracted = try decryptAndUnpack(encrypted, identityPath: identityPath, into: staging, limits: limits)
            try swapIntoPlace(staging, target)
            return results(in: target, extracted)
        } catch {
            // Whatever went wrong, the download is kept beside any earlier results.
            let failure = error
            let kept = parent.appendingPathComponent("\(record.id).incomplete")
            do {
                try refuseForeign(kept)
                try swapIntoPlace(staging, kept)
            } catch {
                throw Failure(message: "\(failure); the encrypted file is kept at \(encrypted.path)")
            }
            throw Failure(message: "\(failure); the encrypted file is kept at \(kept.path)/encrypted_output.tgz")
        }
    }

    private static func decryptAndUnpack(_ encrypted: URL, identityPath: String, into staging: URL,
                                         limits: SafeUntar.Limits) throws -> [String] {
        let identities: [X25519Identity]
        do {
            identities = try IdentityFile.read(URL(fileURLWithPath: identityPath))
        } catch {
            throw Failure(message: "cannot read this job's key \(identityPath): \(error)")
        }
        let archive = staging.appendingPathComponent(".output.tgz")
        defer { try? FileManager.default.removeItem(at: archive) }
        do {
            try Age.decryptFile(at: encrypted, to: archive, identities: identities)
        } catch let error as AgeError {
            let hint = error == .noMatch ? " (it was encrypted to another key than this job's)" : ""
            throw Failure(message: "cannot decrypt the results: \(error)\(hint)")
        }
        return try SafeUntar.extract(archive, into: staging.appendingPathComponent("files"), limits: limits)
    }

    /// A folder in the way that hpcs-job did not make is left alone.
    private static func refuseForeign(_ target: URL) throws {
        var info = stat()
        guard lstat(target.path, &info) == 0 else { return }
        let isOurs = (info.st_mode & S_IFMT) == S_IFDIR
            && FileManager.default.fileExists(atPath: target.appendingPathComponent(marker).path)
        guard isOurs else {
            throw Failure(message: "\(target.path) exists and was not made by hpcs-job; nothing was changed "
                                   + "(choose another --output folder, or move it away)")
        }
    }

    /// Puts `staging` at `target`; an earlier copy there (ours) is replaced
    /// only after the new one is complete, and is kept if the swap fails.
    private static func swapIntoPlace(_ staging: URL, _ target: URL) throws {
        let fileManager = FileManager.default
        guard fileManager.fileExists(atPath: target.path) else {
            try fileManager.moveItem(at: staging, to: target)
            return
        }
        let old = target.deletingLastPathComponent()
            .appendingPathComponent(".\(target.lastPathComponent).old-\(UUID().uuidString.prefix(8))")
        try fileManager.moveItem(at: target, to: old)
        do {
            try fileManager.moveItem(at: staging, to: target)
        } catch {
            try? fileManager.moveItem(at: old, to: target)
            throw error
        }
        try? fileManager.removeItem(at: old)
    }

    private static func results(in target: URL, _ extracted: [String]) -> JobResults {
        let files = target.appendingPathComponent("files")
        func output(_ name: String) -> String? {
            guard let path = extracted.first(where: { $0 == name || $0.hasSuffix("/" + name) }) else { return nil }
            // Beneath the results, never through a link (a forged archive may hold one to ~/.ssh).
            return (try? BeneathRoot.read(path, in: files, limit: 64 << 20)).map { String(decoding: $0, as: UTF8.self) }
        }
        return JobResults(directory: files, encryptedFile: target.appendingPathComponent("encrypted_output.tgz"),
                          files: extracted, stdout: output("stdout"), stderr: output("stderr"),
                          exitCode: output("exit_code").flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
    }

    /// Free bytes for this user on the file system holding `url`.
    static func freeBytes(_ url: URL) -> Int? {
        var info = statvfs()
        guard statvfs(url.path, &info) == 0 else { return nil }
        return Int(clamping: UInt64(info.f_bavail) &* UInt64(info.f_frsize))
    }
}
