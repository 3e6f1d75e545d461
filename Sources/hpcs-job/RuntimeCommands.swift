import ArgumentParser
import Foundation
import History
import JobPreparation
import JobRuntime
import SecureShell
import Slurm
import TerminalUI

/// Options shared by the commands that act on past submissions.
struct RecordOptions: ParsableArguments {
    @Flag(name: .long, help: "Accept and remember an unknown host key.") var acceptNewHostKey = false
    @Option(name: .customLong("ssh-config"), help: "Use this ssh_config file instead of ~/.ssh/config and /etc/ssh/ssh_config (like ssh -F).")
    var sshConfig: String?
}

/// Connects to the cluster a record was submitted to, with its own config.
func connection(for record: SubmissionRecord, options: RecordOptions) async throws -> (SSHConnection, HPCSConfig) {
    let config = try loadConfig(record.configPath)
    return (try await connect(config, acceptNewHostKey: options.acceptNewHostKey, sshConfigPath: options.sshConfig), config)
}


struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the state of submissions (by submission or job id).")

    @Argument(help: "Submission ids, id prefixes or job ids.") var ids: [String]
    @OptionGroup var options: RecordOptions
    @Flag(name: .long, help: "Print a JSON array.") var json = false

    func run() async throws {
        let history = try openHistory()
        let records = try ids.map { try findRecord($0, in: history) }
        var updated: [SubmissionRecord] = []
        var efficiencies: [String: JobEfficiency] = [:]
        // One connection and one poll per cluster configuration.
        for group in Dictionary(grouping: records, by: \.configPath).values {
            guard let first = group.first else { continue }
            let (ssh, _) = try await connection(for: first, options: options)
            defer { ssh.close() }
            do {
                // A submission whose sbatch ended unclearly is settled first, by its comment tag.
                let submitter = Submitter(history: history, paths: LocalPaths(), templates: TemplateStore.standard())
                try await submitter.recover(on: ssh, cluster: ssh.settings)
                let current = try group.map { try history.record($0.id) ?? $0 }
                let refreshed = try await history.refresh(current, on: ssh)
                updated += refreshed
                for record in refreshed where record.isFinished {
                    guard let jobID = record.jobID, let efficiency = try? await StatusPoller.efficiency(jobID: jobID, on: ssh) else { continue }
                    efficiencies[record.id] = efficiency
                }
            } catch {
                throw fail("\(error)", code: ExitCodes.connection)
            }
        }
        let ordered = records.compactMap { record in updated.first { $0.id == record.id } }
        if json {
            return try printJSON(ordered.map { record in
                var object = record.jsonObject
                if let efficiency = efficiencies[record.id] { object["efficiency"] = efficiency.jsonObject }
                return object
            })
        }
        for record in ordered {
            Console.output("\(record.id)\tjob \(record.jobID ?? "-")\t\(record.state ?? record.stage.rawValue)\texit \(record.exitCode.map(String.init) ?? "-")"
                           + (efficiencies[record.id].map { "\t" + $0.summary } ?? ""))
        }
    }
}

struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a job's log (escape sequences neutralised).")

    @Argument(help: "Submission id, id prefix or job id (any Slurm job id with --config).") var id: String
    @Flag(name: [.customShort("f"), .long], help: "Keep following until the job ends.") var follow = false
    @Option(name: [.customShort("n"), .long], help: "Only the last N lines (read from the end, however large the log).")
    var tail: Int?
    @Option(name: .long, help: "For a job not in the history: the HPCS client configuration naming its cluster.") var config: String?
    @OptionGroup var options: RecordOptions

    func validate() throws {
        if let tail, tail < 0 { throw ValidationError("--tail takes a count of 0 or more lines") }
    }

    func run() async throws {
        let history = try openHistory()
        let (record, ssh) = try await resolve(history)
        defer { ssh.close() }
        var startOffset: Int64?
        if let tail {
            do {
                let end = try await LogTail.read(path: record.logPath, lines: tail, on: ssh)
                FileHandle.standardOutput.write(Data(TerminalSanitizer.plainText(end.data).utf8))
                startOffset = end.size
            } catch {
                throw fail("\(error)", code: ExitCodes.connection)
            }
            if !follow { return }
        }
        if follow {
            try await followLog(record, history: history, connection: ssh, startingAt: startOffset)
        } else {
            do {
                let data = try await ssh.readFile(record.logPath, limit: 1 << 30)
                FileHandle.standardOutput.write(Data(TerminalSanitizer.plainText(data).utf8))
            } catch {
                throw fail("cannot read \(record.logPath): \(error)", code: ExitCodes.connection)
            }
        }
    }
}

extension Logs {
    /// The record and a connection to its cluster: from the history, or for
    /// any Slurm job id with --config, from `scontrol show job` (its StdOut).
    func resolve(_ history: HistoryStore) async throws -> (SubmissionRecord, SSHConnection) {
        if let record = try history.find(id) { return (record, try await connection(for: record, options: options).0) }
        guard let config else {
            throw fail("no submission '\(id)' in \(history.url.path) (see `hpcs-job history`; for another job give --config)",
                       code: ExitCodes.usage)
        }
        guard !id.isEmpty, id.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "_") }) else {
            throw fail("'\(id)' is not a Slurm job id", code: ExitCodes.usage)
        }
        let hpcs = try loadConfig(config)
        let ssh = try await connect(hpcs, acceptNewHostKey: options.acceptNewHostKey, sshConfigPath: options.sshConfig)
        do {
            return (try await ForeignJob.record(id, name: "", configPath: config, on: ssh), ssh)
        } catch let unknown as ForeignJob.Unknown {
            ssh.close()
            throw fail("\(unknown)", code: ExitCodes.usage)
        } catch {
            ssh.close()
            throw error
        }
    }
}

/// Follows a job's log to stdout until the job is final and the log drained.
/// Without a tail printed first, what the local copy already holds is
/// printed from it and only the rest is fetched; after a tail, the stream
/// starts at its end and the copy is filled in behind it. Either way the
/// copy under logs/ ends up the whole log.
func followLog(_ record: SubmissionRecord, history: HistoryStore, connection: SSHConnection, startingAt startOffset: Int64? = nil) async throws {
    guard record.jobID != nil else { throw fail("\(record.id) has no job id", code: ExitCodes.usage) }
    let manager = ConnectionManager(settings: connection.settings, // as connected (--ssh-config included)
                                    interaction: TerminalInteraction(acceptNewHostKeys: false), initial: connection)
    let local = LocalPaths().logs.appendingPathComponent("\(record.id).log")
    let decoder = UTF8StreamDecoder()
    func show(_ data: Data) { FileHandle.standardOutput.write(Data(TerminalSanitizer.plainText(decoder.decode(data)).utf8)) }
    let from = try startOffset ?? printLocalCopy(local, through: show)
    // The Monitor's own watcher: states recorded as they change, the log to the end.
    let watcher = JobWatcher(record: record, connections: manager, history: history, localLog: local, startOffset: from)
    for try await event in watcher.events() {
        if case let .log(data) = event { show(data) }
    }
}

/// Prints the local copy (in pieces: it may be large); returns how many bytes it held.
private func printLocalCopy(_ url: URL, through show: (Data) -> Void) throws -> Int64 {
    guard let handle = try? FileHandle(forReadingFrom: url) else { return 0 }
    defer { try? handle.close() }
    var printed: Int64 = 0
    while let piece = try handle.read(upToCount: 1 << 20), !piece.isEmpty {
        show(piece)
        printed += Int64(piece.count)
    }
    return printed
}

struct Cancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Cancel a submitted job (scancel).")

    @Argument(help: "Submission id, id prefix or job id.") var id: String
    @OptionGroup var options: RecordOptions

    func run() async throws {
        let history = try openHistory()
        let record = try findRecord(id, in: history)
        guard let jobID = record.jobID else { throw fail("\(record.id) was never submitted", code: ExitCodes.usage) }
        let (ssh, _) = try await connection(for: record, options: options)
        defer { ssh.close() }
        do {
            try await JobCanceller.cancel(jobID: jobID, on: ssh)
            Console.output("cancel requested for job \(jobID)")
        } catch {
            throw fail("\(error)", code: ExitCodes.submission)
        }
    }
}

struct Results: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Download, decrypt and unpack a job's results.")

    @Argument(help: "Submission id, id prefix or job id.") var id: String
    @Option(name: .long, help: "Put the results in OUTPUT/<submission id>/ (default: the data directory's results/); nothing else in OUTPUT is changed.")
    var output: String?
    @OptionGroup var options: RecordOptions
    @Flag(name: .long, help: "Print a JSON object.") var json = false

    func run() async throws {
        let history = try openHistory()
        let record = try findRecord(id, in: history)
        let (ssh, _) = try await connection(for: record, options: options)
        defer { ssh.close() }
        do {
            let results = try await ResultsFetcher.fetch(record, from: ssh, paths: LocalPaths(),
                                                         into: output.map { URL(fileURLWithPath: $0) })
            _ = try? history.update(record.id) { $0.resultsDir = results.directory.path }
            if json {
                try printJSON(["submission_id": record.id, "directory": results.directory.path,
                               "stdout": results.stdout ?? NSNull(), "stderr": results.stderr ?? NSNull(),
                               "exit_code": results.exitCode ?? NSNull(), "files": results.files])
            } else {
                Console.output("results in \(results.directory.path)")
                if let code = results.exitCode { Console.output("application exit code: \(code)") }
                if let stdout = results.stdout { Console.output("--- stdout\n" + stdout) }
                if let stderr = results.stderr, !stderr.isEmpty { Console.output("--- stderr\n" + stderr) }
            }
        } catch {
            throw fail("\(error)", code: ExitCodes.submission)
        }
    }
}

extension JobEfficiency {
    var jsonObject: [String: Any] {
        ["cpu_percent": cpuEfficiency ?? NSNull(), "memory_percent": memoryEfficiency ?? NSNull(), "cpu_seconds": cpuSeconds,
         "elapsed_seconds": elapsedSeconds, "cpus": cpus, "max_rss_bytes": maxRSSBytes, "requested_memory_bytes": requestedMemoryBytes ?? NSNull()]
    }
}
