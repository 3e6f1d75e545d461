import CLibSSH2 // its headers bring the socket API, as in Connect.swift
import Foundation

/// A ProxyCommand (`ProxyCommand nc %h %p`, `ssh -W %h:%p bastion`): run
/// with `/bin/sh -c`, its standard input and output joined to one end of a
/// socket pair whose other end the SSH session uses. Ended with the connection.
final class ProxyCommandProcess: @unchecked Sendable {
    let socket: Int32
    private let pid: pid_t

    init(_ command: String) throws {
        var pair: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0 else {
            throw SSHError.connect(host: "ProxyCommand", port: 0, reason: "socketpair: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pair[1], 0)
        posix_spawn_file_actions_adddup2(&actions, pair[1], 1)
        posix_spawn_file_actions_addclose(&actions, pair[0])
        var child: pid_t = 0
        let arguments = ["/bin/sh", "-c", command]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let status = posix_spawn(&child, "/bin/sh", &actions, nil, &argv, environ)
        close(pair[1])
        guard status == 0 else {
            close(pair[0])
            throw SSHError.connect(host: "ProxyCommand", port: 0, reason: "cannot run '\(command)': \(String(cString: strerror(status)))")
        }
        _ = fcntl(pair[0], F_SETFD, FD_CLOEXEC)
        socket = pair[0]
        pid = child
    }

    /// Ends the command (the session closed its socket already) and reaps it.
    func end() {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<50 {
            if waitpid(pid, &status, WNOHANG) == pid { return }
            usleep(20_000)
        }
        kill(pid, SIGKILL)
        _ = waitpid(pid, &status, 0)
    }
}
