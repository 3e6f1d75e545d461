import Foundation
import HostTestSupport
import JobPreparation
@testable import JobRuntime
import SecureShell
import Testing

/// doctor's checks once logged in, against a login node in memory: each
/// answer of Vault's health endpoint is named as what it means.
struct DoctorWithoutSiteTests {
    /// A login node whose Slurm, tools and SPIRE port answer; Vault's health answers `vault`.
    func node(vault: @escaping @Sendable ([String]) -> CommandResult) -> InMemoryHost {
        let host = InMemoryHost()
        host.on("sh") { _ in InMemoryHost.answer(["sbatch", "squeue", "sacct", "scancel", "srun"].map { "\($0) /usr/bin/\($0)" }.joined(separator: "\n")) }
        for command in ["squeue", "sacct", "timeout"] { host.on(command) { _ in InMemoryHost.answer() } }
        host.on("sbatch") { _ in InMemoryHost.answer(stderr: "sbatch: Job 1 to start at now") }
        host.on("bash") { words in
            InMemoryHost.answer(words.dropFirst(4).map { "\($0)\t\t/usr/bin/\($0)" }.joined(separator: "\n"))
        }
        host.on("curl") { words in
            words.last?.hasSuffix("/v1/sys/health") == true ? vault(words) : InMemoryHost.answer("200")
        }
        return host
    }

    func vaultCheck(_ answer: @escaping @Sendable ([String]) -> CommandResult) async throws -> DoctorCheck {
        let config = try #require(ToolLookupTests.config)
        let checks = await SiteDoctor(configPath: config.path, interaction: NonInteractive())
            .clusterChecks(node(vault: answer), config: config, user: "alice")
        return try #require(checks.first { $0.id == "vault" }, "\(checks)")
    }

    @Test func vaultsHealthIsNamed() async throws {
        let ok = try await vaultCheck { _ in InMemoryHost.answer("200") }
        #expect(ok.status == .pass && ok.detail.hasSuffix("ok (initialised, unsealed, active)"), "\(ok)")
        let standby = try await vaultCheck { _ in InMemoryHost.answer("429") }
        #expect(standby.status == .pass && standby.detail.contains("standby"))
        let sealed = try await vaultCheck { _ in InMemoryHost.answer("503") }
        #expect(sealed.status == .fail && sealed.detail.hasSuffix("sealed (HTTP 503)") && sealed.fix?.contains("unseal") == true, "\(sealed)")
        let down = try await vaultCheck { _ in InMemoryHost.answer(stderr: "curl: (7) Failed to connect to vault.example.org port 443", code: 7) }
        #expect(down.status == .fail && down.detail.hasPrefix("unreachable from the login node: curl: (7)"), "\(down)")
        let other = try await vaultCheck { _ in InMemoryHost.answer("404") }
        #expect(other.status == .fail && other.detail.contains("not Vault's health answer"))
    }
}
