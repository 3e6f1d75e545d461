import Slurm
import Testing

struct SlurmTimeTests {
    @Test(arguments: [
        ("90", "01:30:00"), ("5:30", "00:05:30"), ("1:02:03", "01:02:03"), ("2-3", "2-03:00:00"),
        ("2-3:04", "2-03:04:00"), ("2-3:04:05", "2-03:04:05"), ("1440", "1-00:00:00"), (" 10 ", "00:10:00"),
        ("UNLIMITED", "UNLIMITED"), ("infinite", "UNLIMITED"),
    ])
    func everySbatchFormNormalises(input: String, normalized: String) throws {
        #expect(try SlurmTime(parsing: input).normalized == normalized)
    }

    @Test(arguments: ["", "0", "-1", "1:60", "1:2:60", "1:60:00", "1-24", "1-2:3:4:5", "a", "1:2:3:4", "1--2",
                      "1- 2", "12h", "99999999999", "1-", ":", "1:", "0:00:00"])
    func malformedTimesAreRejectedWithHowToFix(input: String) {
        #expect {
            _ = try SlurmTime(parsing: input)
        } throws: { error in
            "\(error)".contains("H:M:S")
        }
    }
}

struct JobStateTests {
    @Test func everyStateIsMappedAndTerminalOnesAreKnown() {
        for state in JobState.allCases {
            #expect(JobState(slurm: state.rawValue) == state)
        }
        let terminal: Set<JobState> = [.completed, .failed, .cancelled, .timeout, .outOfMemory, .nodeFail, .preempted,
                                       .bootFail, .deadline, .specialExit, .revoked]
        #expect(Set(JobState.allCases.filter(\.isTerminal)) == terminal)
        #expect(JobState(slurm: "CANCELLED by 1001") == .cancelled)
        #expect(JobState(slurm: "CD") == .completed)
        #expect(JobState(slurm: "FINISHED") == nil)
    }
}
