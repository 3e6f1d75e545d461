import Foundation
import History
import Slurm
import Synchronization

/// One job watched until it ends and its log is drained: Slurm is polled
/// (more slowly as the job runs on, `StatusPoller.interval`), every change
/// of state is recorded in History, and the log is followed into a local
/// copy across reconnects. What happens arrives as a stream of events. The
/// TUI's Monitor and `hpcs-job submit -f` / `logs -f` share it.
public struct JobWatcher: Sendable {
    public enum Event: Sendable, Equatable {
        case status(JobStatus)
        case log(Data)
        case reconnected(Int)
        /// Accounting's figures after the end (read a few times: they settle).
        case efficiency(JobEfficiency)
    }

    public let record: SubmissionRecord
    public let connections: ConnectionManager
    public let history: HistoryStore?
    /// The local copy of the log (whole from its start; filled in behind a stream that starts later).
    public let localLog: URL
    /// Stream from this byte of the remote log (after showing its end) instead of the local copy's size.
    public let startOffset: Int64?
    public var readsEfficiency = false

    public init(record: SubmissionRecord, connections: ConnectionManager, history: HistoryStore?, localLog: URL,
                startOffset: Int64? = nil) {
        self.record = record
        self.connections = connections
        self.history = history
        self.localLog = localLog
        self.startOffset = startOffset
    }

    /// The events until the job is final and its log drained; the stream
    /// ends then (or with the follower's error). Stopping the iteration stops
    /// the watching.
    public func events() -> AsyncThrowingStream<Event, Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await run { continuation.yield($0) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Watches until final and drained. The local copy's size (how much of
    /// the log is here, whole) is left in the record's `logOffset`.
    public func run(_ onEvent: @escaping @Sendable (Event) -> Void) async throws {
        guard let jobID = record.jobID else { return }
        let final = Mutex(false)
        let poller = Task { [record, connections, history, readsEfficiency] in
            let started = ContinuousClock.now
            var state: JobState?
            while !Task.isCancelled {
                if let connection = try? await connections.connection(),
                   let status = try? await StatusPoller.poll(jobIDs: [jobID], on: connection)[jobID] {
                    if status.state != state { _ = try? history?.apply(status, to: record.id) }
                    state = status.state
                    onEvent(.status(status))
                    if status.state.isTerminal {
                        final.withLock { $0 = true }
                        guard readsEfficiency else { return }
                        var last: JobEfficiency?
                        for delay in [0, 3, 10] {
                            try? await Task.sleep(for: .seconds(delay))
                            guard let efficiency = try? await StatusPoller.efficiency(jobID: jobID, on: connection),
                                  efficiency != last else { continue }
                            last = efficiency
                            onEvent(.efficiency(efficiency))
                        }
                        return
                    }
                }
                try? await Task.sleep(for: StatusPoller.interval(sinceSubmit: ContinuousClock.now - started, state: state))
            }
        }
        defer { poller.cancel() }
        let follower = LogFollower(remotePath: record.logPath, localFile: localLog, connections: connections, startingAt: startOffset)
        try await follower.run(isFinal: { final.withLock { $0 } }, onBytes: { onEvent(.log($0)) },
                               onReconnect: { onEvent(.reconnected($0)) })
        if let kept = follower.localBytes { _ = try? history?.update(record.id) { $0.logOffset = kept } }
    }
}
