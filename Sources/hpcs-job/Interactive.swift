import ArgumentParser
import Foundation
import HPCSJobApp

/// The terminal UI (the default command).
struct Interactive: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tui", abstract: "Open the terminal UI (default).")

    @Option(name: .long, help: "HPCS client configuration (INI); recent ones are offered otherwise.") var config: String?
    @Option(name: .long, help: "Theme name (default, light, high-contrast, monochrome, or your own).") var theme: String?
    @Option(name: .long, help: "Log lines kept in memory for scrollback (the full log is always saved locally).")
    var logLines = 100_000
    @Option(name: .customLong("ssh-config"), help: "Use this ssh_config file instead of ~/.ssh/config and /etc/ssh/ssh_config (like ssh -F).")
    var sshConfig: String?

    func run() async throws {
        let code = await HPCSJobApplication.run(configPath: config, themeName: theme, logLines: logLines,
                                                sshConfig: try sshConfigFile(sshConfig))
        if code != 0 { throw ExitCode(code) }
    }
}
