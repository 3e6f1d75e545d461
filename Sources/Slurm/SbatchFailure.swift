/// What a failed sbatch means for the job: refused (sbatch said why and the
/// controller never queued it), or unclear (it may be queued: Slurm can time
/// out after accepting a job, and a lost answer says nothing). Only a
/// refusal may undo a submission; an unclear one is settled by the job's
/// comment tag.
public enum SbatchFailure: Sendable, Equatable {
    case refused(String)
    case unclear(String)

    /// Words of Slurm's transport errors: the request may have reached the controller.
    static let transport = ["timed out", "communication connection failure", "zero bytes were transmitted", "unexpected message",
                            "connection reset", "unable to contact", "resource temporarily unavailable", "slurm_receive_msg",
                            "interrupted", "socket", "protocol", "try again"]

    public static func classify(exitCode: Int32, stderr: String) -> SbatchFailure {
        let message = String(stderr.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
        let said = message.isEmpty ? "exit status \(exitCode)" : message
        // Not run at all: no sbatch, or not executable.
        if exitCode == 126 || exitCode == 127 { return .refused(said) }
        let lower = message.lowercased()
        if lower.contains("error"), !transport.contains(where: lower.contains) { return .refused(said) }
        return .unclear(said)
    }
}
