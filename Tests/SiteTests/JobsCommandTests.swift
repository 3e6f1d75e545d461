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

    /// `logs -f` killed and started again prints the whole log and fetches
    /// only what is new: a byte changed in the local copy between the runs
    /// stays changed (nothing was fetched again from the start), and the copy
    /// ends up the remote log otherwise byte for byte.
    @Test func followingAgainAfterAKillAppendsOnlyWhatIsNew() async throws {
        let site = try LocalSite.require()
        let home = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let stop = "plain_resume-stop-\(UUID().uuidString.prefix(8))"
        let job = try sbatch(site, "-J plain_resume -t 3 -o 'plain_resume-%j.out' --wrap "
                             + "'i=0; while [ ! -e \(stop) ] && [ $i -lt 1200 ]; do i=$((i+1)); echo line $i; sleep 0.05; done; echo LAST'")
        defer { _ = try? site.openSSH("scancel \(job); rm -f plain_resume-\(job).out \(stop)") }
        let copy = home.appendingPathComponent("data/hpcs-job/logs/job-\(job).log")
        // Killed (SIGKILL) once its copy holds the first lines: however long the job waits its turn.
        let first = try Tool.spawn("/bin/sh", ["-c", "exec \"$0\" \"$@\" >/dev/null 2>&1", HPCSJobBinary.path,
                                               "logs", job, "--config", site.config, "-f"],
                                   environment: HPCSJobBinary.environment(home: home))
        let deadline = ContinuousClock.now + .seconds(150)
        var kept = Data()
        while !kept.starts(with: Data("line 1\nline 2\n".utf8)), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            kept = (try? Data(contentsOf: copy)) ?? Data()
        }
        first.kill()
        kept = (try? Data(contentsOf: copy)) ?? Data()
        try #require(kept.starts(with: Data("line 1\nline 2\n".utf8)), "the first run kept what it had")
        kept[kept.startIndex] = UInt8(ascii: "L")
        try kept.write(to: copy)
        _ = try site.openSSH("touch \(stop)")
        let again = try HPCSJobBinary.run(["logs", job, "--config", site.config, "-f"], home: home)
        #expect(again.status == 0, "\(again.err)")
        #expect(again.out.hasPrefix("Line 1\nline 2\n") && again.out.hasSuffix("LAST\n"), "printed from the copy, then the rest")
        let remote = try site.openSSH("cat plain_resume-\(job).out").stdout
        let whole = try Data(contentsOf: copy)
        #expect(whole.count == remote.count && whole.first == UInt8(ascii: "L") && whole.dropFirst() == remote.dropFirst(),
                "only the new bytes were appended (\(whole.count) local, \(remote.count) remote)")
        #expect(again.out.split(separator: "\n").count == remote.split(separator: 0x0A).count, "nothing printed twice")
    }

    /// A tail followed with -f writes no scratch file in the temporary
    /// directory: a file planted at the name it once used, owned by another
    /// user, stays untouched, and the copy under logs/ is the whole log.
    @Test func aFollowedTailWritesNothingInTheTemporaryDirectory() async throws {
        let site = try LocalSite.require()
        let home = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let scratch = home.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let job = try sbatch(site, "-J plain_tmp -t 2 -o 'plain_tmp-%j.out' --wrap 'seq 1 50000; sleep 3; echo LAST'")
        defer { _ = try? site.openSSH("rm -f plain_tmp-\(job).out") }
        // Until the job has written its lines, however long it waits its turn (bounded).
        var written = false
        let deadline = ContinuousClock.now + .seconds(150)
        while !written, ContinuousClock.now < deadline {
            written = try site.openSSH("grep -c . plain_tmp-\(job).out 2>/dev/null").out.hasPrefix("50000")
            if !written { try await Task.sleep(for: .milliseconds(100)) }
        }
        try #require(written, "job \(job) did not write its lines within 150 s")
        // The planted file is named after the follower's own pid (sh execs it).
        let plant = "f=/tmp/hpcs-job-tail-$$.log; : > \"$f\"; chown nobody \"$f\" 2>/dev/null; echo \"$f\"; exec \"$0\" \"$@\""
        var environment = HPCSJobBinary.environment(home: home)
        environment["TMPDIR"] = scratch.path
        let followed = try Tool.run("/bin/sh", ["-c", plant, HPCSJobBinary.path, "logs", job, "--config", site.config, "-n", "1", "-f"],
                                    environment: environment)
        #expect(followed.status == 0, "\(followed.err)")
        let planted = String(followed.out.prefix { $0 != "\n" })
        defer { unlink(planted) }
        #expect(followed.out.hasSuffix("50000\nLAST\n"))
        let attributes = try FileManager.default.attributesOfItem(atPath: planted)
        #expect((attributes[.size] as? Int) == 0, "the planted file was not written")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty, "nothing made in TMPDIR")
        let copy = try Data(contentsOf: home.appendingPathComponent("data/hpcs-job/logs/job-\(job).log"))
        #expect(copy == (try site.openSSH("cat plain_tmp-\(job).out").stdout), "the copy was filled in behind the tail")
    }
}
