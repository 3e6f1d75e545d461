import Foundation
import SiteTestSupport
import Testing

/// What `Scripts/install` put under a prefix (Scripts/test installs into a
/// temporary one and names it in HPCS_TEST_INSTALL_PREFIX): a binary that
/// works away from the checkout, man pages, completions, an exact uninstall.
@Suite(.enabled(if: InstalledPrefix.url != nil || LocalSite.isRequired,
                "no installed prefix to check: run `Scripts/install --prefix DIR` and set HPCS_TEST_INSTALL_PREFIX=DIR"))
struct InstallTests {
    func prefix() throws -> URL {
        try #require(InstalledPrefix.url, "HPCS_TEST_INSTALL_PREFIX is not set (Scripts/test sets it)")
    }

    func manifest(_ prefix: URL) throws -> [(kind: String, path: String)] {
        try String(contentsOf: prefix.appendingPathComponent("share/hpcs-job/install-manifest"), encoding: .utf8)
            .split(separator: "\n").compactMap { line in
                let parts = line.split(separator: " ", maxSplits: 1)
                return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
            }
    }

    @Test func everyFileOfTheManifestIsThereAndTheVersionNamesTheLibraries() throws {
        let prefix = try prefix()
        let files = try manifest(prefix).filter { $0.kind == "file" }.map(\.path)
        for expected in ["bin/hpcs-job", "share/hpcs-job/templates/hpcs.sbatch", "share/hpcs-job/templates/plain.sbatch",
                         "share/hpcs-job/themes/default.theme", "share/man/man1/hpcs-job.1", "share/man/man1/hpcs-job-submit.1",
                         "share/man/man1/hpcs-job-doctor.1", "share/bash-completion/completions/hpcs-job",
                         "share/zsh/site-functions/_hpcs-job", "share/fish/vendor_completions.d/hpcs-job.fish"] {
            #expect(files.contains(expected), "\(expected) is not in the manifest")
        }
        for file in files { #expect(FileManager.default.fileExists(atPath: prefix.appendingPathComponent(file).path), "\(file)") }
        let version = try Tool.run(prefix.appendingPathComponent("bin/hpcs-job").path, ["--version"])
        #expect(version.status == 0)
        #expect(version.out.contains(/hpcs-job \d+\.\d+\.\d+\nlibssh2 1\.\d+\.\d+, libsodium 1\.\d+\.\d+, ncurses \d+\.\d+/), "\(version.out)")
        // The Swift runtime is linked in: nothing from the toolchain is needed.
        let libraries = try Tool.run("/usr/bin/ldd", [prefix.appendingPathComponent("bin/hpcs-job").path])
        #expect(!libraries.out.contains("libswiftCore") && !libraries.out.contains("libFoundation"), "\(libraries.out)")
    }

    @Test func theInstalledBinaryRendersTheHPCSTemplateFromTheRootFolder() throws {
        let prefix = try prefix()
        let site = try LocalSite.require()
        let home = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        // Started by name through PATH from /, as a user would: it must find
        // its templates from its own location, not from a checkout or the cwd.
        let result = try Tool.run("/usr/bin/env", [
            "-C", "/", "HOME=\(home.path)", "XDG_DATA_HOME=\(home.path)/data", "XDG_CONFIG_HOME=\(home.path)/config",
            "PATH=\(prefix.path)/bin:/usr/bin:/bin", "hpcs-job", "submit", "--config", site.config, "-p", site.partition,
            "-t", "5", "-w", site.node, "-s", "\(site.workdir)/installed", "-ai", site.appInfo, "-di", site.dataInfo, "--dry-run",
        ])
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.contains("hpcs-job template \"hpcs\"") && result.out.contains("step 12 \"done"), "\(result.out.prefix(400))")
    }

    @Test func manPagesRenderWithoutWarnings() throws {
        let pages = try prefix().appendingPathComponent("share/man/man1")
        let names = try FileManager.default.contentsOfDirectory(atPath: pages.path).filter { $0.hasSuffix(".1") }
        #expect(names.count >= 8)
        for name in names {
            let rendered = try Tool.run("/usr/bin/env", ["MANWIDTH=80", "MAN_KEEP_FORMATTING=0", "man", "--warnings", "-l",
                                                         pages.appendingPathComponent(name).path])
            #expect(rendered.status == 0 && rendered.err.isEmpty, "\(name): \(rendered.err)")
            let text = Self.withoutOverstrike(rendered.out)
            #expect(text.contains("NAME") && text.contains("SYNOPSIS"), "\(name): \(text.prefix(200))")
        }
        let main = try Tool.run("/usr/bin/man", ["-l", pages.appendingPathComponent("hpcs-job.1").path])
        #expect(Self.withoutOverstrike(main.out).contains("doctor") && Self.withoutOverstrike(main.out).contains("EXIT STATUS"))
    }

    /// man's bold and underline off a terminal are "X\bX" and "_\bX".
    static func withoutOverstrike(_ text: String) -> String {
        text.replacing(/.\u{8}/, with: "")
    }

    @Test func completionsLoadInBashZshAndFish() throws {
        let share = try prefix().appendingPathComponent("share")
        let bash = try Tool.run("/bin/bash", ["-c", "source \"$1\" && complete -p hpcs-job", "bash",
                                              share.appendingPathComponent("bash-completion/completions/hpcs-job").path])
        #expect(bash.status == 0 && bash.out.contains("hpcs-job"), "\(bash.err)")

        let zshDump = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: zshDump) }
        let zsh = try Tool.run("/usr/bin/zsh", ["-fc", "fpath=(\"$1\" $fpath); autoload -U compinit; compinit -u -d \"$2\"; "
                                                + "print -r -- ${_comps[hpcs-job]}", "zsh",
                                                share.appendingPathComponent("zsh/site-functions").path,
                                                zshDump.appendingPathComponent("zcompdump").path])
        #expect(zsh.status == 0 && zsh.out.trimmingCharacters(in: .whitespacesAndNewlines) == "_hpcs-job", "\(zsh.out)\(zsh.err)")

        let fish = try Tool.run("/usr/bin/fish", ["--no-config", "-c", "source $argv[1]; complete -C 'hpcs-job '",
                                                  share.appendingPathComponent("fish/vendor_completions.d/hpcs-job.fish").path])
        #expect(fish.status == 0 && fish.out.contains("submit") && fish.out.contains("doctor"), "\(fish.out)\(fish.err)")
    }

    @Test func uninstallRemovesExactlyWhatWasInstalled() throws {
        let prefix = try prefix()
        let copy = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: copy) }
        #expect(try Tool.run("/bin/cp", ["-a", prefix.path + "/.", copy.path]).status == 0)
        // The user's own files beside ours stay, and so do their folders.
        try "mine".write(to: copy.appendingPathComponent("bin/other-tool"), atomically: true, encoding: .utf8)
        try "mine".write(to: copy.appendingPathComponent("share/man/man1/other.1"), atomically: true, encoding: .utf8)
        let result = try Tool.run(LocalSite.repositoryRoot.appendingPathComponent("Scripts/install").path,
                                  ["--uninstall", "--prefix", copy.path])
        #expect(result.status == 0, "\(result.err)")
        let left = try FileManager.default.subpathsOfDirectory(atPath: copy.path).sorted()
        #expect(left == ["bin", "bin/other-tool", "share", "share/man", "share/man/man1", "share/man/man1/other.1"], "\(left)")
        // A second uninstall has nothing to remove and says so.
        let again = try Tool.run(LocalSite.repositoryRoot.appendingPathComponent("Scripts/install").path, ["--uninstall", "--prefix", copy.path])
        #expect(again.status != 0 && again.err.contains("nothing to uninstall"), "\(again.err)")
    }
}

enum InstalledPrefix {
    static var url: URL? {
        ProcessInfo.processInfo.environment["HPCS_TEST_INSTALL_PREFIX"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
    }
}
