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
        var efficiency: JobEfficiency?
        for _ in 0..<60 {
            let statuses = try await StatusPoller.poll(jobIDs: [jobID], on: session.ssh)
            if statuses[jobID]?.state.isTerminal == true, let found = try await StatusPoller.efficiency(jobID: jobID, on: session.ssh),
               found.cpuSeconds > 0 {
                efficiency = found
                break
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        let figures = try #require(efficiency, "accounting gave no CPU time for job \(jobID)")
        // sacct itself, read independently: allocation line, elapsed and CPU time in seconds.
        let raw = try await session.ssh.run(["sacct", "-n", "-P", "-X", "-j", jobID, "--format=ElapsedRaw,TotalCPU,AllocCPUS"])
        let fields = raw.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|").map(String.init)
        #expect(fields.count == 3, "\(raw.stdoutText)")
        #expect(Double(fields[0]) == figures.elapsedSeconds && Int(fields[2]) == figures.cpus)
        let cpuParts = fields[1].split(separator: ":").compactMap { Double($0) }
        #expect(abs(cpuParts.reduce(0) { $0 * 60 + $1 } - figures.cpuSeconds) < 0.001, "TotalCPU \(fields[1])")
        #expect((figures.cpuEfficiency ?? 0) > 40, "a busy loop keeps its one CPU busy: \(figures.summary)")
    }
}
