import Foundation
import SecureShell
import SiteTestSupport

/// Connection settings and helpers for the local site's login node.
extension LocalSite {
    /// The site's settings aimed at a test login node, its host key recorded in `directory`'s known_hosts.
    func settings(for node: TestLoginNode, in directory: URL) throws -> ConnectionSettings {
        let knownHosts = directory.appendingPathComponent("known_hosts")
        try (node.knownHostsLine + "\n").write(to: knownHosts, atomically: true, encoding: .utf8)
        var settings = settings(knownHosts: knownHosts.path)
        settings.host = node.host
        settings.port = node.port
        return settings
    }

    func settings(identity: String? = nil, knownHosts: String? = nil, useAgent: Bool = false,
                  agentSocket: String? = nil, keepalive: Int = 15) -> ConnectionSettings {
        ConnectionSettings(host: host, port: port, user: user, identityFiles: [identity ?? self.identity],
                           identitiesOnly: true, knownHostsFiles: [knownHosts ?? self.knownHosts],
                           serverAliveInterval: keepalive, useAgent: useAgent, agentSocket: agentSocket)
    }

    func connect(_ settings: ConnectionSettings? = nil,
                 interaction: SSHInteraction = NonInteractive()) async throws -> SSHConnection {
        try await retryingADroppedHandshake { try await SSHConnection.connect(settings ?? self.settings(), interaction: interaction) }
    }
}

/// Records what the connection asked, answering from fixed values.
final class RecordingInteraction: SSHInteraction, @unchecked Sendable {
    private let lock = NSLock()
    private var _asked: [String] = []
    let hostKeyAnswer: HostKeyDecision
    let passphraseAnswer: String?
    /// Asked when the server asks: a one-time code is made then, not before
    /// (on a loaded machine a code made early can lapse before it is sent).
    let kbdAnswer: @Sendable () -> String?

    convenience init(hostKey: HostKeyDecision = .refuse, passphrase: String? = nil, keyboardInteractive: String? = nil) {
        self.init(hostKey: hostKey, passphrase: passphrase, keyboardInteractiveAnswer: { keyboardInteractive })
    }

    init(hostKey: HostKeyDecision = .refuse, passphrase: String? = nil, keyboardInteractiveAnswer: @escaping @Sendable () -> String?) {
        hostKeyAnswer = hostKey
        passphraseAnswer = passphrase
        kbdAnswer = keyboardInteractiveAnswer
    }

    var asked: [String] { lock.withLock { _asked } }
    private func note(_ text: String) { lock.withLock { _asked.append(text) } }

    func decide(unknownHostKey: UnknownHostKey) async -> HostKeyDecision {
        note("hostkey \(unknownHostKey.fingerprint)")
        return hostKeyAnswer
    }

    func passphrase(forKeyFile path: String, attempt: Int) async -> String? {
        note("passphrase \(attempt)")
        return passphraseAnswer
    }

    func respond(to challenge: KeyboardInteractiveChallenge) async -> [String]? {
        note("kbd \(challenge.prompts.map(\.text).joined(separator: "|"))")
        return kbdAnswer().map { answer in challenge.prompts.map { _ in answer } }
    }

    func password(user: String, host: String) async -> String? { nil }
}
