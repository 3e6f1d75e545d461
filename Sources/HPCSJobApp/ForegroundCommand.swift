import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a program in the foreground on the user's terminal (the editor) and
/// waits for it with waitpid, which cannot miss the exit the way
/// Foundation's Process was seen to under load.
enum ForegroundCommand {
    struct StartFailed: Error, CustomStringConvertible {
        let description: String
    }

    /// The exit status; a program ended by a signal reports 128 + the signal.
    static func run(_ arguments: [String]) throws -> Int32 {
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawnp(&pid, arguments[0], nil, nil, argv, environ)
        guard result == 0 else { throw StartFailed(description: String(cString: strerror(result))) }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 {
            guard errno == EINTR else { return 128 }
        }
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
    }
}
