import Foundation

/// The parts of OpenSSH's ssh_config that hpcs-job honours: `Host` blocks
/// with patterns and negation, `Match` on `all`, `host`, `originalhost`,
/// `user` and `localuser` (other criteria: the block is skipped, with a
/// warning), `Include`, and the directives `ResolvedHost` lists. Unknown
/// directives are ignored. As in OpenSSH the first value obtained for a
/// directive wins (IdentityFile accumulates).
public struct SSHConfigFile: Sendable {
    /// Options under conditions: a `Host` pattern list or `Match` criteria,
    /// plus those of the blocks around the `Include` that read this one.
    struct Block: Sendable {
        var conditions: [Condition]
        var options: [(key: String, value: String)] = []
    }

    enum Condition: Sendable {
        case host([String])
        case match([MatchCriterion])
    }

    struct MatchCriterion: Sendable {
        enum Kind: String, Sendable { case all, host, originalhost, user, localuser }
        var kind: Kind?
        var negated: Bool
        var patterns: String
    }

    var blocks: [Block] = []
    /// What the files say that hpcs-job cannot honour, one line each.
    public private(set) var warnings: [String] = []

    public init(text: String) {
        self.init(text: text, includeBase: ConnectionSettings.home + "/.ssh", depth: 0)
    }

    /// `includeBase` resolves relative `Include` paths (~/.ssh for the
    /// user's file, /etc/ssh for the system's).
    init(text: String, includeBase: String, depth: Int) {
        parse(text, base: includeBase, depth: depth, enclosing: [])
    }

    /// Several files read as one, in order (the user's, then the system's).
    public init(combining files: [SSHConfigFile]) {
        blocks = files.flatMap(\.blocks)
        warnings = files.flatMap(\.warnings)
    }

    /// Files and bytes all of a file's Includes may read, together.
    static let includeLimit = (files: 256, bytes: 1 << 20, attempts: 1024)
    private var includeAttempts = 0
    private var includedFiles = 0
    private var includedBytes = 0
    private var includeBudgetSpent = false

    /// Reads a file's lines into blocks. An `Include` is read in place, in
    /// glob order, at most 16 deep, under the conditions of the block it
    /// sits in (so an Include inside a Host block that does not apply reads
    /// nothing that applies); after it, that block goes on.
    private mutating func parse(_ text: String, base: String, depth: Int, enclosing: [Condition]) {
        var current = Block(conditions: enclosing)
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            let (key, value) = Self.split(line)
            switch key {
            case "host":
                blocks.append(current)
                current = Block(conditions: enclosing + [.host(value.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init))])
            case "match":
                let criteria = Self.parseMatch(value)
                for criterion in criteria where criterion.kind == nil {
                    warnings.append("ssh_config: 'Match \(criterion.patterns)' is not supported by hpcs-job; that Match block is skipped")
                }
                blocks.append(current)
                current = Block(conditions: enclosing + [.match(criteria)])
            case "include":
                guard depth < 16 else { continue }
                blocks.append(current)
                for pattern in value.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                    var path = String(pattern)
                    if path.hasPrefix("~/") { path = ConnectionSettings.home + path.dropFirst() }
                    if !path.hasPrefix("/") { path = base + "/" + path }
                    // A budget, so `Include /*/*` cannot have the app read the whole disk:
                    // files read, bytes, and paths tried (directories and devices included).
                    for file in includeBudgetSpent ? [] : Self.globbed(path) {
                        includeAttempts += 1
                        guard includedFiles < Self.includeLimit.files, includedBytes < Self.includeLimit.bytes,
                              includeAttempts <= Self.includeLimit.attempts else {
                            if !includeBudgetSpent {
                                includeBudgetSpent = true
                                warnings.append("ssh_config: Include matched more than \(Self.includeLimit.files) files or "
                                                + "\(Self.includeLimit.bytes >> 20) MiB; the rest are skipped")
                            }
                            break
                        }
                        guard let data = Self.readIncludedFile(file) else { continue }
                        includedFiles += 1
                        includedBytes += data.count
                        parse(String(decoding: data, as: UTF8.self), base: base, depth: depth + 1, enclosing: current.conditions)
                    }
                }
                current = Block(conditions: current.conditions)
            default:
                current.options.append((key, value))
            }
        }
        blocks.append(current)
    }

    /// `Match` arguments: criteria, each with its pattern list; `!` negates.
    /// An unsupported criterion is kept with no kind: it never holds.
    static func parseMatch(_ text: String) -> [MatchCriterion] {
        var words = ShellLikeWords.split(text)[...]
        var criteria: [MatchCriterion] = []
        while let word = words.popFirst() {
            let negated = word.hasPrefix("!")
            let name = (negated ? String(word.dropFirst()) : word).lowercased()
            switch name {
            case "all": criteria.append(MatchCriterion(kind: .all, negated: negated, patterns: ""))
            case "host", "originalhost", "user", "localuser":
                criteria.append(MatchCriterion(kind: MatchCriterion.Kind(rawValue: name), negated: negated, patterns: words.popFirst() ?? ""))
            case "canonical", "final":
                criteria.append(MatchCriterion(kind: nil, negated: negated, patterns: name))
            default:
                criteria.append(MatchCriterion(kind: nil, negated: negated, patterns: ([name] + [words.popFirst()].compactMap { $0 }).joined(separator: " ")))
            }
        }
        return criteria
    }

    /// Reads a file; a missing file is an empty configuration.
    public static func load(path: String) -> SSHConfigFile {
        guard let data = FileManager.default.contents(atPath: path) else { return SSHConfigFile(text: "") }
        let base = path.hasPrefix("/etc/ssh/") ? "/etc/ssh" : ConnectionSettings.home + "/.ssh"
        return SSHConfigFile(text: String(decoding: data, as: UTF8.self), includeBase: base, depth: 0)
    }

    /// A regular file of at most 1 MiB ("Include /dev/zero" must not hang),
    /// read with plain POSIX calls.
    static func readIncludedFile(_ path: String) -> Data? {
        // Only a regular file is opened at all: opening a device can act
        // (a watchdog arms, a tape rewinds). Checked again once open.
        var before = stat()
        guard stat(path, &before) == 0, (before.st_mode & S_IFMT) == S_IFREG else { return nil }
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

    /// What the file says for an alias, first value wins. Blocks are taken in
    /// order, so `Match host` and `Match user` see the values set above them;
    /// `user` is the remote user given outside the file, if any.
    public func resolve(alias: String, user: String? = nil) -> ResolvedHost {
        var result = ResolvedHost()
        let localUser = ProcessInfo.processInfo.environment["USER"] ?? NSUserName()
        for block in blocks where !block.options.isEmpty {
            let host = result.hostName.map { ConnectionSettings.expand($0, alias: alias) } ?? alias
            let context = (host: host, original: alias, user: user ?? result.user ?? localUser, localUser: localUser)
            let applies = block.conditions.allSatisfy { condition in
                switch condition {
                case let .host(patterns): return Self.block(patterns, matches: alias)
                case let .match(criteria): return !criteria.isEmpty && criteria.allSatisfy { Self.holds($0, context) }
                }
            }
            guard applies else { continue }
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
                case "hostkeyalias": result.hostKeyAlias = result.hostKeyAlias ?? value
                case "globalknownhostsfile":
                    if result.globalKnownHostsFiles == nil { result.globalKnownHostsFiles = value.split(separator: " ").map(String.init) }
                case "stricthostkeychecking": result.strictHostKeyChecking = result.strictHostKeyChecking ?? value.lowercased()
                case "hashknownhosts": result.hashKnownHosts = result.hashKnownHosts ?? (value.lowercased() == "yes")
                default: continue // unknown directives are not fatal
                }
            }
        }
        return result
    }

    static func holds(_ criterion: MatchCriterion, _ context: (host: String, original: String, user: String, localUser: String)) -> Bool {
        let result: Bool
        switch criterion.kind {
        case nil: return false
        case .all: result = true
        case .host: result = patternList(criterion.patterns, matches: context.host)
        case .originalhost: result = patternList(criterion.patterns, matches: context.original)
        case .user: result = patternList(criterion.patterns, matches: context.user)
        case .localuser: result = patternList(criterion.patterns, matches: context.localUser)
        }
        return result != criterion.negated
    }

    /// A comma-separated pattern list, as OpenSSH's match_pattern_list: a
    /// matching negated pattern wins, else any matching pattern.
    static func patternList(_ list: String, matches text: String) -> Bool {
        block(list.split(separator: ",").map(String.init), matches: text)
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
    public var hostKeyAlias: String?
    public var globalKnownHostsFiles: [String]?
    /// As written: yes, no/off, accept-new, ask.
    public var strictHostKeyChecking: String?
    public var hashKnownHosts: Bool?
}

/// Words of a `Match` line: whitespace-separated, double quotes group.
enum ShellLikeWords {
    static func split(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quoted = false
        var inWord = false
        for char in text {
            if char == "\"" { quoted.toggle(); inWord = true; continue }
            if !quoted, char == " " || char == "\t" {
                if inWord { words.append(current); current = ""; inWord = false }
                continue
            }
            current.append(char)
            inWord = true
        }
        if inWord { words.append(current) }
        return words
    }
}
