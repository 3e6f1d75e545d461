import Foundation

/// The HPCS client configuration (INI): `[spire-server]`, `[hpcs-server]`,
/// `[vault]`, `[supercomputer]`, all required, plus our optional
/// `[supercomputer]` keys `port`, `identity-file`, `known-hosts` and
/// `[spire-server] trust-bundle`.
///
///     let config = try HPCSConfig.load(path: "hpcs-client.conf")
///     config.supercomputer.address   // "lumi.csc.fi"
public struct HPCSConfig: Sendable, Equatable, Codable {
    public struct SpireServer: Sendable, Equatable, Codable {
        public var address: String
        public var port: Int
        public var trustDomain: String
        /// The SPIRE server's CA bundle (PEM) on this machine, uploaded with
        /// each job so its agent bootstraps securely.
        public var trustBundle: String?
        /// `insecure-bootstrap = yes`: without a trust bundle, the user chose
        /// to let the agent trust the first server it reaches. Never implied.
        public var insecureBootstrap = false

        public init(address: String, port: Int, trustDomain: String, trustBundle: String? = nil) {
            self.address = address
            self.port = port
            self.trustDomain = trustDomain
            self.trustBundle = trustBundle
        }
    }

    public struct Supercomputer: Sendable, Equatable, Codable {
        public var address: String
        public var username: String
        public var port: Int?
        public var identityFile: String?
        public var knownHosts: String?
    }

    public var path: String
    public var spireServer: SpireServer
    public var hpcsServerURL: String
    public var vaultURL: String
    public var supercomputer: Supercomputer

    static let required: [(section: String, keys: [String])] = [
        ("spire-server", ["address", "port", "trust-domain"]),
        ("hpcs-server", ["url"]),
        ("vault", ["url"]),
        ("supercomputer", ["address", "username"]),
    ]

    public static func load(path: String) throws -> HPCSConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PreparationError(.config, file: path, "cannot read the HPCS client configuration",
                                   fix: "check the path given with --config")
        }
        return try parse(String(decoding: data, as: UTF8.self), path: path)
    }

    public static func parse(_ text: String, path: String) throws -> HPCSConfig {
        let ini = try INIFile(text: text, path: path)
        for (section, keys) in required {
            guard ini.sections[section] != nil else {
                throw PreparationError(.config, file: path, field: "[\(section)]", "section is missing",
                                       fix: "add a [\(section)] section with \(keys.joined(separator: ", "))")
            }
            for key in keys where (ini.sections[section]?[key]?.value ?? "").isEmpty {
                throw PreparationError(.config, file: path, line: ini.sections[section]?[key]?.line,
                                       field: "[\(section)] \(key)", "required key is missing or empty",
                                       fix: "add `\(key) = …` under [\(section)]")
            }
        }
        func value(_ section: String, _ key: String) -> String { ini.sections[section]?[key]?.value ?? "" }
        func integer(_ section: String, _ key: String) throws -> Int? {
            guard let entry = ini.sections[section]?[key] else { return nil }
            guard let number = Int(entry.value), (1...65535).contains(number) else {
                throw PreparationError(.config, file: path, line: entry.line, field: "[\(section)] \(key)",
                                       "'\(entry.value)' is not a port number", fix: "use a number from 1 to 65535")
            }
            return number
        }
        let trustDomain = value("spire-server", "trust-domain")
        guard trustDomain.allSatisfy({ $0.isLetter || $0.isNumber || "-._".contains($0) }), trustDomain.allSatisfy(\.isASCII) else {
            throw PreparationError(.config, file: path, line: ini.sections["spire-server"]?["trust-domain"]?.line,
                                   field: "[spire-server] trust-domain", "'\(trustDomain)' is not a SPIFFE trust domain",
                                   fix: "use letters, digits, '.', '-' and '_' only (e.g. hpcs.example.org)")
        }
        // Names that reach ssh (a ProxyCommand's shell, known_hosts), the job
        // and the file it reads: names as OpenSSH 9.6 accepts them, nothing else.
        for (section, key) in [("spire-server", "address"), ("supercomputer", "address"), ("supercomputer", "username")] {
            guard let entry = ini.sections[section]?[key] else { continue }
            let isUser = key == "username"
            guard isUser ? LoginNames.isValidUser(entry.value) : LoginNames.isValidHost(entry.value) else {
                throw PreparationError(.config, file: path, line: entry.line, field: "[\(section)] \(key)",
                                       "'\(LoginNames.visible(entry.value))' is not a \(isUser ? "user name" : "host name")",
                                       fix: isUser ? "use letters, digits, '.', '-', '_' and '@' only"
                                           : "use letters, digits, '.', '-' and '_' only, or an IPv6 address (ssh_config's Host can map a name to another)")
            }
        }
        for (section, key) in [("hpcs-server", "url"), ("vault", "url")] {
            let url = value(section, key)
            let line = ini.sections[section]?[key]?.line
            guard url.hasPrefix("http://") || url.hasPrefix("https://"),
                  !url.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) else {
                throw PreparationError(.config, file: path, line: line, field: "[\(section)] \(key)",
                                       "'\(url)' is not an http(s) URL", fix: "write it as https://host[:port]")
            }
            // The job sends Vault logins and reads keys there: in clear text only to this machine.
            if url.hasPrefix("http://"), !isLoopback(URLComponents(string: url)?.host) {
                throw PreparationError(.config, file: path, line: line, field: "[\(section)] \(key)",
                                       "'\(url)' is plain HTTP to another machine; tokens and keys would cross the network unencrypted",
                                       fix: "use https:// (plain http is accepted only for 127.0.0.1, ::1 and localhost)")
            }
        }
        var spire = SpireServer(address: value("spire-server", "address"), port: try integer("spire-server", "port") ?? 0,
                                trustDomain: trustDomain,
                                trustBundle: ini.sections["spire-server"]?["trust-bundle"].map { relative(expandHome($0.value), to: path) })
        if let entry = ini.sections["spire-server"]?["insecure-bootstrap"] {
            switch entry.value.lowercased() {
            case "yes", "true": spire.insecureBootstrap = true
            case "no", "false": spire.insecureBootstrap = false
            default:
                throw PreparationError(.config, file: path, line: entry.line, field: "[spire-server] insecure-bootstrap",
                                       "'\(entry.value.prefix(40))' is neither yes nor no", fix: "write yes or no (no is the default)")
            }
        }
        return HPCSConfig(
            path: path,
            spireServer: spire,
            hpcsServerURL: value("hpcs-server", "url"),
            vaultURL: value("vault", "url"),
            supercomputer: Supercomputer(address: value("supercomputer", "address"),
                                         username: value("supercomputer", "username"),
                                         port: try integer("supercomputer", "port"),
                                         identityFile: ini.sections["supercomputer"]?["identity-file"].map { expandHome($0.value) },
                                         knownHosts: ini.sections["supercomputer"]?["known-hosts"].map { expandHome($0.value) }))
    }

    public static func isLoopback(_ host: String?) -> Bool {
        guard let host = host?.lowercased() else { return false }
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// The file the job reads on the compute node: the four HPCS sections
    /// and nothing local (no key or known_hosts paths).
    public var remoteText: String {
        """
        [spire-server]
        address = \(spireServer.address)
        port = \(spireServer.port)
        trust-domain = \(spireServer.trustDomain)

        [hpcs-server]
        url = \(hpcsServerURL)

        [vault]
        url = \(vaultURL)

        [supercomputer]
        address = \(supercomputer.address)
        username = \(supercomputer.username)

        """
    }

    /// A path relative to the config file's folder, as the user wrote it beside it.
    static func relative(_ file: String, to configPath: String) -> String {
        file.hasPrefix("/") ? file : ((configPath as NSString).deletingLastPathComponent as NSString).appendingPathComponent(file)
    }

    /// Why a job from this config would start its SPIRE agent without a way
    /// to know the server (no trust bundle, no explicit opt-in), or nil.
    public var bootstrapProblem: PreparationError? {
        guard spireServer.trustBundle == nil, !spireServer.insecureBootstrap else { return nil }
        return PreparationError(.config, file: path, field: "[spire-server] trust-bundle",
                                "no trust bundle: the job's SPIRE agent would trust whichever server it reaches first, and whoever is "
                                    + "on the network between the compute node and the SPIRE server could take its join token and the SVIDs that open the keys",
                                fix: "name the SPIRE server's CA bundle as trust-bundle = FILE (your site publishes it), or, knowingly, "
                                    + "insecure-bootstrap = yes under [spire-server]")
    }

    /// The trust bundle's PEM text, checked to hold a certificate; nil when none is named.
    public func readTrustBundle() throws -> Data? {
        guard let file = spireServer.trustBundle else { return nil }
        let field = "[spire-server] trust-bundle"
        guard let data = FileManager.default.contents(atPath: file), data.count <= 1 << 20 else {
            throw PreparationError(.config, file: path, field: field, "cannot read the trust bundle \(file)",
                                   fix: "name the SPIRE server's CA bundle (PEM), as your site publishes it, or remove the key")
        }
        guard String(decoding: data, as: UTF8.self).contains("-----BEGIN CERTIFICATE-----") else {
            throw PreparationError(.config, file: path, field: field, "\(file) holds no PEM certificate",
                                   fix: "name the SPIRE server's CA bundle (PEM: -----BEGIN CERTIFICATE-----)")
        }
        return data
    }

    static func expandHome(_ path: String) -> String {
        guard path.hasPrefix("~/") else { return path }
        return (ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()) + path.dropFirst()
    }
}

/// A small INI reader: `[section]`, `key = value` or `key: value`, `#`/`;` comments.
struct INIFile {
    struct Entry { let value: String; let line: Int }
    var sections: [String: [String: Entry]] = [:]

    /// Accepts what Python's configparser (the reference client's) accepts
    /// here: a UTF-8 byte-order mark, and CRLF line endings (in Swift "\r\n"
    /// is one Character, so lines are split on any newline).
    init(text: String, path: String) throws {
        var current: String?
        let body = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        for (index, raw) in body.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\r")))
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else {
                    throw PreparationError(.config, file: path, line: index + 1, "malformed section header '\(line)'",
                                           fix: "write it as [section-name]")
                }
                let name = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                current = name
                sections[name, default: [:]] = sections[name] ?? [:]
                continue
            }
            guard let separator = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
                throw PreparationError(.config, file: path, line: index + 1, "expected `key = value`, found '\(line)'")
            }
            guard let section = current else {
                throw PreparationError(.config, file: path, line: index + 1, "key outside any section",
                                       fix: "put it under a [section] header")
            }
            let key = line[..<separator].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: separator)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, (value.hasPrefix("\"") && value.hasSuffix("\"")) || (value.hasPrefix("'") && value.hasSuffix("'")) {
                value = String(value.dropFirst().dropLast())
            }
            sections[section, default: [:]][key] = Entry(value: value, line: index + 1)
        }
    }
}

import SecureShell

extension HPCSConfig {
    /// SSH settings for the login node: this config's values over ~/.ssh/config.
    public func connectionSettings(sshConfig: SSHConfigFile? = nil) -> ConnectionSettings {
        ConnectionSettings.resolve(alias: supercomputer.address, user: supercomputer.username, port: supercomputer.port,
                                   identityFile: supercomputer.identityFile, knownHosts: supercomputer.knownHosts,
                                   sshConfig: sshConfig)
    }
}
