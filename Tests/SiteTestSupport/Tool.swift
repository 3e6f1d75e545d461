import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct ToolResult: Sendable {
    public let status: Int32
    public let stdout: Data
    public let stderr: Data
    public var out: String { String(decoding: stdout, as: UTF8.self) }
    public var err: String { String(decoding: stderr, as: UTF8.self) }
}

/// A tool that outlived its time limit; it was killed with its process group.
public struct ToolTimedOut: Error, CustomStringConvertible {
    public let command: String
    public let limit: Duration
    public let partialOutput: String
    public var description: String {
        "\(command) did not finish within \(limit) and was killed; it had printed: \(partialOutput.suffix(2000))"
    }
}

/// Runs external tools (age, bash, ssh, tmux) from tests.
///
/// Built on posix_spawn and waitpid rather than Foundation's Process, whose
/// waitUntilExit was seen to miss a child's exit under load and hang a whole
/// CI run; here every wait has a deadline.
public enum Tool {
    public static let defaultLimit: Duration = .seconds(180)

    public static func run(_ executable: String, _ arguments: [String], stdin: Data? = nil,
                           environment: [String: String]? = nil,
                           limit: Duration = defaultLimit) throws -> ToolResult {
        let input = try ChildPipe(), output = try ChildPipe(), errors = try ChildPipe()
        let child = try ChildProcess(executable, arguments, environment: environment,
                                     stdin: input.readEnd, stdout: output.writeEnd, stderr: errors.writeEnd)
        input.closeReadEnd(); output.closeWriteEnd(); errors.closeWriteEnd()
        if stdin == nil { input.closeWriteEnd() }
        var streams = PipeStreams(input: input, stdin: stdin ?? Data(), output: output, errors: errors)
        let deadline = ContinuousClock.now + limit
        var status: Int32?
        var quietSinceExit = ContinuousClock.now
        while true {
            let progressed = streams.pump(waitMilliseconds: 50)
            if status == nil { status = child.exitStatusIfExited() }
            if let status {
                // A daemon the tool left behind may hold the pipes open: stop
                // reading once they are closed or have been quiet a while.
                if streams.finished || ContinuousClock.now - quietSinceExit > .milliseconds(300) {
                    streams.closeAll()
                    return ToolResult(status: status, stdout: streams.stdout, stderr: streams.stderr)
                }
                if progressed { quietSinceExit = ContinuousClock.now }
            } else {
                quietSinceExit = ContinuousClock.now
                if ContinuousClock.now > deadline {
                    child.kill()
                    streams.closeAll()
                    throw ToolTimedOut(command: ([executable] + arguments).joined(separator: " "), limit: limit,
                                       partialOutput: String(decoding: streams.stdout + streams.stderr, as: UTF8.self))
                }
            }
        }
    }

    /// Starts a long-running tool (an agent, a server) and returns it running.
    public static func spawn(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> ChildProcess {
        try ChildProcess(executable, arguments, environment: environment, stdin: nil, stdout: nil, stderr: nil)
    }

    /// Runs a tool that may leave a daemon behind (tmux, ssh-agent) with
    /// its standard streams on /dev/null, so no pipe is held open; returns
    /// the exit status.
    @discardableResult
    public static func runDetached(_ executable: String, _ arguments: [String],
                                   limit: Duration = defaultLimit) throws -> Int32 {
        let child = try spawn(executable, arguments)
        return try child.wait(limit: limit, command: ([executable] + arguments).joined(separator: " "))
    }

    /// Full path of a tool on PATH, or nil.
    public static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// A fresh private temporary directory, removed by the caller.
    public static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hpcs-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        return url
    }
}
