import ArgumentParser
import Foundation
import JobPreparation
import JobRuntime
import SecureShell

/// The last lines of a large log, read from its end (`logs --tail`, the
/// Jobs view's Enter), beside reading the whole of it with `ssh host cat`.
struct TailBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tail", abstract: "Last 50 lines of a 1 GiB log vs ssh cat of it.")
    @Option(help: "Size of the log in MiB.") var mebibytes = 1024
    @Option(help: "HPCS client config (default: the local site's).") var config: String?

    func run() async throws {
        let config = try siteConfig(config)
        let ssh = try await SSHConnection.connect(config.connectionSettings(), interaction: NonInteractive())
        defer { ssh.close() }
        let path = try await ssh.homeDirectory() + "/bench-tail-\(mebibytes)M.log"
        // Numbered lines of ~100 bytes, made once on the site and kept for later runs.
        _ = try await ssh.run(RemoteCommand(script: "test -s \(ShellQuote.quote(path)) || seq -f '%098.0f' 1 \(mebibytes * 10_486) > "
                                            + ShellQuote.quote(path)))
        var start = ContinuousClock.now
        let tail = try await LogTail.read(path: path, lines: 50, on: ssh)
        let ours = seconds(since: start)
        start = ContinuousClock.now
        let target = "\(config.supercomputer.username)@\(config.supercomputer.address)"
        let cat = try Measurement.run(["ssh"] + sshArguments(config).map { $0 == "-P" ? "-p" : $0 } + [target, "cat", path])
        print(String(format: "tail: last 50 lines of a %.0f MiB log in %.1f ms (on an open connection); ssh cat of it %.0f ms: "
                     + "ratio %.4f× (target ≤ 0.05×); %d bytes shown", mib(Int(tail.size)), ours * 1000, cat.seconds * 1000,
                     ours / cat.seconds, tail.data.count))
    }
}
