import Foundation

/// Where and how to connect: explicit values (the HPCS config) merged with
/// `~/.ssh/config` for that host. Explicit values win.
public struct ConnectionSettings: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var identityFiles: [String]
    public var identitiesOnly: Bool
    /// Files checked for host keys; new keys are appended to the first.
    public var knownHostsFiles: [String]
    public var connectTimeout: Duration
    public var serverAliveInterval: Int
    public var serverAliveCountMax: Int
    /// Jump hosts, outermost first.
    public var jumpHosts: [ConnectionSettings]
    /// Whether to ask an ssh-agent.
    public var useAgent: Bool
    /// The agent's socket; nil means `SSH_AUTH_SOCK`.
    public var agentSocket: String?
    /// ProxyCommand (tokens expanded): run with /bin/sh -c, its stdin and
    /// stdout carry the connection. Takes precedence over ProxyJump, as in OpenSSH.
    public var proxyCommand: String?
    /// The name host keys are looked up and recorded under, instead of the host's.
    public var hostKeyAlias: String?
    /// Read-only known_hosts files kept by the system.
    public var globalKnownHostsFiles = ["/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"]
    public var strictHostKeyChecking = StrictHostKeyChecking.ask
    /// Record accepted keys under a hashed name (`|1|salt|hash`).
    public var hashKnownHosts = false
    /// What the ssh_config files said that hpcs-job does not honour.
    public var configWarnings: [String] = []

    /// What to do with a host key known_hosts does not have. A changed key
    /// is refused whatever this says.
    public enum StrictHostKeyChecking: String, Sendable, Equatable {
        /// Refuse without asking.
        case yes
        /// Record it and go on without asking (also for `no` and `off`).
        case acceptNew = "accept-new"
        /// Ask the user.
        case ask

        init(configValue: String) {
            switch configValue {
            case "yes": self = .yes
            case "accept-new", "no", "off": self = .acceptNew
            default: self = .ask
            }
        }
    }

    /// The name known_hosts is searched for: HostKeyAlias as written, else `[host]:port` off port 22.
    public var knownHostsName: (host: String, port: Int) { hostKeyAlias.map { ($0, 22) } ?? (host, port) }

    public init(host: String, port: Int = 22, user: String, identityFiles: [String] = [],
                identitiesOnly: Bool = false, knownHostsFiles: [String] = [],
                connectTimeout: Duration = .seconds(15), serverAliveInterval: Int = 15,
                serverAliveCountMax: Int = 3, jumpHosts: [ConnectionSettings] = [], useAgent: Bool = true,
                agentSocket: String? = nil) {
        self.host = host
        self.port = port
        self.user = user
        self.identityFiles = identityFiles
        self.identitiesOnly = identitiesOnly
        self.knownHostsFiles = knownHostsFiles.isEmpty ? [Self.home + "/.ssh/known_hosts"] : knownHostsFiles
        self.connectTimeout = connectTimeout
        self.serverAliveInterval = serverAliveInterval
        self.serverAliveCountMax = serverAliveCountMax
        self.jumpHosts = jumpHosts
        self.useAgent = useAgent
        self.agentSocket = agentSocket
    }

    static var home: String {
        ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
    }

    /// The user's ~/.ssh/config, then /etc/ssh/ssh_config, as `ssh` reads them
    /// when not given `-F`.
    public static func standardSSHConfig() -> SSHConfigFile {
        SSHConfigFile(combining: [SSHConfigFile.load(path: home + "/.ssh/config"), SSHConfigFile.load(path: "/etc/ssh/ssh_config")])
    }

    /// Settings for `alias`, with ssh_config applied under the explicit values.
    ///
    ///     let settings = ConnectionSettings.resolve(alias: "lumi", user: "alice", port: nil,
    ///                                               identityFile: nil, knownHosts: nil)
    public static func resolve(alias: String, user: String?, port: Int?, identityFile: String?,
                               knownHosts: String?, sshConfig: SSHConfigFile? = nil) -> ConnectionSettings {
        var budget = 64
        return resolve(alias: alias, user: user, port: port, identityFile: identityFile, knownHosts: knownHosts, sshConfig: sshConfig,
                       depth: 0, budget: &budget)
    }

    /// `depth` counts ProxyJump hops resolved so far: a config whose jump
    /// hosts jump through each other (`Host *` with ProxyJump) stops there.
    /// `budget` bounds the hops resolved in all: with several jump hosts a
    /// hop (`ProxyJump a,b,c` under `Host *`), each level multiplied the work
    /// (3^8 resolutions; a fuzzing find).
    static func resolve(alias: String, user: String?, port: Int?, identityFile: String?,
                        knownHosts: String?, sshConfig: SSHConfigFile?, depth: Int, budget: inout Int) -> ConnectionSettings {
        let config = sshConfig ?? standardSSHConfig()
        let found = config.resolve(alias: alias, user: user)
        let host = found.hostName.map { expand($0, alias: alias) } ?? alias
        let login = user ?? found.user ?? ProcessInfo.processInfo.environment["USER"] ?? "root"
        let expandPath = { (path: String) in Self.expand(path, alias: alias, host: host, user: login) }
        var settings = ConnectionSettings(
            host: host, port: port ?? found.port ?? 22, user: login,
            identityFiles: ([identityFile].compactMap { $0 } + found.identityFiles).map(expandPath),
            identitiesOnly: found.identitiesOnly ?? false,
            knownHostsFiles: ([knownHosts].compactMap { $0 } + found.knownHostsFiles).map(expandPath),
            connectTimeout: found.connectTimeout.map { .seconds($0) } ?? .seconds(15),
            serverAliveInterval: found.serverAliveInterval ?? 15,
            serverAliveCountMax: found.serverAliveCountMax ?? 3)
        settings.hostKeyAlias = found.hostKeyAlias
        if let global = found.globalKnownHostsFiles { settings.globalKnownHostsFiles = global.map(expandPath) }
        settings.strictHostKeyChecking = found.strictHostKeyChecking.map(StrictHostKeyChecking.init(configValue:)) ?? .ask
        settings.hashKnownHosts = found.hashKnownHosts ?? false
        settings.configWarnings = config.warnings
        if let command = found.proxyCommand, command.lowercased() != "none" {
            // For /bin/sh: every expanded value one quoted word (the names are
            // checked before connecting too; a home folder may hold spaces).
            settings.proxyCommand = expand(command, alias: alias, host: host, user: login, port: settings.port, forShell: true)
        } else if let jump = found.proxyJump, jump.lowercased() != "none", depth < 8 {
            var hops: [ConnectionSettings] = []
            // This hop's own jump hosts first (they are the ones used), then what they jump through.
            let specs = jump.split(separator: ",").prefix(max(0, budget))
            budget -= specs.count
            for spec in specs {
                let (jumpUser, jumpHost, jumpPort) = parseJump(String(spec))
                hops.append(resolve(alias: jumpHost, user: jumpUser, port: jumpPort, identityFile: nil,
                                    knownHosts: knownHosts, sshConfig: config, depth: depth + 1, budget: &budget))
            }
            settings.jumpHosts = hops
        }
        return settings
    }

    /// `[user@]host[:port]` of a ProxyJump element.
    static func parseJump(_ spec: String) -> (String?, String, Int?) {
        var rest = Substring(spec)
        var user: String?
        if let at = rest.lastIndex(of: "@") {
            user = String(rest[..<at])
            rest = rest[rest.index(after: at)...]
        }
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            let host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            return (user, host, after.hasPrefix(":") ? Int(after.dropFirst()) : nil)
        }
        if let colon = rest.lastIndex(of: ":"), rest.filter({ $0 == ":" }).count == 1 {
            return (user, String(rest[..<colon]), Int(rest[rest.index(after: colon)...]))
        }
        return (user, String(rest), nil)
    }

    /// ssh_config's `%` tokens in one pass, so a value holding `%` never
    /// starts another expansion; `%%` is a `%`. For a shell (`forShell`),
    /// each value is one quoted word.
    static func expand(_ value: String, alias: String, host: String? = nil, user: String? = nil, port: Int? = nil,
                       forShell: Bool = false) -> String {
        var source = Substring(value)
        if source.hasPrefix("~/") { source = Substring(home + source.dropFirst()) }
        let word = { (text: String) in forShell ? ShellQuote.quoteIfNeeded(text) : text }
        var values: [Character: String] = ["d": home, "h": host ?? alias, "n": alias, "%": "%",
                                           "u": ProcessInfo.processInfo.environment["USER"] ?? NSUserName()]
        if let user { values["r"] = user }
        if let port { values["p"] = String(port) }
        var expanded = ""
        while let percent = source.firstIndex(of: "%") {
            expanded += source[..<percent]
            let next = source.index(after: percent)
            if next < source.endIndex, let value = values[source[next]] {
                expanded += source[next] == "%" ? "%" : word(value)
                source = source[source.index(after: next)...]
            } else {
                expanded += "%"
                source = source[next...]
            }
        }
        return expanded + source
    }

    /// Identity files the user named that cannot be used (missing or
    /// unreadable), to warn about before connecting, as `ssh -i` does.
    public var unusableIdentityFiles: [(path: String, reason: String)] {
        identityFiles.compactMap { file in Self.identityFileProblem(file).map { (file, $0) } }
    }

    /// Why an identity file cannot be used, or nil when it can.
    static func identityFileProblem(_ file: String) -> String? {
        if !FileManager.default.fileExists(atPath: file) { return "no such identity file" }
        if !FileManager.default.isReadableFile(atPath: file) { return "identity file not readable" }
        return nil
    }

    /// Identity files to try: the configured ones, else OpenSSH's defaults that exist.
    var candidateIdentityFiles: [String] {
        if !identityFiles.isEmpty { return identityFiles }
        return ["id_ed25519", "id_ecdsa", "id_rsa"].map { Self.home + "/.ssh/" + $0 }
            .filter { FileManager.default.fileExists(atPath: $0) }
    }
}
