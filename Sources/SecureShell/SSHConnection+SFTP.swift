import CLibSSH2
import Foundation
import Synchronization

extension SSHConnection {
    /// Metadata of a remote path (following links); nil when it does not exist.
    public func stat(_ path: String) async throws -> RemoteFileInfo? {
        try await call(path) { driver, sftp, operation in
            var attributes = LIBSSH2_SFTP_ATTRIBUTES()
            let rc = libssh2_sftp_stat_ex(sftp, path, UInt32(path.utf8.count), LIBSSH2_SFTP_STAT, &attributes)
            if rc == 0 {
                return .done(RemoteFileInfo(name: (path as NSString).lastPathComponent, attributes: attributes))
            }
            guard let error = operation.error(driver, Int(rc), path: path, during: "stat") else { return .again }
            if case .sftp(status: 2, _, _) = error { return .done(nil) }
            return .failed(error)
        }
    }

    /// Entries of a remote directory (without `.` and `..`), sorted by name.
    public func list(_ path: String) async throws -> [RemoteFileInfo] {
        try await withCheckedThrowingContinuation { continuation in
            driver.submit(SFTPListOperation(path: path) { continuation.resume(with: $0) })
        }
    }

    /// A whole remote file in memory (for small files such as info files).
    public func readFile(_ path: String, limit: Int = 16 << 20) async throws -> Data {
        let collected = Mutex(Data())
        _ = try await transferDown(path, progress: nil) { chunk in
            try collected.withLock { data in
                guard data.count + chunk.count <= limit else {
                    throw SSHError.localFile(path: path, reason: "larger than \(limit) bytes")
                }
                data.append(chunk)
            }
        }
        return collected.withLock { $0 }
    }

    /// Downloads a remote file to a local path (written to a temporary name
    /// beside it, then renamed), reporting progress. Returns the byte count.
    @discardableResult
    public func download(_ path: String, to local: URL, mode: Int = 0o600,
                         progress: TransferProgress? = nil) async throws -> UInt64 {
        let temporary = local.deletingLastPathComponent()
            .appendingPathComponent(".\(local.lastPathComponent).part-\(UUID().uuidString.prefix(8))")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil,
                                             attributes: [.posixPermissions: mode]),
              let handle = try? FileHandle(forWritingTo: temporary) else {
            throw SSHError.localFile(path: temporary.path, reason: "cannot create file")
        }
        let file = UncheckedBox(handle)
        do {
            let count = try await transferDown(path, progress: progress) { try file.value.write(contentsOf: $0) }
            try handle.synchronize()
            try handle.close()
            if Foundation.rename(temporary.path, local.path) != 0 {
                throw SSHError.localFile(path: local.path, reason: String(cString: strerror(errno)))
            }
            return count
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }

    /// Writes `data` to `path` atomically with `mode`: a temporary name in
    /// the same directory, then a rename over the target. A dropped
    /// connection leaves at most the temporary file, never a half target.
    public func writeFileAtomically(_ path: String, data: Data, mode: Int32 = 0o600,
                                    progress: TransferProgress? = nil) async throws {
        let chunkSize = 1 << 20
        let cursor = Mutex(0)
        try await uploadAtomically(path, mode: mode, totalSize: UInt64(data.count), progress: progress) {
            cursor.withLock { offset -> Data? in
                guard offset < data.count else { return nil }
                let end = min(data.count, offset + chunkSize)
                defer { offset = end }
                return data.subdata(in: offset..<end)
            }
        }
    }

    /// Uploads a local file atomically (see ``writeFileAtomically(_:data:mode:progress:)``).
    public func upload(_ local: URL, to path: String, mode: Int32 = 0o600,
                       progress: TransferProgress? = nil) async throws {
        guard let handle = try? FileHandle(forReadingFrom: local) else {
            throw SSHError.localFile(path: local.path, reason: "cannot open for reading")
        }
        defer { try? handle.close() }
        let size = (try? FileManager.default.attributesOfItem(atPath: local.path)[.size] as? UInt64) ?? nil
        let file = UncheckedBox(handle)
        try await uploadAtomically(path, mode: mode, totalSize: size, progress: progress) {
            let data = try file.value.read(upToCount: 1 << 20)
            return data?.isEmpty == false ? data : nil
        }
    }

    /// Creates a directory and its missing parents (`mkdir -p`); existing
    /// directories are left as they are.
    public func makeDirectories(_ path: String, mode: Int32 = 0o700) async throws {
        let absolute = path.hasPrefix("/")
        var current = absolute ? "" : "."
        for component in path.split(separator: "/") where component != "." {
            current += "/" + component
            let target = absolute ? current : String(current.dropFirst(2))
            if let existing = try await stat(target) {
                guard existing.kind == .directory else {
                    throw SSHError.sftp(status: 19, path: target, message: "exists and is not a directory")
                }
                continue
            }
            do {
                try await mkdir(target, mode: mode)
            } catch SSHError.sftp(status: 4, _, _) {
                // Someone else created it in between: fine if it is a directory now.
                guard try await stat(target)?.kind == .directory else { throw SSHError.sftp(status: 4, path: target, message: "cannot create directory") }
            }
        }
    }

    public func mkdir(_ path: String, mode: Int32 = 0o700) async throws {
        try await call(path) { driver, sftp, operation in
            let rc = libssh2_sftp_mkdir_ex(sftp, path, UInt32(path.utf8.count), Int(mode))
            if rc == 0 { return .done(()) }
            guard let error = operation.error(driver, Int(rc), path: path, during: "mkdir") else { return .again }
            return .failed(error)
        }
    }

    /// Removes a file; a missing file is not an error.
    public func removeFile(_ path: String) async throws {
        try await call(path) { driver, sftp, operation in
            let rc = libssh2_sftp_unlink_ex(sftp, path, UInt32(path.utf8.count))
            if rc == 0 { return .done(()) }
            guard let error = operation.error(driver, Int(rc), path: path, during: "unlink") else { return .again }
            if case .sftp(status: 2, _, _) = error { return .done(()) }
            return .failed(error)
        }
    }

    /// Removes an empty directory; a missing one is not an error.
    public func removeDirectory(_ path: String) async throws {
        try await call(path) { driver, sftp, operation in
            let rc = libssh2_sftp_rmdir_ex(sftp, path, UInt32(path.utf8.count))
            if rc == 0 { return .done(()) }
            guard let error = operation.error(driver, Int(rc), path: path, during: "rmdir") else { return .again }
            if case .sftp(status: 2, _, _) = error { return .done(()) }
            return .failed(error)
        }
    }

    /// Renames; fails if the target exists (SFTP v3 semantics).
    public func rename(_ source: String, to target: String) async throws {
        try await call(source) { driver, sftp, operation in
            let rc = libssh2_sftp_rename_ex(sftp, source, UInt32(source.utf8.count), target,
                                            UInt32(target.utf8.count), 0)
            if rc == 0 { return .done(()) }
            guard let error = operation.error(driver, Int(rc), path: source, during: "rename") else { return .again }
            return .failed(error)
        }
    }

    // MARK: - Internals

    private func call<T: Sendable>(_ path: String,
                                   _ body: @escaping (SessionDriver, OpaquePointer, SFTPCall<T>) -> SFTPStep<T>) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            driver.submit(SFTPCall(body) { continuation.resume(with: $0) })
        }
    }

    private func transferDown(_ path: String, progress: TransferProgress?,
                              sink: @escaping @Sendable (Data) throws -> Void) async throws -> UInt64 {
        try await withCheckedThrowingContinuation { continuation in
            driver.submit(SFTPDownloadOperation(path: path, sink: sink, progress: progress) { continuation.resume(with: $0) })
        }
    }

    private func uploadAtomically(_ path: String, mode: Int32, totalSize: UInt64?, progress: TransferProgress?,
                                  source: @escaping @Sendable () throws -> Data?) async throws {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let temporary = (directory.isEmpty ? "" : directory + "/") + ".\(name).hpcs-tmp-\(UUID().uuidString.prefix(12))"
        do {
            _ = try await withCheckedThrowingContinuation { continuation in
                driver.submit(SFTPUploadOperation(path: temporary, mode: mode, totalSize: totalSize, source: source,
                                                  progress: progress) { continuation.resume(with: $0) })
            }
            do {
                try await rename(temporary, to: path)
            } catch SSHError.sftp(status: 4, _, _) {
                // SFTP v3 rename refuses an existing target; rename(2) replaces atomically.
                guard try await stat(path) != nil else { throw SSHError.sftp(status: 4, path: path, message: "rename failed") }
                let moved = try await run(["mv", "-f", "--", temporary, path])
                guard moved.status.succeeded else {
                    throw SSHError.sftp(status: 4, path: path, message: "cannot replace: \(moved.stderrText)")
                }
            }
        } catch {
            if isOpen { try? await removeFile(temporary) }
            throw error
        }
    }
}

/// Carries a non-Sendable value whose use is confined to one operation at a time.
final class UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
