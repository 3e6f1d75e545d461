import Foundation
import SiteTestSupport
import Testing

/// `hpcs-job jobs`: every job of the user, including jobs submitted with
/// plain sbatch, in one listing; `--wait` until given jobs end.
@Suite(.enabled(if: LocalSite.isExpected, "\(LocalSite.howToStart)"), .serialized)
struct JobsCommandTests {
    let binary = LocalSite.repositoryRoot.appendingPathComponent(".build/debug/hpcs-job").path

    func hpcsJob(_ arguments: [String], home: URL) throws -> ToolResult { try HPCSJobBinary.run(arguments, home: home) }

    /// Submits with plain sbatch on the login node; returns the job id.
    func sbatch(_ site: LocalSite, _ options: String) throws -> String {
        let result = try site.openSSH("sbatch --parsable -p \(site.partition) -o /dev/null \(options)")
        #expect(result.status == 0, "\(result.err)")
        return result.out.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first.map(String.init) ?? ""
    }

    @Test func jobsNotSubmittedByHPCSJobAreListedWithArraysFolded() async throws {
        let site = try LocalSite.require()
        let home = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let held = try sbatch(site, "--hold -J plain_held --wrap true")
        let array = try sbatch(site, "--hold -J plain_array --array=1-5 --wrap true")
        let quick = try sbatch(site, "-J plain_quick -t 1 --wrap true")
        defer { _ = try? site.openSSH("scancel \(held) \(array) \(quick)") }

        let listed = try hpcsJob(["jobs", "--config", site.config, "--json"], home: home)
        #expect(listed.status == 0, "\(listed.err)")
        let jobs = try #require(try JSONSerialization.jsonObject(with: listed.stdout) as? [[String: Any]])
        let heldJob = try #require(jobs.first { $0["job_id"] as? String == held }, "\(jobs)")
        #expect(heldJob["state"] as? String == "PENDING" && heldJob["name"] as? String == "plain_held")
        #expect(heldJob["reason"] as? String != nil && heldJob["submission_id"] is NSNull)
        let folded = jobs.filter { ($0["job_id"] as? String)?.hasPrefix(array + "_") == true }
        #expect(folded.count == 1 && folded.first?["array_folded"] as? Bool == true, "five held tasks in one row: \(folded)")

        // --wait returns when the job ends, with its state; 0 when it completed.
        let waited = try hpcsJob(["jobs", "--config", site.config, "--wait", quick, "--json"], home: home)
        #expect(waited.status == 0, "\(waited.err)")
        let states = try #require(try JSONSerialization.jsonObject(with: waited.stdout) as? [[String: Any]])
        #expect(states.first?["state"] as? String == "COMPLETED")

        // Ended jobs come from accounting with --all-states.
        // (Accounting records a job shortly after it ends: asked again for a few seconds.)
        var allJobs: [[String: Any]] = []
        for _ in 0..<20 {
            let all = try hpcsJob(["jobs", "--config", site.config, "--json", "--all-states", "--since", "1h"], home: home)
            allJobs = try #require(try JSONSerialization.jsonObject(with: all.stdout) as? [[String: Any]])
            if allJobs.contains(where: { $0["job_id"] as? String == quick && $0["state"] as? String == "COMPLETED" }) { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(allJobs.contains { $0["job_id"] as? String == quick && $0["state"] as? String == "COMPLETED" }, "\(allJobs.prefix(5))")

        // A job that does not complete makes --wait exit 1.
        let cancelled = try sbatch(site, "--hold -J plain_cancel --wrap true")
        _ = try site.openSSH("scancel \(cancelled)")
        let failed = try hpcsJob(["jobs", "--config", site.config, "--wait", cancelled], home: home)
        #expect(failed.status == 1 && failed.out.contains("CANCELLED"), "\(failed.out) \(failed.err)")
        let badSince = try hpcsJob(["jobs", "--config", site.config, "--since", "yesterday"], home: home)
        #expect(badSince.status == 64)
    }

    /// `logs JOBID --config --tail N` for a job hpcs-job did not submit: the
    /// last lines of a large log, read from its end; with -f it goes on from
    /// exactly there, nothing repeated.
    @Test func theTailOfAnyJobsLogAndFollowingOnFromIt() async throws {
        let site = try LocalSite.require()
        let home = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let big = try sbatch(site, "-J plain_big -t 2 -o 'plain_big-%j.out' --wrap 'seq 1 2000000; echo LAST-LINE'")
        defer { _ = try? site.openSSH("rm -f plain_big-\(big).out") }
        _ = try hpcsJob(["jobs", "--config", site.config, "--wait", big], home: home)
        let tail = try hpcsJob(["logs", big, "--config", site.config, "--tail", "3"], home: home)
        #expect(tail.status == 0, "\(tail.err)")
        #expect(tail.out == "1999999\n2000000\nLAST-LINE\n")
        let none = try hpcsJob(["logs", "99999999", "--config", site.config, "--tail", "3"], home: home)
        #expect(none.status == 64 && none.err.contains("99999999"), "\(none.err)")

        let slow = try sbatch(site, "-J plain_slow -t 2 -o 'plain_slow-%j.out' --wrap 'echo one; echo two; sleep 6; echo three'")
        defer { _ = try? site.openSSH("rm -f plain_slow-\(slow).out") }
        // Wait until "two" is in the log, then tail one line and follow.
        for _ in 0..<100 {
            if try site.openSSH("cat plain_slow-\(slow).out 2>/dev/null").out.contains("two") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let followed = try hpcsJob(["logs", slow, "--config", site.config, "-n", "1", "-f"], home: home)
        #expect(followed.status == 0, "\(followed.err)")
        #expect(followed.out == "two\nthree\n")
    }
}
