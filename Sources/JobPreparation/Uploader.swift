import Foundation
import SecureShell

/// Step 8: the per-submission directory (0700) with the SBATCH, the output
/// public key, the client config and, when there are, the pinned tools'
/// manifest and the SPIRE trust bundle, each written atomically (0600).
/// On any failure nothing is left behind.
public enum Uploader {
    public static func upload(_ plan: SubmissionPlan, sbatch: String, recipient: String, to host: RemoteHost,
                              progress: (@Sendable (String) -> Void)? = nil) async throws {
        let parent = (plan.remoteDirectory as NSString).deletingLastPathComponent
        do {
            try await host.makeDirectories(parent, mode: 0o700)
            try await host.mkdir(plan.remoteDirectory, mode: 0o700)
        } catch {
            throw PreparationError(.upload, file: plan.remoteDirectory, "cannot create the submission directory: \(error)")
        }
        do {
            progress?("client config")
            try await host.writeFileAtomically(plan.configPath, data: Data(plan.config.remoteText.utf8), mode: 0o600, progress: nil)
            if let tools = plan.tools {
                progress?("pinned tools")
                try await host.writeFileAtomically(plan.toolsManifestPath, data: Data(tools.text.utf8), mode: 0o600, progress: nil)
            }
            if let bundle = plan.trustBundle {
                progress?("SPIRE trust bundle")
                try await host.writeFileAtomically(plan.trustBundlePath, data: bundle, mode: 0o600, progress: nil)
            }
            progress?("output key")
            try await host.writeFileAtomically(plan.outputKeyPath, data: Data((recipient + "\n").utf8), mode: 0o600, progress: nil)
            progress?("job script")
            try await host.writeFileAtomically(plan.sbatchPath, data: Data(sbatch.utf8), mode: 0o600, progress: nil)
        } catch {
            await removeSubmissionDirectory(plan, from: host)
            throw PreparationError(.upload, file: plan.remoteDirectory, "upload failed: \(error)")
        }
    }

    /// Removes the submission's files and directory (best effort).
    public static func removeSubmissionDirectory(_ plan: SubmissionPlan, from host: RemoteHost) async {
        for path in [plan.sbatchPath, plan.outputKeyPath, plan.configPath, plan.toolsManifestPath, plan.trustBundlePath] {
            try? await host.removeFile(path)
        }
        // Temporary names left by an interrupted atomic write.
        if let leftovers = try? await host.list(plan.remoteDirectory) {
            for entry in leftovers where entry.kind == .file { try? await host.removeFile(plan.remoteDirectory + "/" + entry.name) }
        }
        try? await host.removeDirectory(plan.remoteDirectory)
    }
}
