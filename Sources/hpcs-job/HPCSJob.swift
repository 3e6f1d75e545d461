import AgeCrypto
import ArgumentParser
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
