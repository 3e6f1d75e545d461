/// Argument vectors for the Slurm commands hpcs-job runs; fields are
/// separated by the ASCII unit separator so no value can shift a column.
public enum SlurmCommand {
    public static let separator = "\u{1f}"

    static let squeueFields = ["%i", "%T", "%r", "%M", "%l", "%D", "%N", "%k"]
    static let sacctFields = ["JobID", "JobName", "State", "ExitCode", "Elapsed", "Timelimit", "NodeList", "MaxRSS", "Comment"]

    /// Queue state of the given jobs (all states while still known to slurmctld).
    public static func squeue(jobIDs: [String]) -> [String] {
        ["squeue", "-h", "-t", "all", "-j", jobIDs.joined(separator: ","), "-o", squeueFields.joined(separator: separator)]
    }

    /// Accounting records of the given jobs, with their steps.
    public static func sacct(jobIDs: [String]) -> [String] {
        ["sacct", "-n", "-P", "--delimiter=" + separator, "-j", jobIDs.joined(separator: ","),
         "--format=" + sacctFields.joined(separator: ",")]
    }

    /// Jobs found by their `--comment` tag (recovery after a crash).
    public static func sacctByComment(user: String, since: String) -> [String] {
        ["sacct", "-n", "-X", "-P", "--delimiter=" + separator, "-u", user, "-S", since,
         "--format=" + sacctFields.joined(separator: ",")]
    }

    public static func squeueByUser(_ user: String) -> [String] {
        ["squeue", "-h", "-t", "all", "-u", user, "-o", squeueFields.joined(separator: separator)]
    }

    public static func scontrolShowJob(_ jobID: String) -> [String] { ["scontrol", "show", "job", "-o", jobID] }

    public static func scancel(_ jobID: String) -> [String] { ["scancel", jobID] }

    public static func sbatch(script: String, comment: String) -> [String] {
        ["sbatch", "--parsable", "--comment=" + comment, script]
    }

    /// One line per partition: name (`*` marks the default), up/down, time
    /// limit, nodes allocated/idle/other/total.
    public static let sinfoPartitions = ["sinfo", "-h", "-o", ["%P", "%a", "%l", "%F"].joined(separator: separator)]
    public static let sinfoNodes = ["sinfo", "-h", "-N", "-o", ["%N", "%P", "%T"].joined(separator: separator)]

    public static func associations(user: String) -> [String] {
        ["sacctmgr", "-n", "-P", "show", "assoc", "user=" + user, "format=Account,Partition,User"]
    }
}
