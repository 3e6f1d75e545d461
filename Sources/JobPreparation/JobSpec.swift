import Slurm

/// Everything the user chose for one job, validated field by field. The
/// forms edit a `JobDraft` (text as typed); this is what it becomes.
public struct JobSpec: Sendable, Equatable, Codable {
    public var jobName: String
    public var nodes: Int
    public var partition: String
    /// The time limit, parsed once (sbatch gets `time.normalized`).
    public var time: SlurmTime
    public var account: String?
    public var nodelist: String
    public var workdir: String
    public var inputScriptsDir: String?
    public var outputScriptsDir: String?
    /// Extra `singularity run` flags, one word each.
    public var singularityFlags: [String]
    /// Arguments after `--` for the application, one word each.
    public var applicationArguments: [String]
    public var follow: Bool
    public var template: String

    public init(jobName: String, nodes: Int = 1, partition: String, time: SlurmTime, account: String? = nil,
                nodelist: String, workdir: String, inputScriptsDir: String? = nil, outputScriptsDir: String? = nil,
                singularityFlags: [String] = [], applicationArguments: [String] = [], follow: Bool = false,
                template: String = "hpcs") {
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

    /// `hpcs_<username>` with anything outside `[A-Za-z0-9._-]` made `_`.
    public static func defaultJobName(username: String) -> String {
        "hpcs_" + String(username.map { SlurmValue.isNameCharacter($0) ? $0 : "_" })
    }

    /// The work directory without a trailing slash.
    var workdirBase: String { workdir.hasSuffix("/") ? String(workdir.dropLast()) : workdir }

    /// The job's log: `WORKDIR/JOBNAME-SUBMISSIONID.out`, its own even when
    /// several submissions share a work directory.
    public func logFile(submissionID: String) -> String { workdirBase + "/" + jobName + "-" + submissionID + ".out" }

    /// The folder the container's `/tmp/output` is bound to: `WORKDIR/output-SUBMISSIONID`.
    public func outputDirectory(submissionID: String) -> String { workdirBase + "/output-" + submissionID }

    /// Where the job leaves its encrypted results.
    public func encryptedOutput(submissionID: String) -> String {
        outputDirectory(submissionID: submissionID) + "/encrypted_output.tgz"
    }

    /// Paths of submissions made before they were per submission (history records without recorded paths).
    public var legacyLogFile: String { workdirBase + "/" + jobName + ".out" }
    public var legacyEncryptedOutput: String { workdirBase + "/output/encrypted_output.tgz" }

    /// Every problem, one per field (empty when the spec is valid).
    public func problems() -> [PreparationError] {
        var found: [PreparationError] = []
        func check(_ field: String, _ ok: Bool, _ message: String, _ fix: String) {
            if !ok { found.append(PreparationError(.jobSpec, field: field, message, fix: fix)) }
        }
        check("job-name", !jobName.isEmpty && jobName.count <= 200 && jobName.allSatisfy(SlurmValue.isNameCharacter),
              "'\(jobName)' is not a valid job name", "use letters, digits, '.', '_' and '-' only")
        check("nodes", (1...100_000).contains(nodes), "\(nodes) is not a node count", "use a whole number of at least 1")
        check("partition", SlurmValue.isIdentifier(partition), "'\(partition)' is not a partition name",
              "pick one of the cluster's partitions (letters, digits, '.', '_', '-')")
        if let account {
            check("account", SlurmValue.isIdentifier(account), "'\(account)' is not an account name",
                  "use the project account (letters, digits, '.', '_', '-')")
        }
        check("nodelist", SlurmValue.isNodeList(nodelist), "'\(nodelist)' is not a node list",
              "name the compute node(s) the SPIRE identities are bound to, e.g. nid001234 or nid[001-004]")
        for (field, path, required) in [("workdir", Optional(workdir), true),
                                        ("supplementary-input-scripts", inputScriptsDir, false),
                                        ("supplementary-output-scripts", outputScriptsDir, false)] {
            guard let path else { continue }
            if !required && path.isEmpty { continue }
            check(field, path.hasPrefix("/") && SlurmValue.isSafePath(path),
                  "'\(path)' is not usable: it must be an absolute path of letters, digits and ._-+@=/",
                  "Slurm's #SBATCH lines and the job script take it as one word; choose a path without spaces or quotes")
            if SlurmValue.isSafePath(path) {
                check(field, SlurmValue.isBindable(path), "'\(path)' contains ',' or ':', which `singularity --bind` reads as separators",
                      "choose a folder whose path has neither")
            }
        }
        for (field, words) in [("singularity-supplementary-flags", singularityFlags), ("arguments", applicationArguments)] {
            if let bad = words.first(where: { $0.contains("\0") }) {
                found.append(PreparationError(.jobSpec, field: field, "'\(bad)' contains a NUL byte"))
            }
        }
        return found
    }

    /// Throws the first problem.
    public func validate() throws {
        if let first = problems().first { throw first }
    }
}

/// Character rules for values that go into #SBATCH lines.
public enum SlurmValue {
    static func isNameCharacter(_ char: Character) -> Bool {
        char.isASCII && (char.isLetter || char.isNumber || char == "." || char == "_" || char == "-")
    }

    public static func isIdentifier(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 128 && text.allSatisfy(isNameCharacter)
    }

    public static func isNodeList(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 4096 && text.allSatisfy { isNameCharacter($0) || ",[]".contains($0) }
    }

    /// Paths that can be one `singularity --bind` source: a bind value is a
    /// comma-separated list of `src:dest:opts`.
    public static func isBindable(_ text: String) -> Bool { !text.contains(",") && !text.contains(":") }

    /// Paths safe as one #SBATCH word and free of Slurm's `%` patterns.
    public static func isSafePath(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 4096 && text.allSatisfy { isNameCharacter($0) || "/+,:@=".contains($0) }
    }
}
