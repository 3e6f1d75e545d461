import Foundation
import SiteTestSupport
import Testing

/// Proves the local site is a real one: OpenSSH login with strict host keys,
/// and a job going through Slurm into accounting.
@Suite(.enabled(if: LocalSite.isExpected, "\(LocalSite.howToStart)"), .serialized)
struct LocalSiteTests {
    @Test func sshWithTheSiteKeyAndKnownHosts() throws {
        let site = try LocalSite.require()
        let result = try site.openSSH("id -un; printf '%s' \"$SLURM_CONF\"")
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.hasPrefix(site.user + "\n"))
        #expect(result.out.hasSuffix("slurm.conf"))
    }

    @Test func wrongHostKeyIsRefused() throws {
        let site = try LocalSite.require()
        let dir = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let otherKey = dir.appendingPathComponent("other")
        _ = try Tool.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", otherKey.path])
        let publicKey = try String(contentsOf: otherKey.appendingPathExtension("pub"), encoding: .utf8)
            .split(separator: " ").prefix(2).joined(separator: " ")
        let knownHosts = dir.appendingPathComponent("known_hosts")
        try "[\(site.host)]:\(site.port) \(publicKey)\n".write(to: knownHosts, atomically: true, encoding: .utf8)
        let result = try Tool.run("/usr/bin/ssh", [
            "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
            "-o", "UserKnownHostsFile=\(knownHosts.path)", "-o", "IdentitiesOnly=yes",
            "-i", site.identity, "-p", String(site.port), "\(site.user)@\(site.host)", "true",
        ])
        #expect(result.status != 0)
        #expect(result.err.contains("REMOTE HOST IDENTIFICATION HAS CHANGED"))
    }

    @Test func tinyJobGoesThroughSlurmIntoAccounting() async throws {
        let site = try LocalSite.require()
        let submit = try site.openSSH(
            "cd \(site.workdir) && sbatch --parsable --comment=hpcs-job:site-test -p \(site.partition) -J site-test --wrap 'echo site-test; sleep 2'")
        #expect(submit.status == 0, "\(submit.err)")
        let jobID = submit.out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(Int(jobID) != nil, "sbatch --parsable printed \(submit.out)")

        let queue = try site.openSSH("squeue -h -j \(jobID) -o '%i|%j|%k'")
        #expect(queue.out.contains("\(jobID)|site-test|hpcs-job:site-test"), "\(queue.out)\(queue.err)")

        var state = ""
        for _ in 0..<240 {
            let acct = try site.openSSH("sacct -n -P -X -j \(jobID) --format=State,ExitCode,Comment")
            state = acct.out.trimmingCharacters(in: .whitespacesAndNewlines)
            if state.hasPrefix("COMPLETED") { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(state == "COMPLETED|0:0|hpcs-job:site-test")
    }
}
