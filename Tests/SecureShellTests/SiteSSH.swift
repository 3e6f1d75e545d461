import Foundation
import SecureShell
import SiteTestSupport

/// Connection settings and helpers for the local site's login node.
extension LocalSite {
    func settings(identity: String? = nil, knownHosts: String? = nil, useAgent: Bool = false,
                  agentSocket: String? = nil, keepalive: Int = 15) -> ConnectionSettings {
        ConnectionSettings(host: host, port: port, user: user, identityFiles: [identity ?? self.identity],
                           identitiesOnly: true, knownHostsFiles: [knownHosts ?? self.knownHosts],
                           serverAliveInterval: keepalive, useAgent: useAgent, agentSocket: agentSocket)
    }

    func connect(_ settings: ConnectionSettings? = nil,
                 interaction: SSHInteraction = NonInteractive()) async throws -> SSHConnection {
        try await SSHConnection.connect(settings ?? self.settings(), interaction: interaction)
    }
}

/// Records what the connection asked, answering from fixed values.
final class RecordingInteraction: SSHInteraction, @unchecked Sendable {
    private let lock = NSLock()
    private var _asked: [String] = []
    let hostKeyAnswer: HostKeyDecision
    let passphraseAnswer: String?
    let kbdAnswer: String?

    init(hostKey: HostKeyDecision = .refuse, passphrase: String? = nil, keyboardInteractive: String? = nil) {
        hostKeyAnswer = hostKey
        passphraseAnswer = passphrase
        kbdAnswer = keyboardInteractive
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
        return kbdAnswer.map { answer in challenge.prompts.map { _ in answer } }
    }

    func password(user: String, host: String) async -> String? { nil }
}
