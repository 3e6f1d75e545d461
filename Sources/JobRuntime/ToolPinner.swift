import Foundation
import JobPreparation
import SecureShell

/// `hpcs-job tools pin`: fetches each tool's release archive on the login
/// node (which usually has network; compute nodes often have none),
/// verifies it, and caches it on the shared filesystem for the jobs:
/// `~/.hpcs-job/tools/<sha256>/<archive>` (0700 folders, moved into place
/// only once verified). Every value reaches the remote shell as an argument.
public struct ToolPinner: Sendable {
    public enum Verification: Sendable, Equatable {
        /// The project's published checksum file lists this SHA-256.
        case published(checksumsURL: String)
        /// No checksum is published: the user compared the SHA-256 and accepted it.
        case confirmedByUser
        /// Pinned before with this URL and the cached copy still matches.
        case alreadyCached
    }

    public struct Outcome: Sendable, Equatable {
        public let tool: PinnedTool
        public let verification: Verification
    }

    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public let tool: String
        public let reason: String
        public let fix: String?
        public var description: String { "\(tool): \(reason)" + (fix.map { "\n  fix: \($0)" } ?? "") }

        public init(tool: String, reason: String, fix: String?) {
            self.tool = tool
            self.reason = reason
            self.fix = fix
        }
    }

    let host: RemoteHost

    public init(host: RemoteHost) { self.host = host }

    /// The compute nodes' architecture as release archives name it: Slurm's
    /// `Arch` of the nodes (all must agree), else the login node's `uname -m`.
    public func architecture() async throws -> String {
        let nodes = try await host.run(["scontrol", "show", "nodes", "-o"])
        var machines = Set(nodes.stdoutText.split(separator: "\n").compactMap { line in
            line.split(separator: " ").first { $0.hasPrefix("Arch=") }.map { String($0.dropFirst(5)) }
        }.filter { $0 != "(null)" && !$0.isEmpty })
        if machines.isEmpty {
            machines = [try await host.run(["uname", "-m"]).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)]
        }
        let names = Set(machines.compactMap(ToolRelease.releaseArchitecture))
        guard names.count == 1, let arch = names.first else {
            throw Failure(tool: "tools", reason: "cannot tell the compute nodes' architecture (found: \(machines.sorted().joined(separator: ", ")))",
                          fix: "name it: --arch amd64 or --arch arm64")
        }
        return arch
    }

    /// Pins one release: reuses a valid cached copy of the same URL, else
    /// downloads, checks it against the published checksum or asks
    /// `confirm` (the SHA-256 shown to the user), and caches it.
    public func pin(_ release: ToolRelease, base: String, arch: String, existing: PinnedTool?,
                    confirm: @Sendable (PinnedTool) async -> Bool) async throws -> Outcome {
        let url = release.archiveURL(base: base, arch: arch)
        if let existing, existing.url == url, try await cacheState(existing) == .valid {
            return Outcome(tool: existing, verification: .alreadyCached)
        }
        let staged = try await stage(release, url: url, checksums: release.checksumsURL(base: base, arch: arch))
        let tool = PinnedTool(name: release.name, version: release.version, sha256: staged.sha256, url: url, member: release.member)
        let verification: Verification
        if let checksums = release.checksumsURL(base: base, arch: arch) {
            guard let published = staged.published, !published.isEmpty else {
                await discard(staged)
                throw Failure(tool: release.name, reason: "\(checksums) does not list \(tool.archiveName)", fix: nil)
            }
            guard published == staged.sha256 else {
                await discard(staged)
                throw Failure(tool: release.name,
                              reason: "\(url) has SHA-256 \(staged.sha256), but its project publishes \(published): not pinned",
                              fix: "the download was altered or the mirror is stale; try again or use the upstream URL")
            }
            verification = .published(checksumsURL: checksums)
        } else {
            guard await confirm(tool) else {
                await discard(staged)
                throw Failure(tool: release.name, reason: "SHA-256 \(tool.sha256) not accepted: not pinned",
                              fix: "compare it with the project's release page, then accept it")
            }
            verification = .confirmedByUser
        }
        try await commit(staged, as: tool)
        return Outcome(tool: tool, verification: verification)
    }

    public enum CacheState: String, Sendable, Equatable { case valid, missing, changed }

    /// Whether the cached archive is there and still has its pinned SHA-256.
    public func cacheState(_ tool: PinnedTool) async throws -> CacheState {
        let result = try await host.run(["bash", "-c", #"f="$HOME/$1"; if [[ -f $f ]]; then sha256sum -- "$f"; else echo missing; fi"#,
                                         "hpcs-job", tool.cachePath])
        let answer = result.stdoutText.split(separator: " ").first.map(String.init) ?? ""
        if answer.hasPrefix("missing") { return .missing }
        return answer == tool.sha256 ? .valid : .changed
    }

    /// One tool as a job would find it.
    public struct Report: Sendable, Equatable {
        public let name: String
        public let pinned: PinnedTool?
        public let cache: CacheState?
        /// Where the site provides it: HPCS_TOOLS_DIR (wins), else its manifest.
        public let siteSetting: String?
        public let onPath: String?

        /// What a job would use, in the job script's order: the site's
        /// setting, else a valid pinned copy (a pinned tool never falls back
        /// to PATH), else PATH; nil when nothing.
        public var jobUses: String? {
            if let siteSetting { return "site: \(siteSetting)" }
            if pinned != nil { return cache == .valid ? "pinned (cached)" : nil }
            return onPath.map { "PATH: \($0)" }
        }
    }

    /// The job's tools (`ToolLookup.names`): pinned, cached, provided by the
    /// login environment (what jobs submitted from it inherit), or, with an
    /// `srun …` prefix, by a compute node's.
    public func status(_ manifest: ToolManifest?, probePrefix: [String] = []) async throws -> [Report] {
        let names = ToolLookup.names
        let result = try await host.run(ToolLookup.command(names, prefix: probePrefix))
        guard result.status.succeeded else { throw Failure(tool: "the tools", reason: "cannot look for them: \(result.stderrText.prefix(300))", fix: nil) }
        let found = ToolLookup.parse(result.stdoutText)
        var reports: [Report] = []
        for name in names {
            let pinned = manifest?[name]
            reports.append(Report(name: name, pinned: pinned, cache: try await pinned.asyncMap(cacheState),
                                  siteSetting: found[name]?.site, onPath: found[name]?.path))
        }
        return reports
    }

    // MARK: Remote steps

    struct Staged: Sendable {
        let directory: String
        let sha256: String
        let published: String?
    }

    /// Downloads into a fresh `.pin.*` folder in the cache (same filesystem:
    /// the final move is a rename) and reports the archive's SHA-256 and,
    /// when a checksum file is named, what it lists for the archive.
    private func stage(_ release: ToolRelease, url: String, checksums: String?) async throws -> Staged {
        let script = #"""
            set -uo pipefail
            umask 077
            url=$1 sums=$2 member=$3
            cache="$HOME/.hpcs-job/tools"
            mkdir -p "$cache" && chmod 0700 "$HOME/.hpcs-job" "$cache" || { echo "error cannot create $cache"; exit 3; }
            # Stages an interrupted pin left behind.
            find "$cache" -maxdepth 1 -name '.pin.*' -mmin +60 -exec rm -rf {} + 2>/dev/null
            stage=$(mktemp -d "$cache/.pin.XXXXXXXX") || { echo "error cannot create a folder in $cache"; exit 3; }
            if ! curl -fsSL --proto '=https,http' --max-time 900 --retry 2 -o "$stage/archive" "$url" 2>"$stage/error"; then
              echo "error download: cannot fetch $url ($(tr '\n' ' ' <"$stage/error" | head -c 400))"; rm -rf "$stage"; exit 3
            fi
            if ! tar -tzf "$stage/archive" -- "$member" >/dev/null 2>&1; then
              echo "error the archive holds no $member"; rm -rf "$stage"; exit 3
            fi
            printf 'stage %s\nsha256 %s\n' "$stage" "$(sha256sum "$stage/archive" | cut -d' ' -f1)"
            if [[ -n $sums ]]; then
              if ! curl -fsSL --proto '=https,http' --max-time 60 -o "$stage/sums" "$sums" 2>"$stage/error"; then
                echo "error checksums: cannot fetch $sums ($(tr '\n' ' ' <"$stage/error" | head -c 400))"; rm -rf "$stage"; exit 3
              fi
              printf 'published %s\n' "$(awk -v f="${url##*/}" '$2 == f || $2 == "*" f { print $1; exit }' "$stage/sums")"
            fi
            """#
        let result = try await host.run(["bash", "-c", script, "hpcs-job", url, checksums ?? "", release.member])
        var fields: [String: String] = [:]
        for line in result.stdoutText.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            fields[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        if let error = fields["error"] {
            let fix = error.hasPrefix("download") || error.hasPrefix("checksums")
                ? "check the URL (or --mirror) and that the login node reaches that host; a site mirror is named with --mirror URL" : nil
            throw Failure(tool: release.name, reason: "on the login node: " + error, fix: fix)
        }
        guard result.status.succeeded, let directory = fields["stage"], let sha = fields["sha256"], sha.count == 64 else {
            throw Failure(tool: release.name, reason: "the download on the login node failed: \(result.stderrText.prefix(300))", fix: nil)
        }
        return Staged(directory: directory, sha256: sha, published: fields["published"])
    }

    /// Moves the verified archive to its place in the cache (a rename), after
    /// checking again that the staged file is what was verified.
    private func commit(_ staged: Staged, as tool: PinnedTool) async throws {
        let script = #"""
            set -euo pipefail
            umask 077
            stage=$1 sha=$2 name=$3
            cache="$HOME/.hpcs-job/tools"
            [[ $stage == "$cache/.pin."* && $name != */* ]] || exit 9
            printf '%s  %s\n' "$sha" "$stage/archive" | sha256sum --quiet -c - >/dev/null 2>&1 || { echo changed; exit 6; }
            mkdir -p "$cache/$sha"
            chmod 0700 "$cache/$sha"
            mv -f -- "$stage/archive" "$cache/$sha/$name"
            rm -rf -- "$stage"
            """#
        let result = try await host.run(["bash", "-c", script, "hpcs-job", staged.directory, tool.sha256, tool.archiveName])
        guard result.status.succeeded else {
            await discard(staged)
            throw Failure(tool: tool.name, reason: "cannot store it in ~/\(ToolManifest.cacheDirectory): \(result.stdoutText)\(result.stderrText)",
                          fix: nil)
        }
    }

    func discard(_ staged: Staged) async {
        _ = try? await host.run(["bash", "-c", #"[[ $1 == "$HOME/.hpcs-job/tools/.pin."* ]] && rm -rf -- "$1""#, "hpcs-job", staged.directory])
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
