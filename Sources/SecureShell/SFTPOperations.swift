import CLibSSH2
import Foundation

/// A remote file's metadata.
public struct RemoteFileInfo: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case file, directory, symlink, other }
    public let name: String
    public let kind: Kind
    public let size: UInt64
    public let permissions: UInt32
    public let modified: Date

    public init(name: String, kind: Kind, size: UInt64, permissions: UInt32, modified: Date) {
        self.name = name
        self.kind = kind
        self.size = size
        self.permissions = permissions
        self.modified = modified
    }

    init(name: String, attributes: LIBSSH2_SFTP_ATTRIBUTES) {
        self.name = name
        let type = Int32(attributes.permissions) & hpcs_sftp_s_ifmt()
        switch type {
        case hpcs_sftp_s_ifdir(): kind = .directory
        case hpcs_sftp_s_ifreg(): kind = .file
        case hpcs_sftp_s_iflnk(): kind = .symlink
        default: kind = .other
        }
        size = attributes.filesize
        permissions = UInt32(attributes.permissions) & 0o7777
        modified = Date(timeIntervalSince1970: TimeInterval(attributes.mtime))
    }
}

/// Progress of a transfer: bytes done and the total when known.
public typealias TransferProgress = @Sendable (_ done: UInt64, _ total: UInt64?) -> Void

enum SFTPStep<T> {
    case again
    case done(T)
    case failed(SSHError)
}

/// Base for SFTP work. libssh2 keeps one in-flight request state per SFTP
/// session for open/stat/mkdir/…, so SFTP operations take turns: only the
/// holder of the driver's SFTP turn calls into libssh2's SFTP layer.
class SFTPOperation: DriverOperation, @unchecked Sendable {
    final func step(_ driver: SessionDriver) -> StepResult {
        guard driver.sftpTurn.acquire(self) else { return .blocked }
        if driver.sftp == nil {
            guard driver.setupTurn.acquire(self) else { return .blocked }
            guard let sftp = libssh2_sftp_init(driver.session) else {
                if driver.lastCallWouldBlock { return .blocked }
                let error = driver.lastError(during: "starting SFTP")
                if error.isConnectionLost { driver.fatal(error) }
                driver.setupTurn.release(self)
                driver.sftpTurn.release(self)
                fail(error)
                return .finished
            }
            driver.setupTurn.release(self)
            driver.sftp = sftp
        }
        let result = advance(driver, driver.sftp.unsafelyUnwrapped)
        if case .finished = result { driver.sftpTurn.release(self) }
        return result
    }

    /// Replies for the SFTP turn's holder that wait inside libssh2.
    final func hasBufferedInput(_ driver: SessionDriver) -> Bool {
        guard driver.sftpTurn.isHeld(by: self), let sftp = driver.sftp else { return false }
        return bufferedBytes(libssh2_sftp_get_channel(sftp)) > 0
    }

    func advance(_ driver: SessionDriver, _ sftp: OpaquePointer) -> StepResult { .finished }
    func fail(_ error: SSHError) {}

    /// The error for a failed SFTP call on `path`.
    func error(_ driver: SessionDriver, _ rc: Int, path: String, during: String) -> SSHError? {
        if rc == Int(LIBSSH2_ERROR_EAGAIN) { return nil }
        if rc == Int(LIBSSH2_ERROR_SFTP_PROTOCOL), let sftp = driver.sftp {
            let status = libssh2_sftp_last_error(sftp)
            return .sftp(status: status, path: path, message: Self.describe(status: status))
        }
        return driver.failure(for: rc, during: during) ?? .libssh2(code: Int32(rc), message: during, during: during)
    }

    /// Opens a file or directory handle; nil while libssh2 wants a retry,
    /// or after `fail` got the error.
    func openHandle(_ driver: SessionDriver, _ sftp: OpaquePointer, path: String, flags: UInt, mode: Int, type: Int32,
                    during: String, fail: (SSHError) -> Void) -> (handle: OpaquePointer?, retry: Bool) {
        if let opened = libssh2_sftp_open_ex(sftp, path, UInt32(path.utf8.count), flags, mode, type) { return (opened, false) }
        if driver.lastCallWouldBlock { return (nil, true) }
        fail(error(driver, Int(libssh2_session_last_errno(driver.session)), path: path, during: during)
             ?? .sftp(status: 4, path: path, message: "failure"))
        return (nil, false)
    }

    /// Closes `handle` (if open); false while libssh2 wants a retry.
    func closeHandle(_ handle: inout OpaquePointer?) -> Bool {
        guard let open = handle else { return true }
        if libssh2_sftp_close_handle(open) == LIBSSH2_ERROR_EAGAIN { return false }
        handle = nil
        return true
    }

    static func describe(status: UInt) -> String {
        switch status {
        case 1: return "end of file"
        case 2: return "no such file or directory"
        case 3: return "permission denied"
        case 4: return "failure"
        case 5: return "bad message"
        case 8: return "operation unsupported"
        case 11: return "file already exists"
        case 12: return "write protected"
        case 14: return "no space on the filesystem"
        case 15: return "quota exceeded"
        case 18: return "directory not empty"
        case 19: return "not a directory"
        case 24: return "is a directory"
        default: return "SFTP status \(status)"
        }
    }
}

/// One retried libssh2 SFTP call (stat, mkdir, rename, unlink, rmdir, setstat).
final class SFTPCall<T>: SFTPOperation, @unchecked Sendable {
    private let body: (SessionDriver, OpaquePointer, SFTPCall<T>) -> SFTPStep<T>
    private let completion: (Result<T, SSHError>) -> Void

    init(_ body: @escaping (SessionDriver, OpaquePointer, SFTPCall<T>) -> SFTPStep<T>,
         completion: @escaping (Result<T, SSHError>) -> Void) {
        self.body = body
        self.completion = completion
    }

    override func advance(_ driver: SessionDriver, _ sftp: OpaquePointer) -> StepResult {
        switch body(driver, sftp, self) {
        case .again: return .blocked
        case let .done(value): completion(.success(value)); return .finished
        case let .failed(error): completion(.failure(error)); return .finished
        }
    }

    override func fail(_ error: SSHError) { completion(.failure(error)) }
}

/// Lists a directory with each entry's attributes.
final class SFTPListOperation: SFTPOperation, @unchecked Sendable {
    private let path: String
    private let completion: (Result<[RemoteFileInfo], SSHError>) -> Void
    private var handle: OpaquePointer?
    private var entries: [RemoteFileInfo] = []
    private var closing = false
    private var name = [CChar](repeating: 0, count: 4096)

    init(path: String, completion: @escaping (Result<[RemoteFileInfo], SSHError>) -> Void) {
        self.path = path
        self.completion = completion
    }

    override func fail(_ error: SSHError) { completion(.failure(error)) }

    override func advance(_ driver: SessionDriver, _ sftp: OpaquePointer) -> StepResult {
        if handle == nil {
            let (opened, retry) = openHandle(driver, sftp, path: path, flags: 0, mode: 0, type: LIBSSH2_SFTP_OPENDIR,
                                             during: "opening a directory") { completion(.failure($0)) }
            guard let opened else { return retry ? .blocked : .finished }
            handle = opened
        }
        while !closing {
            var attributes = LIBSSH2_SFTP_ATTRIBUTES()
            let count = libssh2_sftp_readdir_ex(handle, &name, name.count, nil, 0, &attributes)
            if count == Int32(LIBSSH2_ERROR_EAGAIN) { return .blocked }
            if count < 0 {
                closing = true
                let failure = error(driver, Int(count), path: path, during: "listing a directory")
                completion(.failure(failure ?? .sftp(status: 4, path: path, message: "failure")))
                break
            }
            if count == 0 { closing = true; break }
            let entryName = name.withUnsafeBufferPointer { buffer in
                buffer.baseAddress.map {
                    $0.withMemoryRebound(to: UInt8.self, capacity: Int(count)) {
                        String(decoding: UnsafeBufferPointer(start: $0, count: Int(count)), as: UTF8.self)
                    }
                } ?? ""
            }
            if entryName != "." && entryName != ".." { entries.append(RemoteFileInfo(name: entryName, attributes: attributes)) }
        }
        guard closeHandle(&handle) else { return .blocked }
        completion(.success(entries.sorted { $0.name < $1.name }))
        return .finished
    }
}

/// Streams a remote file into a sink (a local file or memory), with progress.
final class SFTPDownloadOperation: SFTPOperation, @unchecked Sendable {
    private let path: String
    private let sink: (Data) throws -> Void
    private let progress: TransferProgress?
    private let completion: (Result<UInt64, SSHError>) -> Void
    private var handle: OpaquePointer?
    private var total: UInt64?
    private var done: UInt64 = 0
    private var buffer = [CChar](repeating: 0, count: 1 << 20)
    private var outcome: Result<UInt64, SSHError>?

    init(path: String, sink: @escaping (Data) throws -> Void, progress: TransferProgress?,
         completion: @escaping (Result<UInt64, SSHError>) -> Void) {
        self.path = path
        self.sink = sink
        self.progress = progress
        self.completion = completion
    }

    override func fail(_ error: SSHError) { completion(.failure(error)) }

    override func advance(_ driver: SessionDriver, _ sftp: OpaquePointer) -> StepResult {
        if handle == nil {
            let (opened, retry) = openHandle(driver, sftp, path: path, flags: UInt(LIBSSH2_FXF_READ), mode: 0,
                                             type: LIBSSH2_SFTP_OPENFILE, during: "opening a file") { completion(.failure($0)) }
            guard let opened else { return retry ? .blocked : .finished }
            handle = opened
        }
        if total == nil, outcome == nil {
            var attributes = LIBSSH2_SFTP_ATTRIBUTES()
            let rc = libssh2_sftp_fstat_ex(handle, &attributes, 0)
            if rc == LIBSSH2_ERROR_EAGAIN { return .blocked }
            total = rc == 0 ? attributes.filesize : 0
        }
        var progressed = false
        while outcome == nil {
            let count = libssh2_sftp_read(handle, &buffer, buffer.count)
            if count == Int(LIBSSH2_ERROR_EAGAIN) { return progressed ? .progressed : .blocked }
            if count < 0 {
                outcome = .failure(error(driver, count, path: path, during: "reading a file")
                    ?? .sftp(status: 4, path: path, message: "failure"))
                break
            }
            if count == 0 { outcome = .success(done); break }
            do {
                try sink(buffer.withUnsafeBytes { Data($0.prefix(count)) })
            } catch {
                outcome = .failure(.localFile(path: path, reason: "\(error)"))
                break
            }
            done += UInt64(count)
            progress?(done, total)
            progressed = true
        }
        guard closeHandle(&handle) else { return .blocked }
        completion(outcome ?? .success(done))
        return .finished
    }
}

/// Writes a new remote file from a source with the given mode. The caller
/// gives a temporary name; renaming over the target happens afterwards.
final class SFTPUploadOperation: SFTPOperation, @unchecked Sendable {
    private let path: String
    private let mode: Int32
    private let source: () throws -> Data?
    private let totalSize: UInt64?
    private let progress: TransferProgress?
    private let completion: (Result<UInt64, SSHError>) -> Void
    private var handle: OpaquePointer?
    private var pending = Data()
    private var offset = 0
    private var done: UInt64 = 0
    private var sourceFinished = false
    private var synced = false
    private var outcome: Result<UInt64, SSHError>?

    init(path: String, mode: Int32, totalSize: UInt64?, source: @escaping () throws -> Data?,
         progress: TransferProgress?, completion: @escaping (Result<UInt64, SSHError>) -> Void) {
        self.path = path
        self.mode = mode
        self.totalSize = totalSize
        self.source = source
        self.progress = progress
        self.completion = completion
    }

    override func fail(_ error: SSHError) { completion(.failure(error)) }

    override func advance(_ driver: SessionDriver, _ sftp: OpaquePointer) -> StepResult {
        if handle == nil {
            let flags = UInt(LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_EXCL)
            let (opened, retry) = openHandle(driver, sftp, path: path, flags: flags, mode: Int(mode),
                                             type: LIBSSH2_SFTP_OPENFILE, during: "creating a file") { completion(.failure($0)) }
            guard let opened else { return retry ? .blocked : .finished }
            handle = opened
        }
        var progressed = false
        while outcome == nil {
            if offset >= pending.count {
                if sourceFinished {
                    // fsync@openssh.com so the rename that follows never exposes a short file.
                    if !synced {
                        let rc = libssh2_sftp_fsync(handle)
                        if rc == LIBSSH2_ERROR_EAGAIN { return .blocked }
                        synced = true
                    }
                    outcome = .success(done)
                    break
                }
                do {
                    if let next = try source(), !next.isEmpty { pending = next; offset = 0 } else { sourceFinished = true }
                } catch {
                    outcome = .failure(.localFile(path: path, reason: "\(error)"))
                }
                continue
            }
            let count = pending.withUnsafeBytes { bytes -> Int in
                let base = bytes.baseAddress.unsafelyUnwrapped.assumingMemoryBound(to: CChar.self)
                return libssh2_sftp_write(handle, base + offset, pending.count - offset)
            }
            if count == Int(LIBSSH2_ERROR_EAGAIN) { return progressed ? .progressed : .blocked }
            if count < 0 {
                outcome = .failure(error(driver, count, path: path, during: "writing a file")
                    ?? .sftp(status: 4, path: path, message: "failure"))
                break
            }
            offset += count
            done += UInt64(count)
            progress?(done, totalSize)
            progressed = true
        }
        guard closeHandle(&handle) else { return .blocked }
        completion(outcome ?? .success(done))
        return .finished
    }
}
