/// A parse failure names the line and what was wrong; never a wrong value.
public struct SlurmParseError: Error, Equatable, CustomStringConvertible {
    public let command: String
    public let line: String
    public let reason: String
    public var description: String { "cannot read \(command) output (\(reason)): \(line.prefix(200))" }
}

/// An exit code as Slurm prints it, `code:signal`.
public struct SlurmExitCode: Sendable, Hashable, Codable {
    public let code: Int
    public let signal: Int

    public init(code: Int, signal: Int) {
        self.code = code
        self.signal = signal
    }

    init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let code = Int(parts[0]), let signal = Int(parts[1]) else { return nil }
        self.init(code: code, signal: signal)
    }
}

/// What one status poll knows about a job.
public struct JobStatus: Sendable, Hashable {
    public var jobID: String
    public var name: String?
    public var state: JobState
    public var reason: String?
    public var elapsed: String?
    public var timeLimit: String?
    public var nodes: String?
    public var exitCode: SlurmExitCode?
    public var maxRSS: String?
    public var comment: String?

    public init(jobID: String, name: String? = nil, state: JobState, reason: String? = nil, elapsed: String? = nil,
                timeLimit: String? = nil, nodes: String? = nil, exitCode: SlurmExitCode? = nil, maxRSS: String? = nil,
                comment: String? = nil) {
        self.jobID = jobID
        self.name = name
        self.state = state
        self.reason = reason
        self.elapsed = elapsed
        self.timeLimit = timeLimit
        self.nodes = nodes
        self.exitCode = exitCode
        self.maxRSS = maxRSS
        self.comment = comment
    }
}

public enum SlurmParser {
    private static func fields(_ line: Substring, count: Int, command: String) throws -> [String] {
        // The last field (a comment) may hold anything but a newline; cut there.
        let parts = line.split(separator: Character(SlurmCommand.separator), maxSplits: count - 1,
                               omittingEmptySubsequences: false).map(String.init)
        guard parts.count == count else {
            throw SlurmParseError(command: command, line: String(line), reason: "expected \(count) fields, found \(parts.count)")
        }
        return parts
    }

    /// A count Slurm prints (CPUs, nodes): digits only, never negative, at most
    /// nine of them (fuzzing found "-4" CPUs taken and a negative share shown).
    static func count<S: StringProtocol>(_ text: S) -> Int? {
        guard !text.isEmpty, text.count <= 9, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }

    private static func none(_ text: String) -> String? {
        ["", "(null)", "None", "None assigned", "N/A"].contains(text) ? nil : text
    }

    /// Output of ``SlurmCommand/squeue(jobIDs:)``.
    public static func squeue(_ output: String) throws -> [JobStatus] {
        try output.split(separator: "\n").map { line in
            let f = try fields(line, count: 8, command: "squeue")
            guard !f[0].isEmpty, f[0].allSatisfy({ $0.isNumber || $0 == "_" || $0 == "[" || $0 == "]" || $0 == "-" }) else {
                throw SlurmParseError(command: "squeue", line: String(line), reason: "bad job id")
            }
            guard let state = JobState(slurm: f[1]) else {
                throw SlurmParseError(command: "squeue", line: String(line), reason: "unknown state \(f[1])")
            }
            return JobStatus(jobID: f[0], state: state, reason: none(f[2]), elapsed: f[3], timeLimit: f[4],
                             nodes: none(f[6]), comment: none(f[7]))
        }
    }

    /// Output of ``SlurmCommand/sacct(jobIDs:)``: one status per job, the
    /// state and exit code of the allocation line, the largest MaxRSS of its steps.
    public static func sacct(_ output: String) throws -> [JobStatus] {
        var jobs: [String: JobStatus] = [:]
        var order: [String] = []
        var stepRSS: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let f = try fields(line, count: 9, command: "sacct")
            let id = f[0]
            guard !id.isEmpty else { throw SlurmParseError(command: "sacct", line: String(line), reason: "no job id") }
            if let dot = id.firstIndex(of: ".") {
                let parent = String(id[..<dot])
                if let rss = none(f[7]), rssBytes(rss) > rssBytes(stepRSS[parent] ?? "0") { stepRSS[parent] = rss }
                continue
            }
            guard let state = JobState(slurm: f[2]) else {
                throw SlurmParseError(command: "sacct", line: String(line), reason: "unknown state \(f[2])")
            }
            guard let exit = SlurmExitCode(f[3]) else {
                throw SlurmParseError(command: "sacct", line: String(line), reason: "bad exit code \(f[3])")
            }
            if jobs[id] == nil { order.append(id) }
            jobs[id] = JobStatus(jobID: id, name: f[1], state: state, elapsed: f[4], timeLimit: none(f[5]),
                                 nodes: none(f[6]), exitCode: exit, maxRSS: none(f[7]), comment: none(f[8]))
        }
        return order.compactMap { id in
            guard var job = jobs[id] else { return nil }
            if job.maxRSS == nil { job.maxRSS = stepRSS[id] }
            return job
        }
    }

    /// `scontrol show job -o` lines, for sites without accounting.
    public static func scontrol(_ output: String) throws -> [JobStatus] {
        try output.split(separator: "\n").filter { !$0.isEmpty }.map { line in
            let values = keyValues(line)
            guard let id = values["JobId"], let stateText = values["JobState"], let state = JobState(slurm: stateText) else {
                throw SlurmParseError(command: "scontrol", line: String(line), reason: "no JobId or JobState")
            }
            return JobStatus(jobID: id, name: values["JobName"], state: state, reason: values["Reason"].flatMap(none),
                             elapsed: values["RunTime"], timeLimit: values["TimeLimit"],
                             nodes: values["NodeList"].flatMap(none), exitCode: values["ExitCode"].flatMap(SlurmExitCode.init),
                             comment: values["Comment"].flatMap(none))
        }
    }

    /// The job's standard output path from `scontrol show job -o` (patterns
    /// such as %j and %x already expanded by Slurm).
    public static func standardOutput(_ output: String) -> String? {
        guard let line = output.split(separator: "\n").first else { return nil }
        return keyValues(line)["StdOut"].flatMap(none)
    }

    /// `Key=Value Key2=Value with spaces …`: a key starts after a space and
    /// is made of letters, digits, `/`, `:` and `_` up to `=`.
    static func keyValues(_ line: Substring) -> [String: String] {
        var result: [String: String] = [:]
        var keyStarts: [(Substring.Index, Substring.Index)] = [] // key start, '=' position
        var index = line.startIndex
        while index < line.endIndex {
            if index == line.startIndex || line[line.index(before: index)] == " " {
                var cursor = index
                while cursor < line.endIndex, line[cursor].isLetter || line[cursor].isNumber || "/:_".contains(line[cursor]) {
                    cursor = line.index(after: cursor)
                }
                if cursor < line.endIndex, cursor > index, line[cursor] == "=", line[index].isUppercase {
                    keyStarts.append((index, cursor))
                }
            }
            index = line.index(after: index)
        }
        for (position, (start, equals)) in keyStarts.enumerated() {
            let valueEnd = position + 1 < keyStarts.count ? line.index(before: keyStarts[position + 1].0) : line.endIndex
            let valueStart = line.index(after: equals)
            let value = valueStart <= valueEnd ? line[valueStart..<valueEnd] : ""
            result[String(line[start..<equals])] = String(value.reversed().drop(while: { $0 == " " }).reversed())
        }
        return result
    }

    /// `sbatch --parsable`: `jobid` or `jobid;cluster`.
    public static func sbatchJobID(_ output: String) throws -> String {
        let line = output.split(separator: "\n").last.map(String.init) ?? ""
        let id = String(line.split(separator: ";").first ?? "")
        guard !id.isEmpty, id.allSatisfy(\.isNumber) else {
            throw SlurmParseError(command: "sbatch", line: output, reason: "no job id")
        }
        return id
    }

    public struct Partition: Sendable, Hashable {
        public let name: String
        public let isDefault: Bool
        public let available: Bool
        public let timeLimit: String
        /// Nodes allocated, idle, in another state (down, drained…), in all.
        public let allocated: Int
        public let idle: Int
        public let other: Int
        public let total: Int

        /// As the Options form shows it beside the field.
        public var summary: String {
            (available ? "" : "DOWN · ") + "limit \(timeLimit) · \(idle)/\(total) nodes idle"
                + (other > 0 ? ", \(other) down or drained" : "")
        }
    }

    public static func partitions(_ output: String) throws -> [Partition] {
        var seen = Set<String>()
        return try output.split(separator: "\n").compactMap { line in
            let f = try fields(line, count: 4, command: "sinfo")
            let isDefault = f[0].hasSuffix("*")
            let name = isDefault ? String(f[0].dropLast()) : f[0]
            let counts = f[3].split(separator: "/").map { count($0) ?? 0 }
            guard counts.count == 4 else { throw SlurmParseError(command: "sinfo", line: String(line), reason: "nodes are not A/I/O/T") }
            guard seen.insert(name).inserted else { return nil }
            return Partition(name: name, isDefault: isDefault, available: f[1] == "up", timeLimit: f[2],
                             allocated: counts[0], idle: counts[1], other: counts[2], total: counts[3])
        }
    }

    public static func nodes(_ output: String) throws -> [String] {
        var names: [String] = []
        for line in output.split(separator: "\n") {
            let f = try fields(line, count: 3, command: "sinfo")
            if !names.contains(f[0]) { names.append(f[0]) }
        }
        return names
    }

    public static func accounts(_ output: String) -> [String] {
        var names: [String] = []
        for line in output.split(separator: "\n") {
            let account = String(line.split(separator: "|", omittingEmptySubsequences: false).first ?? "")
            if !account.isEmpty, !names.contains(account) { names.append(account) }
        }
        return names
    }

    /// `123K`, `4.5M`, `2G` → bytes, for comparing MaxRSS values.
    static func rssBytes(_ text: String) -> Double {
        guard let last = text.last else { return 0 }
        let multipliers: [Character: Double] = ["K": 1024, "M": 1_048_576, "G": 1_073_741_824, "T": 1_099_511_627_776]
        if let multiplier = multipliers[last] { return (Double(text.dropLast()) ?? 0) * multiplier }
        return Double(text) ?? 0
    }
}
