import Foundation
import SecureShell

/// What job preparation and runtime need from the login node. An
/// ``SSHConnection`` is one; the protocol keeps the workflows independent
/// of how bytes travel.
public protocol RemoteHost: AnyObject, Sendable {
    /// The login node as reached (host, port, user): whose records are whose.
    var settings: ConnectionSettings { get }
    func run(_ command: RemoteCommand) async throws -> CommandResult
    func stream(_ command: RemoteCommand, bufferLimit: Int) -> AsyncThrowingStream<ExecChunk, Error>
    func readFile(_ path: String, limit: Int) async throws -> Data
    func stat(_ path: String) async throws -> RemoteFileInfo?
    func list(_ path: String) async throws -> [RemoteFileInfo]
    func makeDirectories(_ path: String, mode: Int32) async throws
    func mkdir(_ path: String, mode: Int32) async throws
    func writeFileAtomically(_ path: String, data: Data, mode: Int32, progress: TransferProgress?) async throws
    func download(_ path: String, to local: URL, mode: Int, progress: TransferProgress?) async throws -> UInt64
    func removeFile(_ path: String) async throws
    func removeDirectory(_ path: String) async throws
}

extension SSHConnection: RemoteHost {}

extension RemoteHost {
    public func run(_ arguments: [String]) async throws -> CommandResult { try await run(RemoteCommand(arguments)) }

    /// The login account's home directory.
    public func homeDirectory() async throws -> String {
        let result = try await run(RemoteCommand(script: "printf '%s' \"$HOME\""))
        guard result.status.succeeded, result.stdoutText.hasPrefix("/") else {
            throw PreparationError(.upload, "cannot find the home directory on the login node: \(result.stderrText)")
        }
        return result.stdoutText
    }
}
