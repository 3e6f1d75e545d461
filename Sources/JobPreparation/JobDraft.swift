import Slurm

/// A job as the forms hold it while the user types: every field is text,
/// kept and shown back as typed. `spec()` is the one place where that text
/// becomes a `JobSpec` (the node count a number, the time limit a
/// `SlurmTime`), and `problems()` says, field by field, why it cannot yet.
public struct JobDraft: Sendable, Equatable {
    public var jobName: String
    public var nodes: String
    public var partition: String
    public var time: String
    /// Empty: no account (Slurm's default for the user).
    public var account: String
    public var nodelist: String
    public var workdir: String
    /// Empty: none.
    public var inputScriptsDir: String
    public var outputScriptsDir: String
    public var singularityFlags: [String]
    public var applicationArguments: [String]
    public var follow: Bool
    public var template: String

    public init(jobName: String = "", nodes: String = "1", partition: String = "", time: String = "", account: String = "",
                nodelist: String = "", workdir: String = "", inputScriptsDir: String = "", outputScriptsDir: String = "",
                singularityFlags: [String] = [], applicationArguments: [String] = [], follow: Bool = false, template: String = "hpcs") {
        self.jobName = jobName
        self.nodes = nodes
        self.partition = partition
        self.time = time
        self.account = account
        self.nodelist = nodelist
        self.workdir = workdir
        self.inputScriptsDir = inputScriptsDir
        self.outputScriptsDir = outputScriptsDir
        self.singularityFlags = singularityFlags
        self.applicationArguments = applicationArguments
        self.follow = follow
        self.template = template
    }

    /// The draft that shows a spec, to edit it again (a resubmission).
    public init(_ spec: JobSpec) {
        self.init(jobName: spec.jobName, nodes: String(spec.nodes), partition: spec.partition, time: spec.time.normalized,
                  account: spec.account ?? "", nodelist: spec.nodelist, workdir: spec.workdir,
                  inputScriptsDir: spec.inputScriptsDir ?? "", outputScriptsDir: spec.outputScriptsDir ?? "",
                  singularityFlags: spec.singularityFlags, applicationArguments: spec.applicationArguments,
                  follow: spec.follow, template: spec.template)
    }

    /// Every problem, one per field, in the forms' order (empty when `spec()` succeeds).
    public func problems() -> [PreparationError] { parsed().problems }

    /// The spec, or the first problem.
    public func spec() throws -> JobSpec {
        let (spec, problems) = parsed()
        if let first = problems.first { throw first }
        return spec
    }

    private func parsed() -> (spec: JobSpec, problems: [PreparationError]) {
        var found: [PreparationError] = []
        let count = Int(nodes)
        if count == nil {
            found.append(PreparationError(.jobSpec, field: "nodes", "'\(nodes)' is not a node count", fix: "use a whole number of at least 1"))
        }
        var limit: SlurmTime?
        do { limit = try SlurmTime(parsing: time) } catch {
            found.append(PreparationError(.jobSpec, field: "time", "\(error)"))
        }
        // Where the text did not parse, a stand-in lets the spec check every other field.
        let spec = JobSpec(jobName: jobName, nodes: count ?? 1, partition: partition, time: limit ?? .minutes(1),
                           account: account.isEmpty ? nil : account, nodelist: nodelist, workdir: workdir,
                           inputScriptsDir: inputScriptsDir.isEmpty ? nil : inputScriptsDir,
                           outputScriptsDir: outputScriptsDir.isEmpty ? nil : outputScriptsDir,
                           singularityFlags: singularityFlags, applicationArguments: applicationArguments, follow: follow,
                           template: template)
        found += spec.problems()
        let order = JobSpec.fieldOrder
        func rank(_ problem: PreparationError) -> Int { order.firstIndex(of: problem.field ?? "") ?? order.count }
        // By field, and as found within one field (sort alone is not promised stable).
        let sorted = found.enumerated().sorted { (rank($0.element), $0.offset) < (rank($1.element), $1.offset) }.map(\.element)
        return (spec, sorted)
    }
}

extension JobSpec {
    /// Field names as problems name them, in the forms' order.
    static let fieldOrder = ["job-name", "nodes", "partition", "time", "account", "nodelist", "workdir",
                             "supplementary-input-scripts", "supplementary-output-scripts",
                             "singularity-supplementary-flags", "arguments"]
}
