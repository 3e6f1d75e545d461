import AgeCrypto
import HPCSJobApp
import ArgumentParser
import Foundation
import JobPreparation
import JobRuntime
import SecureShell
import TerminalUI

/// Benchmarks that print ratios against a reference measured in the same
/// run. Not tests: nothing here asserts a time.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hpcs-bench", abstract: "hpcs-job benchmarks against reference tools, as ratios.",
        subcommands: [AgeBench.self, SFTPBench.self, LogBench.self, UIBench.self, HistoryBench.self, TailBench.self, JobsBench.self, AgeWorker.self, FollowWorker.self,
                      HistoryWorker.self])
}

/// One child process's wall time and peak RSS (wait4), run to completion.
struct Measurement {
    let seconds: Double
    let peakRSSKiB: Int
    let status: Int32

    /// GNU time forks from a small process, so the child's peak RSS is its
    /// own (a vfork-style spawn from this process would start from ours).
    static func run(_ argv: [String], stdout: String = "/dev/null") throws -> Measurement {
        let report = FileManager.default.temporaryDirectory.appendingPathComponent("hpcs-bench-time-\(getpid())").path
        let raw = try spawnAndWait(["/usr/bin/time", "-f", "%e %M", "-o", report] + argv, stdout: stdout)
        defer { unlink(report) }
        let fields = ((try? String(contentsOfFile: report, encoding: .utf8)) ?? "").split(whereSeparator: \.isWhitespace)
        guard let last = fields.last, let rss = Int(last) else { return raw }
        return Measurement(seconds: raw.seconds, peakRSSKiB: rss, status: raw.status)
    }

    /// The median time; the largest peak RSS of the rounds.
    static func median(_ rounds: [Measurement]) -> Measurement {
        let sorted = rounds.sorted { $0.seconds < $1.seconds }
        return Measurement(seconds: sorted[sorted.count / 2].seconds, peakRSSKiB: rounds.map(\.peakRSSKiB).max() ?? 0,
                           status: rounds.map(\.status).first { $0 != 0 } ?? 0)
    }

    static func spawnAndWait(_ argv: [String], stdout: String) throws -> Measurement {
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var pid: pid_t = 0
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        let start = ContinuousClock.now
        let rc = posix_spawnp(&pid, argv[0], &actions, nil, cArgs, environ)
        guard rc == 0 else { throw ValidationError("cannot start \(argv[0]): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        var usage = rusage()
        _ = wait4(pid, &status, 0, &usage)
        let elapsed = ContinuousClock.now - start
        return Measurement(seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                           peakRSSKiB: Int(usage.ru_maxrss), status: status)
    }
}

func mib(_ bytes: Int) -> Double { Double(bytes) / 1_048_576 }

func report(_ title: String, bytes: Int, ours: Measurement, reference: Measurement, referenceName: String, target: String) {
    let ourRate = mib(bytes) / ours.seconds, theirRate = mib(bytes) / reference.seconds
    print(String(format: "%@: hpcs-job %.1f MiB/s (peak RSS %.1f MiB), %@ %.1f MiB/s (peak RSS %.1f MiB): ratio %.2f× (target %@)",
                 title, ourRate, Double(ours.peakRSSKiB) / 1024, referenceName, theirRate, Double(reference.peakRSSKiB) / 1024,
                 ourRate / theirRate, target))
}

func selfPath() -> String { URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path }

func randomFile(_ url: URL, size: Int) throws {
    guard !FileManager.default.fileExists(atPath: url.path) else { return }
    _ = try Measurement.run(["head", "-c", String(size), "/dev/urandom"], stdout: url.path)
}

struct AgeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "age", abstract: "AgeCrypto vs the age CLI (encrypt and decrypt).")
    @Option(help: "Size in MiB of the random input.") var mebibytes = 1024
    @Option(help: "Scratch directory.") var directory = FileManager.default.temporaryDirectory.appendingPathComponent("hpcs-bench-age").path
    @Option(help: "Rounds per figure, alternating which tool goes first; the medians are compared.") var rounds = 3

    /// Whoever runs first meets the page cache's writeback of the last
    /// file written (the input, just generated): the order alternates.
    func pair(_ ours: [String], _ reference: [String]) throws -> (ours: Measurement, reference: Measurement) {
        var mine: [Measurement] = [], theirs: [Measurement] = []
        for round in 0..<max(1, rounds) {
            if round % 2 == 0 {
                mine.append(try Measurement.run(ours))
                theirs.append(try Measurement.run(reference))
            } else {
                theirs.append(try Measurement.run(reference))
                mine.append(try Measurement.run(ours))
            }
        }
        return (Measurement.median(mine), Measurement.median(theirs))
    }

    func run() throws {
        let dir = URL(fileURLWithPath: directory)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let plain = dir.appendingPathComponent("plain-\(mebibytes)M")
        try randomFile(plain, size: mebibytes << 20)
        let identity = X25519Identity.generate()
        let keyFile = dir.appendingPathComponent("key.txt")
        try IdentityFile.write(identity, to: keyFile)
        let ours = dir.appendingPathComponent("ours.age"), theirs = dir.appendingPathComponent("theirs.age")
        let bytes = mebibytes << 20
        let encrypt = try pair([selfPath(), "age-worker", "encrypt", plain.path, ours.path, identity.recipient.description],
                               ["age", "-r", identity.recipient.description, "-o", theirs.path, plain.path])
        report("encrypt", bytes: bytes, ours: encrypt.ours, reference: encrypt.reference, referenceName: "age -r", target: "≥ 1.0×")
        let decrypt = try pair([selfPath(), "age-worker", "decrypt", theirs.path, "/dev/null", keyFile.path],
                               ["age", "-d", "-i", keyFile.path, "-o", "/dev/null", ours.path])
        report("decrypt", bytes: bytes, ours: decrypt.ours, reference: decrypt.reference, referenceName: "age -d", target: "≥ 1.0×")
        print("(medians of \(max(1, rounds)) rounds each, the order alternating)")
        print("peak RSS target for hpcs-job: < 32 MiB whatever the size")
        for url in [ours, theirs] { try? FileManager.default.removeItem(at: url) }
    }
}

struct AgeWorker: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "age-worker", shouldDisplay: false)
    @Argument var mode: String
    @Argument var input: String
    @Argument var output: String
    @Argument var key: String

    func run() throws {
        let source = try FileSource(url: URL(fileURLWithPath: input))
        let sink = try FileSink(url: URL(fileURLWithPath: output))
        if mode == "encrypt" {
            try Age.encrypt(from: source, to: sink, recipients: [try X25519Recipient(parsing: key)])
        } else {
            try Age.decrypt(from: source, to: sink, identities: try IdentityFile.read(URL(fileURLWithPath: key)))
        }
    }
}

/// Connection to the local site from `.local-site/site.env` (or --config).
func siteConfig(_ path: String?) throws -> HPCSConfig {
    if let path { return try HPCSConfig.load(path: path) }
    let env = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".local-site/site.env")
    guard let text = try? String(contentsOf: env, encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("HPCS_SITE_CONFIG=") }) else {
        throw ValidationError("no --config and no .local-site/site.env here: run Scripts/local-site up")
    }
    return try HPCSConfig.load(path: String(line.dropFirst("HPCS_SITE_CONFIG=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "'")))
}

func sshArguments(_ config: HPCSConfig) -> [String] {
    let s = config.supercomputer
    return ["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=\(s.knownHosts ?? "")",
            "-o", "IdentitiesOnly=yes", "-i", s.identityFile ?? "", "-P", String(s.port ?? 22)]
}

struct SFTPBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sftp", abstract: "SecureShell SFTP vs OpenSSH sftp (upload, download).")
    @Option(help: "Size in MiB.") var mebibytes = 256
    @Option(help: "HPCS client config (default: the local site's).") var config: String?

    func run() async throws {
        let config = try siteConfig(config)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hpcs-bench-sftp")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let plain = dir.appendingPathComponent("plain-\(mebibytes)M")
        try randomFile(plain, size: mebibytes << 20)
        let ssh = try await SSHConnection.connect(config.connectionSettings(), interaction: NonInteractive())
        defer { ssh.close() }
        let home = try await ssh.homeDirectory()
        let remote = home + "/bench-sftp.bin"
        let bytes = mebibytes << 20
        var start = ContinuousClock.now
        try await ssh.upload(plain, to: remote)
        let ourUp = seconds(since: start)
        start = ContinuousClock.now
        _ = try await ssh.download(remote, to: dir.appendingPathComponent("down-ours"))
        let ourDown = seconds(since: start)
        let target = "\(config.supercomputer.username)@\(config.supercomputer.address)"
        let batch = dir.appendingPathComponent("batch")
        try "put \(plain.path) \(remote)\n".write(to: batch, atomically: true, encoding: .utf8)
        let theirUp = try Measurement.run(["sftp"] + sshArguments(config) + ["-b", batch.path, target])
        try "get \(remote) \(dir.appendingPathComponent("down-theirs").path)\n".write(to: batch, atomically: true, encoding: .utf8)
        let theirDown = try Measurement.run(["sftp"] + sshArguments(config) + ["-b", batch.path, target])
        _ = try await ssh.run(["rm", "-f", remote])
        let mb = mib(bytes)
        print(String(format: "upload: hpcs-job %.1f MiB/s, OpenSSH sftp %.1f MiB/s: ratio %.2f× (target ≥ 0.8×)",
                     mb / ourUp, mb / theirUp.seconds, theirUp.seconds / ourUp))
        print(String(format: "download: hpcs-job %.1f MiB/s, OpenSSH sftp %.1f MiB/s: ratio %.2f× (target ≥ 0.8×)",
                     mb / ourDown, mb / theirDown.seconds, theirDown.seconds / ourDown))
    }
}

func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

/// The UI loop's cost per frame while a 100 MB log streams in: each frame
/// takes one batch of log bytes (as the runtime receives them), one key,
/// an update and a full render. Reference: the same with no log at all.
struct UIBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ui", abstract: "Key-to-frame time while a 100 MB log streams in.")
    @Option(help: "MB of log to stream.") var megabytes = 100
    @Option(help: "Terminal size.") var width = 200
    @Option(help: "Terminal size.") var height = 50

    func run() throws {
        let line = String(repeating: "x", count: 70) + " \u{1b}[32mok\u{1b}[0m\n"
        let batch = Data(String(repeating: line, count: (1 << 20) / line.utf8.count).utf8) // ~1 MiB, a 40 ms batch at 25 MB/s
        let frames = megabytes * 1_000_000 / batch.count
        func measure(streaming: Bool) -> (worst: Double, median: Double) {
            var state = HPCSJobAppBenchSupport.monitorState(width: width, height: height)
            var queue = HPCSJobAppBenchSupport.LogQueue()
            var times: [Double] = []
            for _ in 0..<frames {
                let start = ContinuousClock.now
                _ = HPCSJobAppBenchSupport.frame(&state, queue: &queue, arriving: streaming ? batch : Data(), key: "w")
                times.append(seconds(since: start) * 1000)
            }
            times.sort()
            return (times.last ?? 0, times[times.count / 2])
        }
        let idle = measure(streaming: false), busy = measure(streaming: true)
        print(String(format: "frame (update + key + render at %dx%d): idle median %.2f ms worst %.2f ms; "
                     + "while %d MB streams in: median %.2f ms worst %.2f ms (target ≤ 50 ms)",
                     width, height, idle.median, idle.worst, megabytes, busy.median, busy.worst))
    }
}
