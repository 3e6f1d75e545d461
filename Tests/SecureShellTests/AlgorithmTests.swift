import Foundation
import SecureShell
import SiteTestSupport
import Testing

/// hpcs-job offers no SHA-1 key exchange, no CBC cipher and no SHA-1 MAC,
/// whatever libssh2's defaults would: a login node that offers only those
/// (OpenSSH still can, configured so) is refused at the handshake.
@Suite(.enabled(if: LocalSite.isExpected, "\(LocalSite.howToStart)"))
struct AlgorithmTests {
    func connect(_ site: LocalSite, offering line: String) async throws -> Result<Void, Error> {
        let dir = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let node = try TestLoginNode(site: site, directory: dir, dropping: [String(line.split(separator: " ")[0])], adding: [line])
        defer { node.stop() }
        let settings = try site.settings(for: node, in: dir)
        do {
            let ssh = try await retryingADroppedHandshake { try await SSHConnection.connect(settings, interaction: NonInteractive()) }
            ssh.close()
            return .success(())
        } catch {
            return .failure(error)
        }
    }

    @Test(arguments: ["Ciphers aes128-cbc,aes256-cbc", "MACs hmac-sha1,hmac-md5", "KexAlgorithms diffie-hellman-group14-sha1"])
    func weakAlgorithmsAloneAreRefused(_ line: String) async throws {
        let site = try LocalSite.require()
        guard case let .failure(error) = try await connect(site, offering: line) else {
            Issue.record("connected to a server offering only \(line)")
            return
        }
        #expect("\(error)".contains("handshake"), "\(error)")
    }

    @Test func theStrongOnesConnect() async throws {
        let site = try LocalSite.require()
        for line in ["Ciphers aes256-ctr", "MACs hmac-sha2-256", "KexAlgorithms curve25519-sha256"] {
            if case let .failure(error) = try await connect(site, offering: line) { Issue.record("\(line): \(error)") }
        }
    }
}
