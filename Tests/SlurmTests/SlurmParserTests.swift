import Foundation
import Slurm
import Testing

/// Parsers run on text captured from the local site's real Slurm
/// (Scripts/capture-slurm-fixtures), plus malformed and truncated lines.
struct SlurmParserTests {
    func fixture(_ name: String) throws -> String {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "txt", subdirectory: "Fixtures"))
        return try String(contentsOf: url, encoding: .utf8)
    }

    @Test func squeueCapture() throws {
        let jobs = try SlurmParser.squeue(fixture("squeue-mixed"))
        let byComment = Dictionary(uniqueKeysWithValues: jobs.compactMap { job in job.comment.map { ($0, job) } })
        #expect(byComment["hpcs-job:fx-ok"]?.state == .completed)
        #expect(byComment["hpcs-job:fx fail|x"]?.state == .failed, "a | inside a comment stays in its field")
        #expect(byComment["hpcs-job:fx-cancel"]?.state == .cancelled)
        #expect(byComment["hpcs-job:fx-pending"]?.state == .pending)
        #expect(byComment["hpcs-job:fx-pending"]?.reason == "BeginTime")
        #expect(byComment["hpcs-job:fx-running"]?.state == .running)
        #expect(byComment["hpcs-job:fx-running"]?.nodes == "localhost")
        #expect(byComment["hpcs-job:fx-timeout"]?.timeLimit == "1:00")
    }

    @Test func sacctCapture() throws {
        let jobs = try SlurmParser.sacct(fixture("sacct-final"))
        let byName = Dictionary(uniqueKeysWithValues: jobs.compactMap { job in job.name.map { ($0, job) } })
        #expect(byName["fx_ok"]?.state == .completed && byName["fx_ok"]?.exitCode == SlurmExitCode(code: 0, signal: 0))
        #expect(byName["fx_fail"]?.state == .failed && byName["fx_fail"]?.exitCode?.code == 3)
        #expect(byName["fx_cancel"]?.state == .cancelled)
        #expect(byName["fx_timeout"]?.state == .timeout)
        #expect(byName["fx_fail"]?.comment == "hpcs-job:fx fail|x")
        #expect(jobs.allSatisfy { !$0.jobID.contains(".") }, "steps fold into their job")
    }

    @Test func scontrolCapture() throws {
        let jobs = try SlurmParser.scontrol(fixture("scontrol-jobs"))
        #expect(jobs.map(\.state) == [.completed, .failed, .timeout, .pending])
        #expect(jobs[1].exitCode?.code == 3)
        #expect(jobs[0].comment == "hpcs-job:fx-ok")
        #expect(jobs[3].reason == "BeginTime")
    }

    @Test func sinfoAndAssociations() throws {
        let partitions = try SlurmParser.partitions(fixture("sinfo-partitions"))
        #expect(partitions.map(\.name) == ["debug"] && partitions[0].isDefault && partitions[0].available)
        #expect(partitions[0].total == 1 && partitions[0].idle + partitions[0].allocated + partitions[0].other == 1)
        #expect(partitions[0].summary.hasPrefix("limit infinite · ") && partitions[0].summary.contains("/1 nodes idle"))
        #expect(throws: SlurmParseError.self) { _ = try SlurmParser.partitions("debug*\u{1f}up\u{1f}1:00:00\u{1f}3\n") }
        #expect(try SlurmParser.nodes(fixture("sinfo-nodes")) == ["localhost"])
        #expect(SlurmParser.accounts(try fixture("sacctmgr-assoc")) == ["hpcsproject"])
    }

    @Test func sbatchParsable() throws {
        #expect(try SlurmParser.sbatchJobID("4242\n") == "4242")
        #expect(try SlurmParser.sbatchJobID("4242;cluster\n") == "4242")
        #expect(throws: SlurmParseError.self) { _ = try SlurmParser.sbatchJobID("Submitted batch job 12\n") }
        #expect(throws: SlurmParseError.self) { _ = try SlurmParser.sbatchJobID("") }
    }

    @Test(arguments: [
        "12\u{1f}RUNNING",                                            // truncated
        "12\u{1f}RUNNINGISH\u{1f}None\u{1f}0:01\u{1f}1:00\u{1f}1\u{1f}n1\u{1f}c", // unknown state
        "abc\u{1f}RUNNING\u{1f}None\u{1f}0:01\u{1f}1:00\u{1f}1\u{1f}n1\u{1f}c",   // bad id
        "12 RUNNING None",                                           // wrong separator
    ])
    func malformedSqueueLinesAreErrors(line: String) {
        #expect(throws: SlurmParseError.self) { _ = try SlurmParser.squeue(line + "\n") }
    }

    @Test(arguments: [
        "12\u{1f}x\u{1f}COMPLETED",
        "12\u{1f}x\u{1f}COMPLETED\u{1f}zero\u{1f}0:01\u{1f}1:00\u{1f}n1\u{1f}\u{1f}c",
        "12\u{1f}x\u{1f}DONE\u{1f}0:0\u{1f}0:01\u{1f}1:00\u{1f}n1\u{1f}\u{1f}c",
        "\u{1f}x\u{1f}COMPLETED\u{1f}0:0\u{1f}0:01\u{1f}1:00\u{1f}n1\u{1f}\u{1f}c",
    ])
    func malformedSacctLinesAreErrors(line: String) {
        #expect(throws: SlurmParseError.self) { _ = try SlurmParser.sacct(line + "\n") }
    }

    @Test func scontrolWithoutStateIsAnError() {
        #expect(throws: SlurmParseError.self) { _ = try SlurmParser.scontrol("JobId=12 JobName=x\n") }
    }

    @Test func commandsUseTheUnitSeparator() {
        let argv = SlurmCommand.squeue(jobIDs: ["1", "2"])
        #expect(argv.contains("1,2") && argv.last?.contains("\u{1f}") == true)
        #expect(SlurmCommand.sbatch(script: "/x/job.sbatch", comment: "hpcs-job:abc") ==
                ["sbatch", "--parsable", "--comment=hpcs-job:abc", "/x/job.sbatch"])
    }
}

/// Accounting figures from the cluster are outside input: absurd ones are
/// refused or shown clamped, never a trap (found by the slurm fuzz target).
struct EfficiencyBoundsTests {
    @Test func aNinetyDigitCPUTimeIsNotATime() throws {
        let line = ["4001", "04", String(repeating: "4", count: 90), "3", "", ""].joined(separator: SlurmCommand.separator)
        #expect(throws: SlurmParseError.self) { _ = try SlurmParser.efficiency(line + "\n", jobID: "4001") }
    }

    /// Found by fuzzing: AllocCPUS "-4" was taken as a count (the line then showed a negative share).
    @Test(arguments: ["-4", "+4", "4.0", "", "9999999999"])
    func aCPUCountIsDigits(_ cpus: String) throws {
        let line = ["4001", "00:01:58", "01:20.00", cpus, "", "8G"].joined(separator: SlurmCommand.separator)
        #expect(throws: SlurmParseError.self) { _ = try SlurmParser.efficiency(line + "\n", jobID: "4001") }
    }

    @Test func hugeOrInfiniteFiguresAreShownWithoutATrap() {
        let absurd = JobEfficiency(elapsedSeconds: 1, cpuSeconds: 1e300, cpus: 1, maxRSSBytes: .infinity, requestedMemoryBytes: 1e-300)
        #expect(absurd.summary.hasPrefix("CPU "))
        #expect(JobEfficiency(elapsedSeconds: 10, cpuSeconds: 5, cpus: 1, maxRSSBytes: 1_048_576, requestedMemoryBytes: nil).summary
                == "CPU 50% of 1 CPU · memory 1 MiB")
    }
}
