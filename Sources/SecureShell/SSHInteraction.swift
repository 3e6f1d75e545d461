/// Decisions only the user can make, asked while connecting. The TUI shows
/// dialogs; non-interactive commands answer from their flags.
public protocol SSHInteraction: Sendable {
    /// The server's key is not in known_hosts: accept once, remember, or refuse.
    func decide(unknownHostKey: UnknownHostKey) async -> HostKeyDecision
    /// Passphrase of an encrypted key file; nil skips that key.
    func passphrase(forKeyFile path: String, attempt: Int) async -> String?
    /// Answers to the server's keyboard-interactive prompts (one-time codes);
    /// nil gives up that method.
    func respond(to challenge: KeyboardInteractiveChallenge) async -> [String]?
    /// Password for password authentication, tried last; nil skips it.
    func password(user: String, host: String) async -> String?
    /// Where a connection attempt is (for a UI that shows it); called on the
    /// connecting thread, so it must not block.
    func progress(_ phase: ConnectPhase)
}

extension SSHInteraction {
    public func progress(_ phase: ConnectPhase) {}
}

/// The steps of making a connection, in order.
public enum ConnectPhase: Sendable, Equatable, CustomStringConvertible {
    case connecting(host: String, port: Int)
    case proxyCommand(String)
    case jumpHost(String)
    case handshake(host: String)
    case authenticating(user: String, host: String)

    public var description: String {
        switch self {
        case let .connecting(host, port): "resolving \(host) and opening TCP port \(port)"
        case let .proxyCommand(command): "starting ProxyCommand \(command)"
        case let .jumpHost(host): "connecting through jump host \(host)"
        case let .handshake(host): "SSH handshake with \(host), checking its host key"
        case let .authenticating(user, host): "signing in as \(user) on \(host)"
        }
    }
}

public struct KeyboardInteractiveChallenge: Sendable, Equatable {
    public struct Prompt: Sendable, Equatable {
        public let text: String
        /// Whether the answer may be shown while typed.
        public let echo: Bool

        public init(text: String, echo: Bool) {
            self.text = text
            self.echo = echo
        }
    }
    /// The server's own words: shown as its words, never as ours (a jump
    /// host could write "Password — alice@lumi" here).
    public let name: String
    public let instruction: String
    public let prompts: [Prompt]
    /// Which login asks (`user@host:port`, a jump host's own when it is one),
    /// set by the connection, not by the server.
    public var server: String

    public init(name: String, instruction: String, prompts: [Prompt], server: String = "") {
        self.name = name
        self.instruction = instruction
        self.prompts = prompts
        self.server = server
    }
}

/// For scripts: no questions. Unknown host keys are refused unless
/// `acceptNewHostKeys` (OpenSSH's `accept-new`), which remembers them.
public struct NonInteractive: SSHInteraction {
    public var acceptNewHostKeys: Bool
    public var passphrases: [String: String]
    public var keyboardInteractiveAnswers: [String]?
    public var passwordAnswer: String?

    public init(acceptNewHostKeys: Bool = false, passphrases: [String: String] = [:],
                keyboardInteractiveAnswers: [String]? = nil, password: String? = nil) {
        self.acceptNewHostKeys = acceptNewHostKeys
        self.passphrases = passphrases
        self.keyboardInteractiveAnswers = keyboardInteractiveAnswers
        self.passwordAnswer = password
    }

    public func decide(unknownHostKey: UnknownHostKey) async -> HostKeyDecision {
        acceptNewHostKeys ? .acceptAndRemember : .refuse
    }

    public func passphrase(forKeyFile path: String, attempt: Int) async -> String? {
        attempt == 1 ? passphrases[path] : nil
    }

    public func respond(to challenge: KeyboardInteractiveChallenge) async -> [String]? {
        guard let answers = keyboardInteractiveAnswers, answers.count >= challenge.prompts.count else { return nil }
        return Array(answers.prefix(challenge.prompts.count))
    }

    public func password(user: String, host: String) async -> String? { passwordAnswer }
}
