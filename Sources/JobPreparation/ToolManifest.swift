import AgeCrypto
import Foundation
import SecureShell

/// A tool the job needs, pinned by the user: the release archive at `url`
/// whose SHA-256 is `sha256`, and the tool's path inside it (`member`).
/// The archive is cached on the cluster at
/// `~/.hpcs-job/tools/<sha256>/<archive file name>`.
public struct PinnedTool: Sendable, Equatable, Codable {
    public var name: String
    public var version: String
    public var sha256: String
    public var url: String
    public var member: String

    public init(name: String, version: String, sha256: String, url: String, member: String) {
        self.name = name
        self.version = version
        self.sha256 = sha256
        self.url = url
        self.member = member
    }

    /// The archive's file name (the URL's last component).
    public var archiveName: String { url.split(separator: "/").last.map(String.init) ?? url }

    /// The cached archive, relative to the home directory on the cluster.
    public var cachePath: String { "\(ToolManifest.cacheDirectory)/\(sha256)/\(archiveName)" }
}

/// `$XDG_CONFIG_HOME/hpcs-job/tools/USER@HOST:PORT.manifest`, one per login
/// node (its cache is in that cluster's home, its archives for that
/// cluster's architecture): one pinned tool per line,
/// `name version sha256 url member`, `#` comments. Uploaded with every job
/// to that cluster, which reads it with awk: every field is one plain word.
public struct ToolManifest: Sendable, Equatable {
    public static let cacheDirectory = ".hpcs-job/tools"
    public var tools: [PinnedTool]

    public init(tools: [PinnedTool] = []) { self.tools = tools }

    public subscript(name: String) -> PinnedTool? { tools.first { $0.name == name } }

    /// Adds or replaces the tool of that name.
    public mutating func pin(_ tool: PinnedTool) {
        if let index = tools.firstIndex(where: { $0.name == tool.name }) { tools[index] = tool } else { tools.append(tool) }
    }

    public static func parse(_ text: String, path: String) throws -> ToolManifest {
        var manifest = ToolManifest()
        for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.count == 5 else {
                throw PreparationError(.config, file: path, line: index + 1,
                                       "expected `name version sha256 url member`, found \(fields.count) field(s)",
                                       fix: "run `hpcs-job tools pin` to write the file again")
            }
            let tool = PinnedTool(name: fields[0], version: fields[1], sha256: fields[2], url: fields[3], member: fields[4])
            if let problem = problem(tool) {
                throw PreparationError(.config, file: path, line: index + 1, field: tool.name, problem,
                                       fix: "run `hpcs-job tools pin` to write the file again")
            }
            guard manifest[tool.name] == nil else {
                throw PreparationError(.config, file: path, line: index + 1, field: tool.name, "pinned twice",
                                       fix: "keep one line per tool")
            }
            manifest.tools.append(tool)
        }
        return manifest
    }

    /// What is wrong with a tool's fields, if anything: each must be a word
    /// the job can use as it is (no spaces, quotes, controls or `..`).
    public static func problem(_ tool: PinnedTool) -> String? {
        func plain(_ text: String, extra: String = "") -> Bool {
            !text.isEmpty && text.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "._-+".unicodeScalars.contains($0)
                    || extra.unicodeScalars.contains($0)
            }
        }
        if !plain(tool.name) { return "'\(tool.name)' is not a tool name" }
        if !plain(tool.version) { return "version '\(tool.version)' is not one plain word" }
        if tool.sha256.count != 64 || !tool.sha256.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) {
            return "'\(tool.sha256)' is not a SHA-256 (64 lower-case hex digits)"
        }
        if !(tool.url.hasPrefix("https://") || tool.url.hasPrefix("http://")) || !plain(tool.url, extra: ":/?=&%~")
            || tool.url.hasSuffix("/") {
            return "'\(tool.url)' is not an http(s) URL of a file"
        }
        if !plain(tool.member, extra: "/") || tool.member.hasPrefix("/") || tool.member.contains("..") {
            return "'\(tool.member)' is not a relative path inside the archive"
        }
        return nil
    }

    public var text: String {
        "# hpcs-job tools: name version sha256 url member (written by `hpcs-job tools pin`)\n"
            + tools.map { "\($0.name) \($0.version) \($0.sha256) \($0.url) \($0.member)\n" }.joined()
    }

    /// The cluster's manifest; without one, the single manifest written
    /// before they were per cluster; nil when nothing was pinned.
    public static func load(_ paths: LocalPaths, cluster: ConnectionSettings) throws -> ToolManifest? {
        let own = paths.toolsManifest(for: cluster)
        return try load(FileManager.default.fileExists(atPath: own.path) ? own : paths.legacyToolsManifest)
    }

    static func load(_ url: URL) throws -> ToolManifest? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        guard let data = FileManager.default.contents(atPath: url.path), data.count <= 1 << 20 else {
            throw PreparationError(.config, file: url.path, "cannot read the pinned tools",
                                   fix: "check the file's permissions, or remove it and run `hpcs-job tools pin`")
        }
        return try parse(String(decoding: data, as: UTF8.self), path: url.path)
    }

    /// Writes the cluster's manifest atomically (0600, in 0700 folders).
    public func save(_ paths: LocalPaths, cluster: ConnectionSettings) throws {
        let url = paths.toolsManifest(for: cluster)
        try LocalPaths.ensurePrivateDirectory(paths.configHome)
        try LocalPaths.ensurePrivateDirectory(url.deletingLastPathComponent())
        try SecureFile.writeAtomically(Data(text.utf8), to: url)
    }
}

/// A tool's upstream release: where its project publishes the archive for
/// an architecture, the tool's path inside, and the project's checksum
/// file when it publishes one.
public struct ToolRelease: Sendable, Equatable {
    public let name: String
    public let version: String
    /// Path under the release host (`https://github.com` or a mirror), `{arch}` replaced.
    let archivePath: String
    let checksumsPath: String?
    let memberPath: String

    /// The tools an HPCS job downloads. age and gocryptfs publish no
    /// checksum file (the user confirms the SHA-256); SPIRE does.
    public static let catalogue: [ToolRelease] = [
        ToolRelease(name: "age", version: "1.1.1",
                    archivePath: "/FiloSottile/age/releases/download/v1.1.1/age-v1.1.1-linux-{arch}.tar.gz",
                    checksumsPath: nil, memberPath: "age/age"),
        ToolRelease(name: "gocryptfs", version: "2.4.0",
                    archivePath: "/rfjakob/gocryptfs/releases/download/v2.4.0/gocryptfs_v2.4.0_linux-static_{arch}.tar.gz",
                    checksumsPath: nil, memberPath: "gocryptfs"),
        ToolRelease(name: "spire-agent", version: "1.12.6",
                    archivePath: "/spiffe/spire/releases/download/v1.12.6/spire-1.12.6-linux-{arch}-musl.tar.gz",
                    checksumsPath: "/spiffe/spire/releases/download/v1.12.6/spire-1.12.6-linux-{arch}-musl_sha256sum.txt",
                    memberPath: "spire-1.12.6/bin/spire-agent"),
    ]

    public static let upstream = "https://github.com"

    public func archiveURL(base: String = upstream, arch: String) -> String {
        trimmed(base) + archivePath.replacingOccurrences(of: "{arch}", with: arch)
    }

    public func checksumsURL(base: String = upstream, arch: String) -> String? {
        checksumsPath.map { trimmed(base) + $0.replacingOccurrences(of: "{arch}", with: arch) }
    }

    public var member: String { memberPath }

    private func trimmed(_ base: String) -> String { base.hasSuffix("/") ? String(base.dropLast()) : base }

    /// Release archives' name for a machine (`uname -m`, Slurm's Arch).
    public static func releaseArchitecture(_ machine: String) -> String? {
        switch machine {
        case "x86_64", "amd64": "amd64"
        case "aarch64", "arm64": "arm64"
        default: nil
        }
    }
}

extension LocalPaths {
    /// A login node's pinned tools: `tools/USER@HOST:PORT.manifest` (any
    /// character outside letters, digits and `.@:-` a `_`).
    public func toolsManifest(for cluster: ConnectionSettings) -> URL {
        configHome.appendingPathComponent("tools").appendingPathComponent(cluster.cluster.fileName + ".manifest")
    }

    /// The one manifest of versions before manifests were per cluster: read
    /// for a cluster without its own, never written.
    public var legacyToolsManifest: URL { configHome.appendingPathComponent("tools.manifest") }
}
