import ArgumentParser
import Foundation
import JobPreparation
import JobRuntime
import SecureShell

/// The Jobs view's poll with many jobs in the queue: one remote command and
/// its parse, beside a bare `ssh host squeue` of the same jobs.
struct JobsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "jobs", abstract: "One Jobs poll with 1,000 queued jobs vs ssh squeue.")
    @Option(help: "Held jobs to queue.") var count = 1000
    @Option(help: "HPCS client config (default: the local site's).") var config: String?

    func run() async throws {
        let config = try siteConfig(config)
        let ssh = try await SSHConnection.connect(config.connectionSettings(), interaction: NonInteractive())
        defer { ssh.close() }
        let user = ssh.settings.user
        // Held, so they stay queued; one sbatch each, as sweeps submit them.
        _ = try await ssh.run(RemoteCommand(script: "for i in $(seq 1 \(count)); do sbatch --hold -J bench_\\$i -o /dev/null "
                                            + "--wrap true >/dev/null; done"))
        let cleanUp = RemoteCommand(script: "squeue -h -u \(ShellQuote.quote(user)) -o '%i %j' | awk '$2 ~ /^bench_/ {print $1}' | xargs -r scancel")
        do {
            try await measure(ssh, user: user, config: config)
        } catch {
            _ = try? await ssh.run(cleanUp)
            throw error
        }
        _ = try await ssh.run(cleanUp)
    }

    func measure(_ ssh: SSHConnection, user: String, config: HPCSConfig) async throws {
        var ours: [Double] = []
        var parse: [Double] = []
        var listed = 0
        for _ in 0..<10 {
            let start = ContinuousClock.now
            let result = try await ssh.run(JobLister.command(user: user, finishedSince: nil))
            let parseStart = ContinuousClock.now
            listed = try JobLister.parse(result.stdoutText).count
            parse.append(seconds(since: parseStart))
            ours.append(seconds(since: start))
        }
        let target = "\(config.supercomputer.username)@\(config.supercomputer.address)"
        var bare: [Double] = []
        for _ in 0..<10 {
            bare.append(try Measurement.run(["ssh"] + sshArguments(config).map { $0 == "-P" ? "-p" : $0 } + [target, "squeue", "-h", "-u", user]).seconds)
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        print(String(format: "jobs: %d jobs listed; one poll (round trip + parse) median %.1f ms, of which parse %.2f ms (target ≤ 100 ms); "
                     + "a new ssh running squeue %.0f ms: ratio %.2f×", listed, median(ours) * 1000, median(parse) * 1000,
                     median(bare) * 1000, median(ours) / median(bare)))
    }
}
