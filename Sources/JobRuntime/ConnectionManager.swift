import Foundation
import SecureShell

/// Keeps one connection to the login node and replaces it when it drops:
/// reconnects with exponential backoff, the host key verified every time.
public actor ConnectionManager {
    public nonisolated let settings: ConnectionSettings
    private let interaction: SSHInteraction
    private var current: SSHConnection?
    private var inFlight: Task<SSHConnection, Error>?
    /// How many times the connection was re-established (for the UI's indicator).
    public private(set) var reconnects = 0
    /// Connection attempts made, successful or not.
    public private(set) var attempts = 0
    private let maxAttempts: Int
    private var everConnected: Bool

    public init(settings: ConnectionSettings, interaction: SSHInteraction, maxAttempts: Int = 8,
                initial: SSHConnection? = nil) {
        self.settings = settings
        self.interaction = interaction
        self.maxAttempts = maxAttempts
        current = initial
        everConnected = initial != nil
    }

    /// The open connection, connecting first if there is none.
    public func connection() async throws -> SSHConnection {
        if let current, current.isOpen { return current }
        return try await reconnectOnce()
    }

    /// Drops `failed` (if it is still the current one) and connects again.
    public func replace(_ failed: SSHConnection) async throws -> SSHConnection {
        if let current, current !== failed, current.isOpen { return current }
        failed.close()
        if current === failed { current = nil }
        return try await reconnectOnce()
    }

    /// Callers that find the connection gone while a reconnect is under way
    /// (the log follower and the status poller after one drop) share it,
    /// instead of each opening a connection and one of them leaking.
    private func reconnectOnce() async throws -> SSHConnection {
        if let inFlight { return try await inFlight.value }
        let attempt = Task { try await reconnect() }
        inFlight = attempt
        defer { inFlight = nil }
        return try await attempt.value
    }

    /// A first connection that cannot reach the host (refused, unknown
    /// name, no route, timed out) is the user's to fix: said at once, as the
    /// CLI does. One that reached sshd but was dropped during the handshake
    /// (a busy login node) is tried a few times; a connection that worked
    /// before is retried with backoff.
    private func reconnect() async throws -> SSHConnection {
        var delay = Duration.milliseconds(250)
        var lastError: Error = SSHError.disconnected("not connected")
        let tries = everConnected ? maxAttempts : min(maxAttempts, 3)
        for attempt in 1...tries {
            attempts += 1
            do {
                let connection = try await SSHConnection.connect(settings, interaction: interaction)
                if everConnected { reconnects += 1 }
                everConnected = true
                current = connection
                return connection
            } catch let error as SSHError {
                // Host-key and authentication problems will not fix themselves.
                switch error {
                case .hostKeyChanged, .hostKeyNotAccepted, .authentication, .cancelled: throw error
                case .connect where !everConnected, .timeout where !everConnected: throw error
                default: lastError = error
                }
            }
            guard attempt < tries else { break }
            try await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(10))
        }
        throw lastError
    }

    public func close() {
        current?.close()
        current = nil
    }
}
