import ArgumentParser
import Foundation
import JobPreparation
import JobRuntime
import SecureShell
import Synchronization
import TerminalUI

/// Log ingest, stage by stage, beside `ssh cat` (to /dev/null and to a
/// local file, as the follower keeps one) and, when built, rawcat (a
/// minimal blocking libssh2 reader): each a median of alternating rounds.
struct LogBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Log ingest vs `ssh host cat` and rawcat; RSS while following 10M lines.")
    @Option(help: "Size in MB of the log for throughput.") var megabytes = 200
    @Option(help: "Lines for the memory measurement.") var lines = 10_000_000
    @Option(help: "Rounds, alternating the order; medians are compared.") var rounds = 3
    @Option(help: "A rawcat binary (built from ../shared/tools/rawcat.c) to measure as the floor.") var rawcat: String?
    @Option(help: "HPCS client config (default: the local site's).") var config: String?

    func run() async throws {
        let config = try siteConfig(config)
        let ssh = try await SSHConnection.connect(config.connectionSettings(), interaction: NonInteractive())
        let home = try await ssh.homeDirectory()
        let big = home + "/bench-log.txt", many = home + "/bench-lines.txt"
        // base64 of random bytes: 76-column text lines, `megabytes` MB in all.
        _ = try await ssh.run(RemoteCommand(script: "head -c \(megabytes * 750_000) /dev/urandom | base64 > \(big); seq 1 \(lines) > \(many)"))
        let size = Int(try await ssh.stat(big)?.size ?? 0)
        ssh.close()
        let scratch = try privateScratch()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let s = config.supercomputer
        let target = "\(s.username)@\(s.address)"
        let cat = ["ssh"] + sshArguments(config).map { $0 == "-P" ? "-p" : $0 } + [target, "cat", big]
        var contenders: [(name: String, argv: [String], stdout: String)] = [
            ("ssh cat", cat, "/dev/null"),
            ("ssh cat > file", cat, scratch + "/ssh-cat.out"),
            ("transport (stream only)", [selfPath(), "follow-worker", big, config.path, "--stage", "transport"], "/dev/null"),
            ("+ local copy (LogFollower)", [selfPath(), "follow-worker", big, config.path, "--stage", "copy", "--scratch", scratch], "/dev/null"),
            ("+ view (hpcs-job)", [selfPath(), "follow-worker", big, config.path, "--stage", "view", "--scratch", scratch], "/dev/null"),
        ]
        if let rawcat {
            contenders.append(("rawcat", [rawcat, String(s.port ?? 22), s.username, s.identityFile ?? "", big, "262144"], "/dev/null"))
        }
        var times: [String: [Measurement]] = [:]
        for round in 0..<rounds {
            for contender in round % 2 == 0 ? contenders : contenders.reversed() {
                let measured = try Measurement.run(contender.argv, stdout: contender.stdout)
                guard measured.status == 0 else { throw ValidationError("\(contender.name) failed (status \(measured.status))") }
                times[contender.name, default: []].append(measured)
                unlink(scratch + "/ssh-cat.out")
            }
        }
        let median = times.mapValues(Measurement.median)
        func rate(_ name: String) -> Double { median[name].map { mib(size) / $0.seconds } ?? 0 }
        print(String(format: "log ingest of %.0f MB, medians of %d alternating rounds:", Double(size) / 1e6, rounds))
        for contender in contenders {
            guard let m = median[contender.name] else { continue }
            print(String(format: "  %-28@ %6.2f s  %6.1f MiB/s  peak RSS %5.1f MiB", contender.name as NSString, m.seconds, rate(contender.name),
                         Double(m.peakRSSKiB) / 1024))
        }
        let ours = rate("+ view (hpcs-job)")
        print(String(format: "ratio: hpcs-job %.2f× ssh cat (target ≥ 1.0×), %.2f× ssh cat > file", ours / rate("ssh cat"), ours / rate("ssh cat > file"))
              + (rawcat == nil ? "; rawcat not built (needs ../shared/tools/rawcat.c)"
                 : String(format: "; rawcat %.2f× ours in time (target ≤ 1.2×), transport alone %.2f×",
                          rate("rawcat") / ours, rate("rawcat") / rate("transport (stream only)"))))
        let memory = try Measurement.run([selfPath(), "follow-worker", many, config.path, "--stage", "view", "--scratch", scratch])
        print(String(format: "following %d lines into the 100 000-line view: peak RSS %.1f MiB (target ≤ 64 MiB), %.1f s",
                     lines, Double(memory.peakRSSKiB) / 1024, memory.seconds))
        let cleanup = try await SSHConnection.connect(config.connectionSettings(), interaction: NonInteractive())
        _ = try await cleanup.run(["rm", "-f", big, many])
        cleanup.close()
    }

    /// A directory only we can read, for the local copies.
    private func privateScratch() throws -> String {
        var template = Array((FileManager.default.temporaryDirectory.path + "/hpcs-bench-logs-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw ValidationError("mkdtemp: \(String(cString: strerror(errno)))") }
        return String(cString: made)
    }
}

/// Reads a finished file to its end, one stage of the pipeline at a time:
/// `transport` streams it and drops the bytes; `copy` follows it into a
/// local file (LogFollower); `view` also feeds every byte to the TUI's log view.
struct FollowWorker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "follow-worker", shouldDisplay: false)
    enum Stage: String, ExpressibleByArgument { case transport, copy, view }
    @Argument var remotePath: String
    @Argument var configPath: String
    @Option var stage = Stage.view
    @Option var scratch = FileManager.default.temporaryDirectory.path

    func run() async throws {
        let config = try HPCSConfig.load(path: configPath)
        let manager = ConnectionManager(settings: config.connectionSettings(), interaction: NonInteractive())
        if stage == .transport {
            let connection = try await manager.connection()
            for try await _ in connection.stream(RemoteCommand(["cat", remotePath]), bufferLimit: 4 << 20) {}
            await manager.close()
            return
        }
        let local = URL(fileURLWithPath: scratch).appendingPathComponent("follow-\(getpid()).log")
        defer { try? FileManager.default.removeItem(at: local) }
        let follower = LogFollower(remotePath: remotePath, localFile: local, connections: manager)
        let view = ViewBox()
        let withView = stage == .view
        try await follower.run(isFinal: { true }, onBytes: { if withView { view.append($0) } })
        await manager.close()
        view.caughtUp()
    }
}

/// The log view, fed on its own thread as the TUI's UI thread feeds it,
/// so view work overlaps the transfer; at most 4 MiB may wait for it (the
/// follower waits beyond that), so every byte reaches the view and memory
/// stays bounded.
final class ViewBox: @unchecked Sendable {
    private let queue = DispatchQueue(label: "hpcs-bench.view")
    private var view = LogViewState()
    private let backlog = NSCondition()
    private var waitingBytes = 0
    private let backlogLimit = 4 << 20

    func append(_ data: Data) {
        backlog.lock()
        while waitingBytes > backlogLimit { backlog.wait() }
        waitingBytes += data.count
        backlog.unlock()
        queue.async {
            self.view.append(data)
            self.backlog.lock()
            self.waitingBytes -= data.count
            self.backlog.signal()
            self.backlog.unlock()
        }
    }

    /// Waits until the view has taken every byte.
    func caughtUp() { queue.sync {} }
}
