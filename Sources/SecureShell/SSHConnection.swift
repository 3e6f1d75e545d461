import CLibSSH2
import Foundation
import Synchronization

/// One iterator over a stream, shared by the unfolding closure that wraps it
/// (a stream supports a single iterator; it is consumed by one task).
final class IteratorBox: @unchecked Sendable {
    private var iterator: AsyncThrowingStream<ExecChunk, Error>.AsyncIterator
    init(_ iterator: AsyncThrowingStream<ExecChunk, Error>.AsyncIterator) { self.iterator = iterator }
    func next() async throws -> ExecChunk? { try await iterator.next() }
}

/// Output of a finished remote command: both streams and the exit status,
/// separately. Output on stderr is not an error by itself.
public struct CommandResult: Sendable, Equatable {
    public let stdout: Data
    public let stderr: Data
    public let status: RemoteExitStatus

    public init(stdout: Data, stderr: Data, status: RemoteExitStatus) {
        self.stdout = stdout
        self.stderr = stderr
        self.status = status
    }

    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    public var exitCode: Int32? { status.code }
}

/// An authenticated SSH connection to one host. Many commands, streams and
/// transfers may run on it at once; all of them are async and none blocks
/// the caller's thread.
///
///     let ssh = try await SSHConnection.connect(settings, interaction: NonInteractive())
///     let result = try await ssh.run(["squeue", "--me", "-h"])
///     print(result.stdoutText)
public final class SSHConnection: Sendable {
    public let settings: ConnectionSettings
    /// What was learned while connecting: host key, authentication.
    public let details: ConnectionDetails
    let driver: SessionDriver

    init(settings: ConnectionSettings, details: ConnectionDetails, driver: SessionDriver) {
        self.settings = settings
        self.details = details
        self.driver = driver
    }

    deinit { driver.shutdown() }

    /// Connects, verifies the host key and authenticates. Jump hosts
    /// (ProxyJump) are connected first and tunnelled through.
    public static func connect(_ settings: ConnectionSettings, interaction: SSHInteraction) async throws -> SSHConnection {
        // A name that is not one never reaches a ProxyCommand's shell or known_hosts.
        if let problem = LoginNames.problem(in: settings) {
            throw SSHError.connect(host: LoginNames.visible(settings.host), port: settings.port, reason: problem)
        }
        var jump: SSHConnection?
        var proxy: ProxyCommandProcess?
        var socket: Int32 = -1
        if let command = settings.proxyCommand {
            interaction.progress(.proxyCommand(command))
            let started = try ProxyCommandProcess(command)
            proxy = started
            socket = started.socket
        } else if let last = settings.jumpHosts.last {
            var outer = last
            outer.jumpHosts = Array(settings.jumpHosts.dropLast())
            interaction.progress(.jumpHost(last.host))
            let jumpConnection = try await connect(outer, interaction: interaction)
            socket = try await jumpConnection.forward(toHost: settings.host, port: settings.port)
            jump = jumpConnection
        } else {
            interaction.progress(.connecting(host: settings.host, port: settings.port))
            socket = try await Task.detached { try openTCP(host: settings.host, port: settings.port, timeout: settings.connectTimeout) }.value
        }
        let driver = SessionDriver(label: settings.cluster.description, context: SessionContext(),
                                   keepaliveInterval: settings.serverAliveInterval,
                                   keepaliveCountMax: settings.serverAliveCountMax)
        if let jump { driver.onClose.append { jump.close() } }
        if let proxy { driver.onClose.append { proxy.end() } }
        let fd = socket
        let details = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ConnectionDetails, Error>) in
            driver.start { driver in
                do {
                    continuation.resume(returning: try driver.establish(socket: fd, settings: settings, interaction: interaction))
                } catch {
                    driver.fatal(error as? SSHError ?? .disconnected("\(error)"))
                    continuation.resume(throwing: error)
                }
            }
        }
        return SSHConnection(settings: settings, details: details, driver: driver)
    }

    /// Closes the connection and waits until it is torn down; operations in
    /// flight end with `disconnected`.
    public func close() { driver.shutdownAndWait() }

    /// The local TCP port of the connection (nil when tunnelled through a jump host).
    public var localPort: Int? { driver.localPort }

    /// Whether the connection is still usable.
    public var isOpen: Bool { !driver.isClosed }

    // MARK: Commands

    /// Runs a command built from an argument vector (each word quoted).
    public func run(_ arguments: [String]) async throws -> CommandResult {
        try await run(RemoteCommand(arguments))
    }

    /// Runs a command and collects stdout, stderr and the exit status.
    public func run(_ command: RemoteCommand) async throws -> CommandResult {
        let collected = Mutex((stdout: Data(), stderr: Data(), status: RemoteExitStatus(code: nil, signal: nil)))
        let operation = Mutex<ExecOperation?>(nil)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<CommandResult, Error>) in
                let exec = ExecOperation(command: command.bytes, onChunk: { chunk in
                    collected.withLock { box in
                        switch chunk {
                        case let .stdout(data): box.stdout.append(data)
                        case let .stderr(data): box.stderr.append(data)
                        case let .exit(status): box.status = status
                        }
                    }
                }, onEnd: { error in
                    if let error { continuation.resume(throwing: error); return }
                    let box = collected.withLock { $0 }
                    continuation.resume(returning: CommandResult(stdout: box.stdout, stderr: box.stderr, status: box.status))
                })
                operation.withLock { $0 = exec }
                driver.submit(exec)
            }
        } onCancel: {
            operation.withLock { $0 }?.cancel()
            driver.wake()
        }
    }

    /// Starts a command and streams its output as it arrives, ending with
    /// `.exit`. Cancelling the consuming task (or dropping the stream)
    /// closes the channel. At most `bufferLimit` bytes wait unconsumed.
    public func stream(_ command: RemoteCommand, bufferLimit: Int = 8 << 20) -> AsyncThrowingStream<ExecChunk, Error> {
        let credits = StreamCredits(limit: bufferLimit, driver: driver)
        let (stream, continuation) = AsyncThrowingStream<ExecChunk, Error>.makeStream()
        let exec = ExecOperation(command: command.bytes, credits: credits, onChunk: { chunk in
            continuation.yield(chunk)
        }, onEnd: { error in
            if let error, error != .cancelled { continuation.finish(throwing: error) } else { continuation.finish() }
        })
        continuation.onTermination = { [driver] _ in
            exec.cancel()
            driver.wake()
        }
        driver.submit(exec)
        let source = IteratorBox(stream.makeAsyncIterator())
        return AsyncThrowingStream { () async throws -> ExecChunk? in
            guard let chunk = try await source.next() else { return nil }
            switch chunk {
            case let .stdout(data), let .stderr(data): credits.consumed(data.count)
            case .exit: break
            }
            return chunk
        }
    }

    // MARK: Forwarding (ProxyJump)

    /// Opens a direct-tcpip channel to host:port and returns a local socket
    /// whose other end is pumped through it.
    func forward(toHost host: String, port: Int) async throws -> Int32 {
        var pair: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0 else {
            throw SSHError.connect(host: host, port: port, reason: "socketpair: \(String(cString: strerror(errno)))")
        }
        let (local, remoteEnd) = (pair[0], pair[1])
        return try await withCheckedThrowingContinuation { continuation in
            let forward = ForwardOperation(host: host, port: port, fd: local) { error in
                if let error {
                    Foundation.close(remoteEnd)
                    continuation.resume(throwing: error)
                } else {
                    continuation.resume(returning: remoteEnd)
                }
            }
            driver.submit(forward)
        }
    }
}
