import AgeCrypto
import ArgumentParser
import CProcess
import Foundation
import SecureShell
import TerminalUI

@main
struct HPCSJob: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hpcs-job",
        abstract: "Prepare, submit, watch and collect secure HPCS jobs on a Slurm cluster over SSH.",
        discussion: "Without a subcommand the terminal UI opens.",
        version: VersionInfo.text,
        subcommands: [Interactive.self, Submit.self, HistoryCommand.self, Jobs.self, Status.self, Logs.self, Cancel.self,
                      Results.self, Doctor.self, Tools.self, Manual.self],
        defaultSubcommand: Interactive.self)

    /// ArgumentParser's own main, but every message it prints on the way out
    /// (an error escaping a command, usage, help) goes through the
    /// sanitising console: an error can quote remote text (a job name from
    /// sacct, a path), and no escape sequence in it may reach the terminal.
    static func main() async {
        // Before anything is read: no core dump, not dumpable (keys, tokens, codes live in this process).
        _ = hpcs_harden_process()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if !message.isEmpty {
                if code == .success { Console.output(message) } else { Console.error(message + "\n") }
            }
            Foundation.exit(code.rawValue)
        }
    }
}

/// `hpcs-job --version`: this program and the libraries it runs with, as a
/// support desk needs them (libssh2 decides which RSA signatures work).
enum VersionInfo {
    static let number = "0.2.0"
    static var text: String {
        "hpcs-job \(number)\nlibssh2 \(LibSSH2.version), libsodium \(Sodium.version), \(Ncurses.version)"
    }
}

/// Exit codes scripts can tell apart.
enum ExitCodes {
    static let usage: Int32 = 64
    static let verification: Int32 = 65
    static let connection: Int32 = 69
    static let submission: Int32 = 70
    static let config: Int32 = 78
}
