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
        self.init(text: text, includeBase: ConnectionSettings.home + "/.ssh", depth: 0)
    }

    /// `includeBase` resolves relative `Include` paths (~/.ssh for the
    /// user's file, /etc/ssh for the system's); included files are read in
    /// place, in glob order, at most 16 deep.
    init(text: String, includeBase: String, depth: Int) {
        var blocks = [Block(patterns: ["*"], options: [])]
        var skipping = false
        for rawLine in Self.expandIncludes(text, base: includeBase, depth: depth) {
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
        let base = path.hasPrefix("/etc/ssh/") ? "/etc/ssh" : ConnectionSettings.home + "/.ssh"
        return SSHConfigFile(text: String(decoding: data, as: UTF8.self), includeBase: base, depth: 0)
    }

    /// The file's lines with every `Include` replaced by the files it names.
    static func expandIncludes(_ text: String, base: String, depth: Int) -> [Substring] {
        var lines: [Substring] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            let (key, value) = split(trimmed)
            guard key == "include", depth < 16 else {
                if key != "include" { lines.append(line) }
                continue
            }
            for pattern in value.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                var path = String(pattern)
                if path.hasPrefix("~/") { path = ConnectionSettings.home + path.dropFirst() }
                if !path.hasPrefix("/") { path = base + "/" + path }
                for file in globbed(path) {
                    guard let data = readIncludedFile(file) else { continue }
                    lines += expandIncludes(String(decoding: data, as: UTF8.self), base: base, depth: depth + 1)
                }
            }
        }
        return lines
    }

    /// A regular file of at most 1 MiB ("Include /dev/zero" must not hang),
    /// read with plain POSIX calls.
    static func readIncludedFile(_ path: String) -> Data? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size <= 1 << 20 else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var total = 0
        while total < bytes.count {
            let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress.map { $0 + total }, $0.count - total) }
            guard count > 0 else { break }
            total += count
        }
        return Data(bytes.prefix(total))
    }

    /// Files matching a glob pattern, sorted, as OpenSSH reads them.
    static func globbed(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { result.gl_pathv[$0].map { String(cString: $0) } }.sorted()
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
                case "proxycommand": result.proxyCommand = result.proxyCommand ?? value
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
    public var proxyCommand: String?
}
