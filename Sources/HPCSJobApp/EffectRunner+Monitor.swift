import Foundation
import History
import JobPreparation
import JobRuntime
import SecureShell
import Slurm

/// The Monitor's effects: on the record's own cluster, every reply with
/// the ticket of the job it is about.
extension EffectRunner {
    /// Lines the Monitor starts with when a log is large (a few screens and then some).
    static let tailLines = 5000
    /// Bytes behind beyond which the Monitor shows the end first rather than catching up.
    static let catchUpLimit: Int64 = 8 << 20

    func runMonitor(_ effect: Effect) async {
        switch effect {
        case let .cancel(jobID, cluster):
            do {
                try await JobCanceller.cancel(jobID: jobID, on: try await host(cluster))
                send(.cancelResult("cancel requested for job \(jobID) on \(cluster)"))
            } catch { report(error, of: "cancelling job \(jobID)") }
        case let .cancelJobs(ids, cluster):
            do {
                try await JobCanceller.cancel(jobIDs: ids, on: try await host(cluster))
                send(.cancelResult("cancel requested for \(ids.count == 1 ? "job \(ids[0])" : "\(ids.count) jobs") on \(cluster)"))
            } catch { report(error, of: "cancelling \(ids.count == 1 ? "job \(ids[0])" : "\(ids.count) jobs")") }
        case let .fetchResults(record, ticket):
            do {
                let results = try await ResultsFetcher.fetch(record, from: try await host(record.cluster), paths: paths) { [send] done, total in
                    send(.monitor(ticket, .resultsProgress(total.map { Double(done) / Double(max(1, $0)) })))
                }
                _ = try? history?.update(record.id) { $0.resultsDir = results.directory.path }
                send(.monitor(ticket, .results(.success(results))))
            } catch {
                send(.monitor(ticket, .results(.failure(EffectFailure(error) { PreparationError(.submission, $0) }))))
            }
        case let .loadEarlierLog(path, before, cluster, ticket):
            do {
                let earlier = try await LogTail.before(before, path: path, on: try await host(cluster))
                send(.monitor(ticket, .earlierLog(earlier.data, start: earlier.start)))
            } catch {
                send(.monitor(ticket, .earlierLog(Data(), start: before)))
                send(.notice("cannot read earlier lines: \(error)"))
            }
        case let .scanResults(root, ticket):
            send(.monitor(ticket, .resultsScanned(root, ResultsBrowser.scan(root))))
        case let .readResultFile(root, path, ticket):
            send(.monitor(ticket, .resultFileRead(root.appendingPathComponent(path), ResultsBrowser.read(path, in: root))))
        default: break
        }
    }

    /// Status polls and the log stream of one job, until it is final and drained.
    func monitor(_ record: SubmissionRecord, ticket: Ticket) async {
        guard record.jobID != nil else { return }
        let send: @Sendable (MonitorReply) -> Void = { [send] reply in send(.monitor(ticket, reply)) }
        let localLog = paths.logs.appendingPathComponent("\(record.id).log")
        // What is already here: only its last screens go to the view.
        let local = LogTail.localEnd(localLog, lines: Self.tailLines)
        do {
            // The record's own cluster, never another's (History may show any).
            let manager = try manager(for: record.cluster)
            let ssh = try await manager.connection() // fail early when not connected
            // Far behind a large log: show its end at once and follow from
            // there, instead of reading everything first.
            // The stream goes on from what the view shows first.
            let startOffset: Int64
            if let end = try? await LogTail.read(path: record.logPath, lines: Self.tailLines, on: ssh),
               end.size - local.size > Self.catchUpLimit {
                let note = "the log is \(ResultsBrowser.byteText(end.size)): showing its end (the rest is fetched meanwhile)"
                send(.logStart(end.size - Int64(end.data.count)))
                send(.logBytes(Data("[hpcs-job] \(note)\n".utf8) + end.data))
                self.send(.notice(note))
                startOffset = end.size
            } else {
                if !local.data.isEmpty {
                    send(.logStart(local.size - Int64(local.data.count)))
                    send(.logBytes(local.data))
                }
                startOffset = local.size
            }
            // The local copy ends up whole: what lies before a shown end is filled in behind it.
            var watcher = JobWatcher(record: record, connections: manager, history: history, localLog: localLog,
                                     startOffset: startOffset)
            watcher.readsEfficiency = true
            // The batcher is this job's: bytes it still holds carry this job's ticket.
            let batcher = LogBatcher { data in send(.logBytes(data)) }
            for try await event in watcher.events() {
                switch event {
                case let .status(status): send(.status(status))
                case let .log(data): batcher.add(data)
                case let .reconnected(count): send(.reconnected(count))
                case let .efficiency(efficiency): send(.efficiency(efficiency))
                }
            }
            batcher.flush()
            send(.followEnded(nil))
        } catch is CancellationError {
        } catch let notOpen as NotOpen {
            send(.followEnded("\(notOpen): its job is not followed"))
        } catch {
            send(.followEnded(Task.isCancelled ? nil : "log following stopped: \(error)"))
        }
    }
}
