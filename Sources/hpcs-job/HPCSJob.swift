import ArgumentParser
import Foundation

@main
struct HPCSJob: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hpcs-job",
        abstract: "Prepare, submit, watch and collect secure HPCS jobs on a Slurm cluster over SSH.",
        discussion: "Without a subcommand the terminal UI opens.",
        version: "0.1.0",
        subcommands: [Interactive.self, Submit.self, HistoryCommand.self, Status.self, Logs.self, Cancel.self,
                      Results.self],
        defaultSubcommand: Interactive.self)
}

/// Exit codes scripts can tell apart.
enum ExitCodes {
    static let usage: Int32 = 64
    static let verification: Int32 = 65
    static let connection: Int32 = 69
    static let submission: Int32 = 70
    static let config: Int32 = 78
}
