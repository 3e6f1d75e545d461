import Foundation
@testable import JobRuntime
@testable import Slurm
import Testing

/// A user's job list: squeue's rows (arrays folded), then accounting's ended
/// jobs, one command; hpcs-job's own jobs found by their comment tag.
struct JobListTests {
    let separator = SlurmCommand.separator

    func line(_ fields: [String]) -> String { fields.joined(separator: separator) }

    @Test func queueAndAccountingMergeIntoOneList() throws {
        let queue = [
            line(["4001", "hpcs_alice", "small", "RUNNING", "None", "1:02", "2:00:00", "1", "nid001", "hpcs-job:20261130-000000-abcd"]),
            line(["4002_[3-9]", "sweep", "small", "PENDING", "JobHeldUser", "0:00", "10:00", "1", "", "(null)"]),
            line(["4002_1", "sweep", "small", "RUNNING", "None", "0:10", "10:00", "1", "nid002", "a\(separator)comment"]),
        ].joined(separator: "\n")
        let accounting = [
            line(["3990", "old", "small", "COMPLETED", "0:0", "00:00:03", "00:05:00", "1", "nid001", ""]),
            line(["3995", "later", "large", "CANCELLED by 1001", "0:15", "00:01:00", "01:00:00", "2", "nid[003-004]", "hpcs-job:x"]),
            line(["4001", "hpcs_alice", "small", "COMPLETED", "0:0", "00:01:02", "02:00:00", "1", "nid001", ""]),
        ].joined(separator: "\n")
        let jobs = try JobLister.parse(queue + "\n" + JobLister.marker + "\n" + accounting + "\n")
        #expect(jobs.map(\.jobID) == ["4001", "4002_[3-9]", "4002_1", "3995", "3990"], "queue first; ended newest first; no job twice")
        #expect(jobs[0].state == .running && jobs[0].submissionID == "20261130-000000-abcd")
        #expect(jobs[1].isFoldedArray && jobs[1].reason == "JobHeldUser" && jobs[1].nodeList == nil && jobs[1].comment == nil)
        #expect(jobs[2].comment == "a\(separator)comment", "a comment may hold the separator")
        #expect(jobs[3].state == .cancelled && jobs[3].exitCode == SlurmExitCode(code: 0, signal: 15) && jobs[3].nodeCount == 2)
        #expect(try JobLister.parse("").isEmpty && JobLister.parse(JobLister.marker + "\n").isEmpty)
    }

    @Test func badRowsAreErrorsNamingTheLine() {
        #expect(throws: SlurmParseError.self) { try SlurmParser.queueJobs("4001\(separator)x") }
        #expect(throws: SlurmParseError.self) {
            try SlurmParser.queueJobs(line(["40;01", "n", "p", "RUNNING", "", "", "", "1", "", ""]))
        }
        #expect(throws: SlurmParseError.self) {
            try SlurmParser.finishedJobs(line(["4001", "n", "p", "WEIRD", "0:0", "", "", "1", "", ""]))
        }
    }

    @Test(arguments: [("30m", "now-30minutes"), ("12h", "now-12hours"), ("2d", "now-2days"), ("1w", "now-1weeks"),
                      ("2026-11-01", "2026-11-01"), ("2026-11-01T10:00", "2026-11-01T10:00")])
    func sinceBecomesSacctTime(text: String, expected: String) {
        #expect(JobLister.sacctTime(text) == expected)
    }

    @Test func nonsenseSinceIsRefused() {
        for text in ["yesterday", "2d; rm -rf ~", "-1d", "", "2026-11-01 10:00"] { #expect(JobLister.sacctTime(text) == nil, "\(text)") }
    }

    @Test func theCommandQuotesTheUserAndIsOneScript() {
        let command = JobLister.command(user: "a'b", finishedSince: "now-2days").description
        #expect(command.contains("'a'\\''b'") && command.contains(JobLister.marker))
    }
}

struct LogTailTests {
    @Test func lastLinesAreCountedFromTheEnd() {
        func last(_ text: String, _ count: Int, whole: Bool = false) -> String? {
            LogTail.lastLines(Data(text.utf8), count: count, startsAtLineStart: whole).map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(last("a\nb\nc\n", 2) == "b\nc\n")
        #expect(last("a\nb\nc", 2) == "b\nc", "a last line without its newline is a line")
        #expect(last("cut\nb\n", 2) == nil, "the first line of a range may be cut: read further back")
        #expect(last("whole\nb\n", 2, whole: true) == "whole\nb\n")
        #expect(last("a\n", 5, whole: true) == "a\n" && last("", 3, whole: true) == "")
        #expect(last("a\nb\n", 0) == "")
    }
}

struct EfficiencyTests {
    let separator = SlurmCommand.separator

    @Test func cpuAndMemoryAreComputedAsSeffDoes() throws {
        let output = [
            ["4001", "00:01:40", "03:20.000", "4", "", "8G"],
            ["4001.batch", "00:01:40", "03:19.500", "4", "2048M", ""],
            ["4001.0", "00:01:00", "00:00.500", "4", "512000K", ""],
        ].map { $0.joined(separator: separator) }.joined(separator: "\n")
        let efficiency = try #require(try SlurmParser.efficiency(output, jobID: "4001"))
        #expect(efficiency.cpuSeconds == 200 && efficiency.elapsedSeconds == 100 && efficiency.cpus == 4)
        #expect(efficiency.cpuEfficiency == 50)
        #expect(efficiency.maxRSSBytes == 2048 * 1_048_576 && efficiency.memoryEfficiency == 25)
        #expect(efficiency.summary == "CPU 50% of 4 CPUs · memory 2.0 GiB of 8.0 GiB (25%)")
    }

    @Test(arguments: [("00:00:03", 3.0), ("1-02:00:00", 93600.0), ("03:19.500", 199.5), ("12.5", 12.5)] as [(String, Double)])
    func sacctTimesAreSeconds(text: String, seconds: Double) {
        #expect(SlurmParser.seconds(text) == seconds)
    }

    @Test func badTimesAreNotZero() throws {
        for text in ["", "::", "1-", "a:b", "-5:00", "1:2:3:4", "nan"] { #expect(SlurmParser.seconds(text) == nil, "\(text)") }
        #expect(throws: SlurmParseError.self) {
            try SlurmParser.efficiency(["4001", "x", "00:01", "1", "", ""].joined(separator: separator), jobID: "4001")
        }
        #expect(try SlurmParser.efficiency("", jobID: "4001") == nil, "no accounting, no figures")
    }
}

struct LocalLogEndTests {
    @Test func theEndOfALocalCopyIsItsLastLines() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("hpcs-local-end-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(LogTail.localEnd(file, lines: 3) == LogTail.Tail(data: Data(), size: 0), "no file, nothing")
        let text = (1...200_000).map { "line \($0)" }.joined(separator: "\n") + "\n"
        try Data(text.utf8).write(to: file)
        let end = LogTail.localEnd(file, lines: 3)
        #expect(String(decoding: end.data, as: UTF8.self) == "line 199998\nline 199999\nline 200000\n")
        #expect(end.size == Int64(text.utf8.count))
        let many = LogTail.localEnd(file, lines: 1_000_000)
        #expect(many.data.count <= 4 << 20 && String(decoding: many.data.prefix(5), as: UTF8.self) == "line ", "whole lines from the last 4 MiB")
    }
}
