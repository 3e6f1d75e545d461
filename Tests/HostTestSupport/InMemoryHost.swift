import Foundation
import JobPreparation
import SecureShell

/// A login node in memory, for the workflows' tests without the site: files
/// and folders with their modes, and commands answered by handlers the test
/// registers by program name. Any write or command can be made to fail.
public final class InMemoryHost: RemoteHost, @unchecked Sendable {
    public typealias Handler = @Sendable ([String]) throws -> CommandResult

    public let settings: ConnectionSettings
    public let home: String
    private let lock = NSLock()
    private var files: [String: (data: Data, mode: Int32)] = [:]
    private var folders: [String: Int32] = [:]
    private var handlers: [String: Handler] = [:]
    private var failingWrites: @Sendable (String) -> Bool = { _ in false }
    /// Every command run, as its words.
    public private(set) var commands: [[String]] = []

    public init(user: String = "alice", host: String = "login.example.org", port: Int = 22) {
        settings = ConnectionSettings.resolve(alias: host, user: user, port: port, identityFile: nil, knownHosts: nil,
                                              sshConfig: SSHConfigFile(text: ""))
        home = "/home/\(user)"
        folders[home] = 0o755
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    // MARK: Arranging

    public func put(_ path: String, _ text: String, mode: Int32 = 0o644) { locked { files[path] = (Data(text.utf8), mode) } }
    public func on(_ program: String, _ handler: @escaping Handler) { locked { handlers[program] = handler } }
    public func failWrites(_ matching: @escaping @Sendable (String) -> Bool) { locked { failingWrites = matching } }
    public func file(_ path: String) -> (data: Data, mode: Int32)? { locked { files[path] } }
    public func exists(_ path: String) -> Bool { locked { files[path] != nil || folders[path] != nil } }
    public func ran(_ program: String) -> Bool { locked { commands.contains { $0.first == program } } }

    public static func answer(_ stdout: String = "", stderr: String = "", code: Int32 = 0) -> CommandResult {
        CommandResult(stdout: Data(stdout.utf8), stderr: Data(stderr.utf8), status: RemoteExitStatus(code: code, signal: nil))
    }

    public struct Refused: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    // MARK: RemoteHost

    public func run(_ command: RemoteCommand) async throws -> CommandResult {
        let words = (try? ShellWords.split(command.description)) ?? [command.description]
        let handler = locked { () -> Handler? in
            commands.append(words)
            return handlers[words.first ?? ""]
        }
        if words == ["printf", "%s", "$HOME"] { return Self.answer(home) }
        guard let handler else { return Self.answer(stderr: "\(words.first ?? ""): command not found", code: 127) }
        return try handler(words)
    }

    public func stream(_ command: RemoteCommand, bufferLimit: Int) -> AsyncThrowingStream<ExecChunk, Error> {
        AsyncThrowingStream { continuation in
            Task {
                do {
                    let result = try await self.run(command)
                    continuation.yield(.stdout(result.stdout))
                    continuation.yield(.stderr(result.stderr))
                    continuation.yield(.exit(result.status))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
        }
    }

    public func readFile(_ path: String, limit: Int) async throws -> Data {
        guard let file = locked({ files[path] }) else { throw SSHError.sftp(status: 2, path: path, message: "No such file") }
        return file.data.prefix(limit)
    }

    public func stat(_ path: String) async throws -> RemoteFileInfo? {
        locked {
            let name = (path as NSString).lastPathComponent
            if let file = files[path] {
                return RemoteFileInfo(name: name, kind: .file, size: UInt64(file.data.count), permissions: UInt32(file.mode), modified: Date())
            }
            return folders[path].map { RemoteFileInfo(name: name, kind: .directory, size: 0, permissions: UInt32($0), modified: Date()) }
        }
    }

    public func list(_ path: String) async throws -> [RemoteFileInfo] {
        let prefix = path + "/"
        let entries = locked {
            files.filter { $0.key.hasPrefix(prefix) && !$0.key.dropFirst(prefix.count).contains("/") }
                .map { RemoteFileInfo(name: String($0.key.dropFirst(prefix.count)), kind: .file, size: UInt64($0.value.data.count),
                                      permissions: UInt32($0.value.mode), modified: Date()) }
        }
        return entries.sorted { $0.name < $1.name }
    }

    public func makeDirectories(_ path: String, mode: Int32) async throws {
        locked {
            var current = ""
            for part in path.split(separator: "/") {
                current += "/" + part
                if folders[current] == nil { folders[current] = mode }
            }
        }
    }

    public func mkdir(_ path: String, mode: Int32) async throws {
        try locked {
            guard folders[path] == nil, files[path] == nil else { throw Refused(description: "\(path) exists") }
            folders[path] = mode
        }
    }

    public func writeFileAtomically(_ path: String, data: Data, mode: Int32, progress: TransferProgress?) async throws {
        try locked {
            if failingWrites(path) { throw Refused(description: "write \(path): connection lost") }
            files[path] = (data, mode)
        }
    }

    public func download(_ path: String, to local: URL, mode: Int, progress: TransferProgress?) async throws -> UInt64 {
        let data = try await readFile(path, limit: Int.max)
        try data.write(to: local)
        return UInt64(data.count)
    }

    public func removeFile(_ path: String) async throws { locked { _ = files.removeValue(forKey: path) } }

    public func removeDirectory(_ path: String) async throws {
        try locked {
            guard !files.keys.contains(where: { $0.hasPrefix(path + "/") }) else { throw Refused(description: "\(path) is not empty") }
            folders.removeValue(forKey: path)
        }
    }
}
