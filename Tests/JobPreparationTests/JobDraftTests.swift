import Foundation
import JobPreparation
import Slurm
import Testing

/// The forms' text becomes a spec in one place: the time limit parsed once.
struct JobDraftTests {
    @Test func theSpecCarriesTheParsedTimeAndTheDraftKeepsTheText() throws {
        var draft = JobDraft(Sample.spec())
        draft.time = "1-2:30"
        draft.nodes = "2"
        let spec = try draft.spec()
        #expect(spec.time == SlurmTime(seconds: (26 * 60 + 30) * 60) && spec.nodes == 2)
        #expect(spec.time.normalized == "1-02:30:00")
        #expect(draft.time == "1-2:30", "what the user typed is what the form shows")
    }

    @Test func aDraftThatCannotBeASpecSaysWhyFieldByField() {
        var draft = JobDraft(Sample.spec())
        draft.nodes = "two"
        draft.time = "soon"
        draft.workdir = "relative"
        let problems = draft.problems()
        #expect(problems.map(\.field) == ["nodes", "time", "workdir"])
        #expect(problems[0].message == "'two' is not a node count" && problems[1].message.contains("'soon' is not a Slurm time"))
        #expect(throws: PreparationError.self) { try draft.spec() }
        #expect(JobDraft(jobName: "j", partition: "p", time: "", nodelist: "n", workdir: "/w").problems().map(\.field) == ["time"],
                "an empty time is a problem, not a default")
    }

    @Test func emptyOptionalFieldsAreNone() throws {
        let spec = try JobDraft(jobName: "j", partition: "p", time: "5", nodelist: "n", workdir: "/w").spec()
        #expect(spec.account == nil && spec.inputScriptsDir == nil && spec.outputScriptsDir == nil && spec.time == .minutes(5))
    }

    @Test func aSpecShownAsADraftIsTheSameSpecAgain() throws {
        var spec = Sample.spec()
        spec.inputScriptsDir = "/in"
        spec.applicationArguments = ["a b", "--x"]
        spec.time = SlurmTime(seconds: nil)
        #expect(try JobDraft(spec).spec() == spec)
        #expect(JobDraft(spec).time == "UNLIMITED")
    }

    /// History stores the spec as JSON; records written when the time was
    /// kept as typed ("90") read as the same limit, new ones store sbatch's form.
    @Test func storedTimesReadAsTheSameLimit() throws {
        let legacy = #"{"jobName":"j","nodes":1,"partition":"p","time":"90","nodelist":"n","workdir":"/w","#
            + #""singularityFlags":[],"applicationArguments":[],"follow":false,"template":"hpcs"}"#
        let spec = try JSONDecoder().decode(JobSpec.self, from: Data(legacy.utf8))
        #expect(spec.time == .minutes(90))
        let stored = String(decoding: try JSONEncoder().encode(spec), as: UTF8.self)
        #expect(stored.contains(#""time":"01:30:00""#), "\(stored)")
        let broken = legacy.replacingOccurrences(of: #""90""#, with: #""soon""#)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(JobSpec.self, from: Data(broken.utf8)) }
    }
}
