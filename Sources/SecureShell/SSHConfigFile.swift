import Foundation

/// The parts of OpenSSH's `~/.ssh/config` that hpcs-job honours: `Host`
/// blocks with patterns, `HostName`, `User`, `Port`, `IdentityFile`,
/// `IdentitiesOnly`, `UserKnownHostsFile`, `ConnectTimeout`,
/// `ServerAliveInterval`, `ServerAliveCountMax`, `ProxyJump`. Unknown
/// directives are ignored; `Match` blocks are skipped. As in OpenSSH the
/// first value obtained for a directive wins (IdentityFile accumulates).
public struct SSHConfigFile: Sendable {
    struct Block: Sendable {
        var patterns: [String]
        var options: [(key: String, value: String)]
    }

    var blocks: [Block]

    public init(text: String) {
        var blocks = [Block(patterns: ["*"], options: [])]
        var skipping = false
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            let (key, value) = Self.split(line)
            switch key {
            case "host":
                skipping = false
                blocks.append(Block(patterns: value.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init),
                                    options: []))
            case "match":
                skipping = true
            default:
                if !skipping { blocks[blocks.count - 1].options.append((key, value)) }
            }
        }
        self.blocks = blocks
    }

    /// Reads a file; a missing file is an empty configuration.
    public static func load(path: String) -> SSHConfigFile {
        guard let data = FileManager.default.contents(atPath: path) else { return SSHConfigFile(text: "") }
        return SSHConfigFile(text: String(decoding: data, as: UTF8.self))
    }

    static func split(_ line: String) -> (String, String) {
        let separators: Set<Character> = [" ", "\t", "="]
        guard let end = line.firstIndex(where: { separators.contains($0) }) else { return (line.lowercased(), "") }
        let key = line[..<end].lowercased()
        var rest = line[end...].drop(while: { separators.contains($0) })
        if rest.hasPrefix("\""), rest.hasSuffix("\""), rest.count >= 2 { rest = rest.dropFirst().dropLast() }
        return (key, String(rest))
    }

    /// What the file says for an alias, first value wins.
    public func resolve(alias: String) -> ResolvedHost {
        var result = ResolvedHost()
        for block in blocks where Self.block(block.patterns, matches: alias) {
            for (key, value) in block.options {
                switch key {
                case "hostname": result.hostName = result.hostName ?? value
                case "user": result.user = result.user ?? value
                case "port": result.port = result.port ?? Int(value)
                case "identityfile": result.identityFiles.append(value)
                case "identitiesonly": result.identitiesOnly = result.identitiesOnly ?? (value.lowercased() == "yes")
                case "userknownhostsfile":
                    if result.knownHostsFiles.isEmpty {
                        result.knownHostsFiles = value.split(separator: " ").map(String.init)
                    }
                case "connecttimeout": result.connectTimeout = result.connectTimeout ?? Int(value)
                case "serveraliveinterval": result.serverAliveInterval = result.serverAliveInterval ?? Int(value)
                case "serveralivecountmax": result.serverAliveCountMax = result.serverAliveCountMax ?? Int(value)
                case "proxyjump": result.proxyJump = result.proxyJump ?? value
                default: continue // unknown directives are not fatal
                }
            }
        }
        return result
    }

    static func block(_ patterns: [String], matches alias: String) -> Bool {
        var matched = false
        for pattern in patterns {
            if pattern.hasPrefix("!") {
                if Glob.matches(String(pattern.dropFirst()), alias) { return false }
            } else if Glob.matches(pattern, alias) {
                matched = true
            }
        }
        return matched
    }
}

/// Options for one alias as ~/.ssh/config gives them (all optional).
public struct ResolvedHost: Sendable, Equatable {
    public var hostName: String?
    public var user: String?
    public var port: Int?
    public var identityFiles: [String] = []
    public var identitiesOnly: Bool?
    public var knownHostsFiles: [String] = []
    public var connectTimeout: Int?
    public var serverAliveInterval: Int?
    public var serverAliveCountMax: Int?
    public var proxyJump: String?
}
