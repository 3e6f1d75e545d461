/// How well a finished job used what it asked for, as `seff` reports it:
/// CPU time over elapsed time × CPUs, and the largest step's memory over
/// the memory requested.
public struct JobEfficiency: Sendable, Hashable, Codable {
    public var elapsedSeconds: Double
    public var cpuSeconds: Double
    public var cpus: Int
    public var maxRSSBytes: Double
    public var requestedMemoryBytes: Double?

    public init(elapsedSeconds: Double, cpuSeconds: Double, cpus: Int, maxRSSBytes: Double, requestedMemoryBytes: Double?) {
        self.elapsedSeconds = elapsedSeconds
        self.cpuSeconds = cpuSeconds
        self.cpus = cpus
        self.maxRSSBytes = maxRSSBytes
        self.requestedMemoryBytes = requestedMemoryBytes
    }

    /// Percent of the allocated CPU time used; nil when nothing ran.
    public var cpuEfficiency: Double? {
        let available = elapsedSeconds * Double(cpus)
        return available > 0 ? cpuSeconds / available * 100 : nil
    }

    /// Percent of the requested memory used at the peak; nil when none was requested.
    public var memoryEfficiency: Double? {
        guard let requested = requestedMemoryBytes, requested > 0 else { return nil }
        return maxRSSBytes / requested * 100
    }
}

extension SlurmCommand {
    static let efficiencyFields = ["JobID", "Elapsed", "TotalCPU", "AllocCPUS", "MaxRSS", "ReqMem"]

    /// Accounting for one job and its steps, for ``SlurmParser/efficiency(_:jobID:)``.
    public static func sacctEfficiency(jobID: String) -> [String] {
        ["sacct", "-n", "-P", "--delimiter=" + separator, "-j", jobID, "--format=" + efficiencyFields.joined(separator: ",")]
    }
}

extension SlurmParser {
    /// The allocation line gives elapsed time, CPU time (all steps) and CPUs;
    /// the steps give the largest MaxRSS.
    public static func efficiency(_ output: String, jobID: String) throws -> JobEfficiency? {
        var result: JobEfficiency?
        var maxRSS = 0.0
        for line in output.split(separator: "\n") {
            let f = try listFields(line, count: 6, command: "sacct")
            maxRSS = max(maxRSS, rssBytes(f[4]))
            guard f[0] == jobID else { continue }
            guard let elapsed = seconds(f[1]), let cpu = seconds(f[2]), let cpus = count(f[3]) else {
                throw SlurmParseError(command: "sacct", line: String(line), reason: "bad times or CPU count")
            }
            result = JobEfficiency(elapsedSeconds: elapsed, cpuSeconds: cpu, cpus: cpus, maxRSSBytes: 0,
                                   requestedMemoryBytes: memoryBytes(f[5]))
        }
        result?.maxRSSBytes = maxRSS
        return result
    }

    /// `[D-]HH:MM:SS[.mmm]`, `MM:SS[.mmm]` as sacct prints Elapsed and TotalCPU.
    static func seconds(_ text: String) -> Double? {
        var rest = Substring(text)
        var days = 0.0
        if let dash = rest.firstIndex(of: "-") {
            guard let value = Double(rest[..<dash]) else { return nil }
            days = value
            rest = rest[rest.index(after: dash)...]
        }
        let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
        let values = parts.compactMap { Double($0) }
        // Bounded: a number no clock prints (found by fuzzing: 90 digits) is not a time.
        guard !values.isEmpty, values.count == parts.count, values.count <= 3, values.allSatisfy({ $0 >= 0 && $0 < 1e9 }),
              days >= 0, days < 1e6 else { return nil }
        let total = values.reduce(0) { $0 * 60 + $1 }
        return days * 86400 + total
    }

    /// ReqMem: `4000M`, `2G`, older `4000Mn`/`4000Mc` (per node / per CPU, taken as written).
    static func memoryBytes(_ text: String) -> Double? {
        var value = Substring(text)
        if let last = value.last, last == "n" || last == "c" { value = value.dropLast() }
        let bytes = rssBytes(String(value))
        return bytes > 0 ? bytes : nil
    }
}

extension JobEfficiency {
    /// `CPU 45% of 2 CPUs · memory 120 MiB of 1.0 GiB (12%)`, as a line.
    public var summary: String {
        var cpu = "CPU —"
        if let percent = cpuEfficiency {
            cpu = "CPU \(Self.whole(percent))% of \(cpus) CPU" + (cpus == 1 ? "" : "s")
        }
        var memory = "memory " + Self.size(maxRSSBytes)
        if let requested = requestedMemoryBytes, let percent = memoryEfficiency {
            memory += " of " + Self.size(requested) + " (\(Self.whole(percent))%)"
        }
        return cpu + " · " + memory
    }

    /// `120 MiB`, `1.5 GiB` (one decimal from a GiB up).
    static func size(_ bytes: Double) -> String {
        let tenths = whole(bytes / 1_073_741_824 * 10)
        if tenths >= 10 { return "\(tenths / 10).\(tenths % 10) GiB" }
        return "\(whole(bytes / 1_048_576)) MiB"
    }

    /// A figure from the cluster as a whole number, never a trap: Int()
    /// of an infinite or huge Double stops the process.
    static func whole(_ value: Double) -> Int {
        guard value.isFinite else { return 0 }
        return Int(min(max(value.rounded(), -1e15), 1e15))
    }
}
