import Foundation
import JobPreparation
import JobRuntime
import SecureShell
import SiteTestSupport
import Slurm
import Testing

/// Efficiency of a finished job on the real Slurm: the figures are the ones
/// sacct gives for the same job, and a job that kept its CPU busy shows it.
@Suite(.enabled(if: LocalSite.isExpected, "\(LocalSite.howToStart)"))
struct EfficiencySiteTests {
    @Test func figuresAreSacctsForTheSameJob() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        let submitted = try await session.ssh.run(RemoteCommand(script: "sbatch --parsable -p \(session.site.partition) -t 1 -c 1 -o /dev/null "
            + "--wrap 'timeout 3 sh -c \"while :; do :; done\"; true'"))
        let jobID = submitted.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(submitted.status.succeeded && !jobID.isEmpty, "\(submitted.stderrText)")
        // Accounting settles a little after the end: wait until sacct's own figures stop changing.
        var raw = ""
        for _ in 0..<60 {
            let statuses = try await StatusPoller.poll(jobIDs: [jobID], on: session.ssh)
            // The allocation line of the job with its steps (with -X its TotalCPU is not summed).
            let all = try await session.ssh.run(["sacct", "-n", "-P", "-j", jobID, "--format=JobID,ElapsedRaw,TotalCPU,AllocCPUS"]).stdoutText
            let now = all.split(separator: "\n").first { $0.hasPrefix(jobID + "|") }.map { String($0.dropFirst(jobID.count + 1)) } ?? ""
            if statuses[jobID]?.state.isTerminal == true, now == raw, !now.contains("|00:00:00|"), !now.isEmpty { break }
            raw = now
            try await Task.sleep(for: .seconds(1))
        }
        let figures = try #require(try await StatusPoller.efficiency(jobID: jobID, on: session.ssh), "no accounting for job \(jobID)")
        // sacct itself, read independently: allocation line, elapsed and CPU time in seconds.
        let fields = raw.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|").map(String.init)
        #expect(fields.count == 3, "\(raw)")
        guard fields.count == 3 else { return }
        #expect(Double(fields[0]) == figures.elapsedSeconds && Int(fields[2]) == figures.cpus)
        let cpuParts = fields[1].split(separator: ":").compactMap { Double($0) }
        #expect(abs(cpuParts.reduce(0) { $0 * 60 + $1 } - figures.cpuSeconds) < 0.001, "TotalCPU \(fields[1])")
        // How busy depends on the machine's load; that it was measured at all is the point.
        #expect((figures.cpuEfficiency ?? 0) > 5, "a busy loop used its CPU: \(figures.summary)")
    }
}

/// Earlier lines of a remote log by byte range, whole lines only.
@Suite(.enabled(if: LocalSite.isExpected, "\(LocalSite.howToStart)"))
struct EarlierLinesSiteTests {
    @Test func rangesBackFromAnOffsetAreWholeLines() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        let path = "earlier-\(UUID().uuidString.prefix(8)).log"
        _ = try await session.ssh.run(RemoteCommand(script: "seq -f 'line %05g' 1 1000 > \(path)"))
        defer { Task { _ = try? await session.ssh.run(["rm", "-f", path]) } }
        let home = try await session.ssh.homeDirectory()
        // "line 00001\n" is 11 bytes: line 901 starts at 9900.
        let earlier = try await LogTail.before(9900, path: home + "/" + path, length: 100, on: session.ssh)
        #expect(String(decoding: earlier.data, as: UTF8.self) == (892...900).map { String(format: "line %05d\n", $0) }.joined())
        #expect(earlier.start == 9801, "the cut line (891) is left for the next range")
        let first = try await LogTail.before(33, path: home + "/" + path, length: 100, on: session.ssh)
        #expect(String(decoding: first.data, as: UTF8.self) == "line 00001\nline 00002\nline 00003\n" && first.start == 0)
    }
}
