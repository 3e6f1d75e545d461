import Foundation
import JobPreparation
import SecureShell
import Slurm
import Synchronization

/// Follows a job's output file over SSH from a byte offset (`tail -c +N -F`),
/// appending every byte to a local file. The local file's size is the
/// offset: after a dropped connection it reconnects and resumes exactly
/// there, so nothing is lost and nothing repeated. It stops by itself once
/// the job is final and the remote file is drained.
public final class LogFollower: Sendable {
    public let remotePath: String
    public let localFile: URL
    private let connections: ConnectionManager
    private let offset = Mutex<Int64>(0)
    /// Where following starts when not where the local copy ends (after a tail was shown).
    private let startOffset: Int64?

    public init(remotePath: String, localFile: URL, connections: ConnectionManager, startingAt startOffset: Int64? = nil) {
        self.remotePath = remotePath
        self.localFile = localFile
        self.connections = connections
        self.startOffset = startOffset
    }

    /// Bytes received so far (the size of the local copy).
    public var receivedBytes: Int64 { offset.withLock { $0 } }

    /// Runs until the job is final and drained, or the task is cancelled.
    /// `isFinal` is asked about once a second; `onBytes` gets each new chunk.
    public func run(isFinal: @escaping @Sendable () async -> Bool,
                    onBytes: @escaping @Sendable (Data) -> Void = { _ in },
                    onReconnect: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        try FileManager.default.createDirectory(at: localFile.deletingLastPathComponent(), withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        if !FileManager.default.fileExists(atPath: localFile.path) {
            _ = FileManager.default.createFile(atPath: localFile.path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        let handle = try FileHandle(forWritingTo: localFile)
        defer { try? handle.close() }
        let end = try handle.seekToEnd()
        offset.withLock { $0 = startOffset ?? Int64(end) }
        let file = FileBox(handle)

        var connection = try await connections.connection()
        while !Task.isCancelled {
            do {
                if try await followOnce(connection, file: file, isFinal: isFinal, onBytes: onBytes) { return }
            } catch let error as SSHError where error.isConnectionLost || error == .cancelled && !Task.isCancelled {
                connection = try await connections.replace(connection)
                onReconnect(await connections.reconnects)
            }
        }
    }

    /// One streaming session; true when the job is final and drained.
    private func followOnce(_ connection: SSHConnection, file output: FileBox, isFinal: @escaping @Sendable () async -> Bool,
                            onBytes: @escaping @Sendable (Data) -> Void) async throws -> Bool {
        let from = offset.withLock { $0 }
        // What already exists is read with dd in large blocks (tail reads
        // slowly); then tail -F continues from exactly the byte after it.
        let file = ShellQuote.quote(remotePath)
        let command = RemoteCommand(script: """
            f=\(file); o=\(from)
            if [ -f "$f" ]; then s=$(stat -c %s -- "$f"); if [ "$s" -gt "$o" ]; then \
            dd if="$f" bs=1M skip="$o" count=$((s - o)) iflag=skip_bytes,count_bytes status=none; o=$s; fi; fi
            exec tail -c +$((o + 1)) -F -- "$f" 2>/dev/null
            """)
        let finalSize = FinalSize()
        return try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { [self] in
                for try await chunk in connection.stream(command, bufferLimit: 4 << 20) {
                    guard case let .stdout(data) = chunk else { continue }
                    try output.handle.write(contentsOf: data)
                    let received = offset.withLock { $0 += Int64(data.count); return $0 }
                    onBytes(data)
                    // Drained the moment the last byte of a final job's file arrives.
                    if let size = finalSize.value.withLock({ $0 }), received >= size {
                        try output.handle.synchronize()
                        return true
                    }
                }
                // tail -F only ends when its channel is closed under it.
                if !connection.isOpen { throw SSHError.disconnected("the log stream ended") }
                return false
            }
            group.addTask { [self] in
                while true {
                    guard await isFinal() else {
                        try await Task.sleep(for: .seconds(1))
                        continue
                    }
                    // Final: drained once we hold as many bytes as the file has.
                    let size = try await connection.stat(remotePath).map { Int64($0.size) } ?? 0
                    finalSize.value.withLock { $0 = size }
                    if offset.withLock({ $0 }) >= size {
                        try output.handle.synchronize()
                        return true
                    }
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
            defer { group.cancelAll() }
            while let finished = try await group.next() {
                if finished { return true }
            }
            return false
        }
    }
}

/// The size of a final job's file, once known, shared by the stream and
/// the drain check.
private final class FinalSize: Sendable {
    let value = Mutex<Int64?>(nil)
}

/// A file handle written by one task at a time.
final class FileBox: @unchecked Sendable {
    let handle: FileHandle
    init(_ handle: FileHandle) { self.handle = handle }
}

/// `scancel`; Slurm's own error text when it refuses.
public enum JobCanceller {
    public struct Refused: Error, Sendable, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { "scancel refused: \(message)" }
    }

    /// Several jobs in one scancel (the Jobs view's marked jobs).
    public static func cancel(jobIDs: [String], on host: RemoteHost) async throws {
        let result = try await host.run(["scancel"] + jobIDs)
        let stderr = result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
        guard result.status.succeeded else { throw Refused(message: stderr.isEmpty ? "exit status \(result.status.code ?? -1)" : stderr) }
    }

    public static func cancel(jobID: String, on host: RemoteHost) async throws {
        // scancel exits 0 and says nothing for jobs that left the queue: check first.
        let queued = try await host.run(["squeue", "-h", "-j", jobID, "-o", "%T"])
        let state = queued.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        guard queued.status.succeeded, !state.isEmpty else {
            throw Refused(message: "job \(jobID) is not in the queue (it already ended or never existed)")
        }
        let result = try await host.run(SlurmCommand.scancel(jobID))
        let stderr = result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
        guard result.status.succeeded else { throw Refused(message: stderr.isEmpty ? "exit status \(result.status.code ?? -1)" : stderr) }
    }
}
