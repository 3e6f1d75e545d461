import Foundation
import JobPreparation
import SecureShell
import Slurm
import Synchronization

/// Follows a job's output file over SSH from a byte offset (`tail -c +N -F`),
/// keeping every byte in a local copy (``LocalLogCopy``). After a dropped
/// connection it reconnects and resumes exactly where the stream was, so
/// nothing is lost and nothing repeated. Started beyond the copy's end (a
/// log shown from its end first), it fills in the bytes between on the same
/// connection meanwhile, so the copy ends up whole. It stops by itself once
/// the job is final, the remote file drained and the copy whole.
public final class LogFollower: Sendable {
    public let remotePath: String
    public let localFile: URL
    private let connections: ConnectionManager
    private let offset = Mutex<Int64>(0)
    private let kept = Mutex<LocalLogCopy?>(nil)
    /// Where the stream starts when not where the local copy ends (after a tail was shown).
    private let startOffset: Int64?

    public init(remotePath: String, localFile: URL, connections: ConnectionManager, startingAt startOffset: Int64? = nil) {
        self.remotePath = remotePath
        self.localFile = localFile
        self.connections = connections
        self.startOffset = startOffset
    }

    /// The stream's position in the remote file (bytes received or skipped).
    public var receivedBytes: Int64 { offset.withLock { $0 } }

    /// Bytes the local copy holds from the start of the log; nil when
    /// another process keeps it (this one follows without writing).
    public var localBytes: Int64? { kept.withLock { copy in copy.flatMap { $0.isKept ? $0.size : nil } } }

    /// A remote log shorter than what was already received: it was written
    /// again from the start (a requeued job), so following it on would mix two runs.
    public struct Rewritten: Error, Sendable, CustomStringConvertible {
        public let path: String
        public let received: Int64
        /// The local copy, kept as it is (the earlier run's log).
        public let copy: String
        public var description: String {
            "\(path) is now shorter than the \(received) bytes already received: it was written again (a requeued job?). "
                + "The earlier log is kept in \(copy): move it away, then follow again to fetch the new one"
        }
    }

    /// Runs until the job is final and drained and the copy whole, or the
    /// task is cancelled. `isFinal` is asked about once a second; `onBytes`
    /// gets each new chunk of the stream.
    public func run(isFinal: @escaping @Sendable () async -> Bool,
                    onBytes: @escaping @Sendable (Data) -> Void = { _ in },
                    onReconnect: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let copy = try LocalLogCopy(url: localFile)
        kept.withLock { $0 = copy }
        let start = startOffset ?? copy.size
        offset.withLock { $0 = start }
        try copy.startFollowing(at: start)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.stream(into: copy, isFinal: isFinal, onBytes: onBytes, onReconnect: onReconnect) }
            group.addTask { try await self.fillGap(of: copy) }
            defer { group.cancelAll() }
            try await group.waitForAll()
        }
        copy.synchronize()
    }

    private func stream(into copy: LocalLogCopy, isFinal: @escaping @Sendable () async -> Bool,
                        onBytes: @escaping @Sendable (Data) -> Void, onReconnect: @escaping @Sendable (Int) -> Void) async throws {
        var connection = try await connections.connection()
        while !Task.isCancelled {
            do {
                if try await followOnce(connection, copy: copy, isFinal: isFinal, onBytes: onBytes) { return }
            } catch let error as SSHError where error.isConnectionLost || error == .cancelled && !Task.isCancelled {
                connection = try await connections.replace(connection)
                onReconnect(await connections.reconnects)
            }
        }
    }

    /// Reads the range between the copy and the stream's start, by byte
    /// range, resuming after a reconnect where the copy has got to.
    private func fillGap(of copy: LocalLogCopy) async throws {
        guard copy.gap != nil else { return }
        var connection = try await connections.connection()
        while let gap = copy.gap, !Task.isCancelled {
            let command = RemoteCommand(script: "dd if=\(ShellQuote.quote(remotePath)) bs=1M skip=\(gap.lowerBound) count=\(gap.count) "
                                        + "iflag=skip_bytes,count_bytes status=none")
            do {
                var ended: RemoteExitStatus?
                for try await chunk in connection.stream(command, bufferLimit: 4 << 20) {
                    switch chunk {
                    case let .stdout(data): try copy.fill(data)
                    case let .exit(status): ended = status
                    case .stderr: break
                    }
                }
                // dd ended without a byte of a range the file had: it is shorter now.
                if ended != nil, copy.gap == gap { throw Rewritten(path: remotePath, received: gap.upperBound, copy: localFile.path) }
            } catch let error as SSHError where error.isConnectionLost || error == .cancelled && !Task.isCancelled {
                connection = try await connections.replace(connection)
            }
        }
    }

    /// One streaming session; true when the job is final and drained.
    private func followOnce(_ connection: SSHConnection, copy: LocalLogCopy, isFinal: @escaping @Sendable () async -> Bool,
                            onBytes: @escaping @Sendable (Data) -> Void) async throws -> Bool {
        let from = offset.withLock { $0 }
        // What already exists is read with dd in large blocks (tail reads
        // slowly); then tail -F continues from exactly the byte after it. A
        // file shorter than what was received ends the stream with 65.
        let file = ShellQuote.quote(remotePath)
        let command = RemoteCommand(script: """
            f=\(file); o=\(from)
            if [ -f "$f" ]; then s=$(stat -c %s -- "$f"); [ "$s" -ge "$o" ] || exit 65; if [ "$s" -gt "$o" ]; then \
            dd if="$f" bs=1M skip="$o" count=$((s - o)) iflag=skip_bytes,count_bytes status=none; o=$s; fi; fi
            exec tail -c +$((o + 1)) -F -- "$f" 2>/dev/null
            """)
        let finalSize = FinalSize()
        return try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { [self] in
                for try await chunk in connection.stream(command, bufferLimit: 4 << 20) {
                    if case let .exit(status) = chunk, status.code == 65 { throw Rewritten(path: remotePath, received: from, copy: localFile.path) }
                    guard case let .stdout(data) = chunk else { continue }
                    let position = offset.withLock { $0 }
                    try copy.write(data, at: position)
                    let received = offset.withLock { $0 += Int64(data.count); return $0 }
                    onBytes(data)
                    // Drained the moment the last byte of a final job's file arrives.
                    if let size = finalSize.value.withLock({ $0 }), received >= size { return true }
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
                    let received = offset.withLock { $0 }
                    if received > size { throw Rewritten(path: remotePath, received: received, copy: localFile.path) }
                    if received == size { return true }
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
