import Foundation

/// Coordinates of the loopback HPC site brought up by `Scripts/local-site up`,
/// read from `.local-site/site.env` of this checkout.
///
/// Tests that need the site are gated with ``LocalSite/isExpected``: they run
/// whenever the site is up, and also under CI (`CI=true` or
/// `HPCS_REQUIRE_SITE=1`), where a missing site is a failure, never a skip.
public struct LocalSite: Sendable {
    public let values: [String: String]

    public static let repositoryRoot: URL = {
        // Tests/SiteTestSupport/LocalSite.swift → repository root
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }()

    public static var envFile: URL { repositoryRoot.appendingPathComponent(".local-site/site.env") }

    public static let howToStart = "the local site is not up: run `Scripts/local-site up` as root (or `Scripts/test`)"

    /// True when site tests should run: the site is up, or CI demands it.
    public static var isExpected: Bool {
        let env = ProcessInfo.processInfo.environment
        if env["CI"] == "true" || env["HPCS_REQUIRE_SITE"] == "1" { return true }
        return FileManager.default.fileExists(atPath: envFile.path)
    }

    /// A current TOTP code for the two-factor login node (codes may be reused within their window).
    public func oneTimeCode() throws -> String {
        try Tool.run("/usr/bin/oathtool", ["--totp", "-b", self["HPCS_SITE_TOTP_SECRET"]]).out
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// True where nothing may be skipped (Scripts/test, CI).
    public static var isRequired: Bool {
        let env = ProcessInfo.processInfo.environment
        return env["CI"] == "true" || env["HPCS_REQUIRE_SITE"] == "1"
    }

    public struct NotUp: Error, CustomStringConvertible {
        public var description: String { LocalSite.howToStart }
    }

    /// The running site, or an error telling how to bring it up.
    public static func require() throws -> LocalSite {
        guard let text = try? String(contentsOf: envFile, encoding: .utf8) else { throw NotUp() }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            var value = String(line[line.index(after: eq)...])
            if value.hasPrefix("'"), value.hasSuffix("'"), value.count >= 2 {
                value = String(value.dropFirst().dropLast())
            }
            values[String(line[..<eq])] = value
        }
        return LocalSite(values: values)
    }

    public subscript(_ key: String) -> String { values[key] ?? "" }

    public var host: String { self["HPCS_SITE_HOST"] }
    public var port: Int { Int(self["HPCS_SITE_SSH_PORT"]) ?? 2222 }
    public var user: String { self["HPCS_SITE_USER"] }
    public var identity: String { self["HPCS_SITE_IDENTITY"] }
    public var knownHosts: String { self["HPCS_SITE_KNOWN_HOSTS"] }
    public var password: String { self["HPCS_SITE_PASSWORD"] }
    public var config: String { self["HPCS_SITE_CONFIG"] }
    public var appInfo: String { self["HPCS_SITE_APP_INFO"] }
    public var dataInfo: String { self["HPCS_SITE_DATA_INFO"] }
    public var workdir: String { self["HPCS_SITE_WORKDIR"] }
    public var partition: String { self["HPCS_SITE_PARTITION"] }
    public var node: String { self["HPCS_SITE_NODE"] }
    public var account: String { self["HPCS_SITE_ACCOUNT"] }
    public var slurmConf: String { self["HPCS_SITE_SLURM_CONF"] }

    /// Kills the login node's processes serving the TCP connection whose
    /// client side is `localPort` (a dropped connection, for tests).
    public func killServerSide(ofLocalPort localPort: Int) throws {
        // sshd may fork the session's child between listing and killing:
        // repeat until nothing holds the connection any more.
        for _ in 0..<50 {
            guard try !signalServerSide(ofLocalPort: localPort, signal: "KILL").isEmpty else { return }
            usleep(20_000)
        }
    }

    /// Sends `signal` (KILL, STOP, CONT) to the login node's processes
    /// serving the connection from `localPort`; STOP makes a silent peer.
    /// Returns the processes signalled.
    @discardableResult
    public func signalServerSide(ofLocalPort localPort: Int, signal: String) throws -> Set<String> {
        let listing = try Tool.run("/usr/bin/ss", ["-Htnp", "state", "established", "( sport = :\(port) and dport = :\(localPort) )"])
        let pids = Set(listing.out.matches(of: /pid=(\d+)/).map { String($0.1) })
        for pid in pids { _ = try Tool.run("/bin/kill", ["-\(signal)", pid]) }
        return pids
    }

    /// Runs a command on the login node with OpenSSH's own client, strict
    /// host-key checking on; for test setup and cross-checks only.
    public func openSSH(_ remoteCommand: String, stdin: Data? = nil) throws -> ToolResult {
        try Tool.run("/usr/bin/ssh", [
            "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
            "-o", "UserKnownHostsFile=\(knownHosts)", "-o", "IdentitiesOnly=yes",
            "-i", identity, "-p", String(port), "\(user)@\(host)", remoteCommand,
        ], stdin: stdin)
    }
}

/// Runs `connect` again (three tries, a second apart) when sshd dropped the
/// connection before its banner: seen only with the whole suite's parallel
/// connections on two cores, and not what the tests using it are about.
public func retryingADroppedHandshake<T>(_ connect: () async throws -> T) async throws -> T {
    for _ in 1..<3 {
        do { return try await connect() } catch where "\(error)".contains("Failed getting banner") {
            try await Task.sleep(for: .seconds(1))
        }
    }
    return try await connect()
}
