import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A child started with posix_spawn in its own process group, so a timeout
/// can kill it together with anything it started.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    private let status = Mutex<Int32?>(nil)

    init(_ executable: String, _ arguments: [String], environment: [String: String]?,
         stdin: Int32?, stdout: Int32?, stderr: Int32?) throws {
        ignoreBrokenPipesOnce
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (fd, target) in [(stdin, Int32(0)), (stdout, 1), (stderr, 2)] {
            if let fd {
                posix_spawn_file_actions_adddup2(&actions, fd, target)
            } else {
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t(), defaults = sigset_t()
        sigemptyset(&noSignals)
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let environmentLines = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environmentLines.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey:
                "cannot start \(executable): \(String(cString: strerror(result)))"])
        }
        pid = child
    }

    /// The exit status if the child has ended (reaping it), else nil; a
    /// child killed by a signal reports 128 + the signal, as shells do.
    public func exitStatusIfExited() -> Int32? {
        status.withLock { cached in
            if let cached { return cached }
            var raw: Int32 = 0
            guard waitpid(pid, &raw, WNOHANG) == pid else { return nil }
            let signal = raw & 0x7f
            cached = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
            return cached
        }
    }

    public var isRunning: Bool { exitStatusIfExited() == nil }

    /// Waits for the child's exit, killing it after `limit`.
    public func wait(limit: Duration, command: String) throws -> Int32 {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let status = exitStatusIfExited() { return status }
            usleep(10_000)
        }
        kill()
        throw ToolTimedOut(command: command, limit: limit, partialOutput: "")
    }

    /// Asks the child to stop (SIGTERM), then kills its group if it lingers.
    public func terminate() {
        guard isRunning else { return }
        Glibc.kill(pid, SIGTERM)
        for _ in 0..<200 where isRunning { usleep(10_000) }
        if isRunning { kill() }
    }

    /// Kills the child's whole process group and reaps the child.
    public func kill() {
        Glibc.kill(-pid, SIGKILL)
        Glibc.kill(pid, SIGKILL)
        status.withLock { cached in
            guard cached == nil else { return }
            var raw: Int32 = 0
            if waitpid(pid, &raw, 0) == pid { cached = 128 + SIGKILL }
        }
    }
}

/// Writing to a pipe whose reader has gone must be an error, not a signal
/// that ends the test process.
private let ignoreBrokenPipesOnce: Void = { signal(SIGPIPE, SIG_IGN); return () }()
