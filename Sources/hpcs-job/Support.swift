import ArgumentParser
import Foundation
import History
import JobPreparation
import JobRuntime
import SecureShell
import TerminalUI

/// Questions asked on the controlling terminal (/dev/tty), as ssh asks them,
/// even when stdin or stdout is a pipe; refusals when there is none.
struct TerminalInteraction: SSHInteraction {
    let acceptNewHostKeys: Bool

    var isTerminal: Bool { ControllingTerminal.isAvailable }

    func decide(unknownHostKey key: UnknownHostKey) async -> HostKeyDecision {
        if acceptNewHostKeys { return .acceptAndRemember }
        guard isTerminal else {
            Console.error("""
                hpcs-job: the host key of \(key.hostDescription) is not known:
                  \(key.keyType) \(key.fingerprint)
                Verify it with the site, then run again with --accept-new-host-key (or use the TUI).

                """)
            return .refuse
        }
        let answer = ControllingTerminal.ask("""
            The authenticity of host \(key.hostDescription) can't be established.
            \(key.keyType) key fingerprint is \(key.fingerprint).
            Are you sure you want to continue connecting (yes/no/[fingerprint])? 
            """, echo: true)?.trimmingCharacters(in: .whitespaces)
        return answer?.lowercased() == "yes" || answer == key.fingerprint ? .acceptAndRemember : .refuse
    }

    func passphrase(forKeyFile path: String, attempt: Int) async -> String? {
        guard isTerminal else { return nil }
        return ControllingTerminal.ask("Enter passphrase for key '\(path)': ", echo: false)
    }

    func respond(to challenge: KeyboardInteractiveChallenge) async -> [String]? {
        guard isTerminal else { return nil }
        // The server's texts are outside text: sanitised like everything else shown.
        var heading = ""
        if !challenge.name.isEmpty { heading += challenge.name + "\n" }
        if !challenge.instruction.isEmpty { heading += challenge.instruction + "\n" }
        var answers: [String] = []
        for (index, prompt) in challenge.prompts.enumerated() {
            let text = TerminalSanitizer.plainText(prompt.text).replacingOccurrences(of: "\n", with: " ")
            guard let answer = ControllingTerminal.ask((index == 0 ? heading : "") + text, echo: prompt.echo) else { return nil }
            answers.append(answer)
        }
        return answers
    }

    func password(user: String, host: String) async -> String? {
        guard isTerminal else { return nil }
        return ControllingTerminal.ask("\(user)@\(host)'s password: ", echo: false)
    }
}

/// The process's controlling terminal.
enum ControllingTerminal {
    static var isAvailable: Bool {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        close(fd)
        return true
    }

    /// Shows `prompt` (sanitised) and reads one line, without echo when asked.
    static func ask(_ prompt: String, echo: Bool) -> String? {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var saved = termios()
        let canHideEcho = !echo && tcgetattr(fd, &saved) == 0
        if canHideEcho {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(fd, TCSAFLUSH, &quiet)
        }
        defer {
            if canHideEcho {
                tcsetattr(fd, TCSAFLUSH, &saved)
                _ = write(fd, "\n", 1)
            }
        }
        let shown = Array(TerminalSanitizer.plainText(prompt).utf8)
        _ = shown.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1 {
            if byte == 0x0A { break }
            if byte != 0x0D { line.append(byte) }
        }
        defer { for index in line.indices { line[index] = 0 } }
        return String(decoding: line, as: UTF8.self)
    }
}

/// Fails with a message on stderr and a chosen exit code.
func fail(_ message: String, code: Int32) -> ExitCode {
    Console.error("hpcs-job: \(message)\n")
    return ExitCode(code)
}

/// Everything the CLI shows may hold text from outside (config lines, info
/// files, remote output, server prompts, file names): it goes through the
/// TUI's sanitiser, so no escape sequence, control or C1 character reaches
/// the terminal and bidi overrides and zero-width characters are shown.
enum Console {
    static func output(_ text: String) {
        FileHandle.standardOutput.write(Data((TerminalSanitizer.plainText(text) + "\n").utf8))
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data(TerminalSanitizer.plainText(text).utf8))
    }

    /// A document (a script) written as is to a file or pipe, sanitised only
    /// when it would reach a terminal.
    static func document(_ text: String) {
        let shown = isatty(STDOUT_FILENO) == 1 ? TerminalSanitizer.plainText(text) : text
        FileHandle.standardOutput.write(Data((shown + "\n").utf8))
    }
}

func exitStatus(for error: Error) -> Int32 {
    switch error {
    case let error as PreparationError:
        switch error.kind {
        case .config: return ExitCodes.config
        case .jobSpec, .template: return ExitCodes.usage
        case .infoFile, .verification: return ExitCodes.verification
        case .upload, .submission: return ExitCodes.submission
        }
    case is SSHError: return ExitCodes.connection
    case is SubmissionFailed: return ExitCodes.submission
    default: return ExitCodes.submission
    }
}

func loadConfig(_ path: String) throws -> HPCSConfig {
    do {
        return try HPCSConfig.load(path: path)
    } catch {
        throw fail("\(error)", code: ExitCodes.config)
    }
}

/// `--ssh-config FILE` (like `ssh -F`): this file instead of ~/.ssh/config.
func sshConfigFile(_ path: String?) throws -> SSHConfigFile? {
    guard let path else { return nil }
    guard FileManager.default.isReadableFile(atPath: path) else {
        throw fail("--ssh-config \(path): no such readable file", code: ExitCodes.config)
    }
    return SSHConfigFile.load(path: path)
}

func connect(_ config: HPCSConfig, acceptNewHostKey: Bool, sshConfigPath: String? = nil) async throws -> SSHConnection {
    var settings = config.connectionSettings(sshConfig: try sshConfigFile(sshConfigPath))
    // The command line wins over ssh_config, as `ssh -o` does.
    if acceptNewHostKey { settings.strictHostKeyChecking = .acceptNew }
    for warning in settings.configWarnings { Console.error("hpcs-job: warning: \(warning)\n") }
    for (path, reason) in settings.unusableIdentityFiles {
        Console.error("hpcs-job: warning: \(reason) \(path) (\(config.path) [supercomputer] identity-file or ~/.ssh/config IdentityFile)\n")
    }
    do {
        // As the TUI does: a busy login node that drops the handshake
        // (sshd's MaxStartups) is tried again; an unreachable one is not.
        return try await ConnectionManager(settings: settings, interaction: TerminalInteraction(acceptNewHostKeys: acceptNewHostKey),
                                           maxAttempts: 3).connection()
    } catch let SSHError.authentication(user, offered, tried, detail) where tried.contains("keyboard-interactive")
                && !ControllingTerminal.isAvailable {
        let error = SSHError.authentication(user: user, offered: offered, tried: tried, detail: detail)
        throw fail("\(error); the server asks questions (keyboard-interactive: a one-time code or a password) and there is no terminal to ask them on: "
                   + "run hpcs-job in a terminal", code: ExitCodes.connection)
    } catch {
        throw fail("\(error)", code: ExitCodes.connection)
    }
}

func openHistory() throws -> HistoryStore {
    try HistoryStore(url: LocalPaths().historyDatabase)
}

func printJSON(_ value: Any) throws {
    let data = try JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys])
    FileHandle.standardOutput.write(Data((jsonEscapingInvisibles(String(decoding: data, as: UTF8.self)) + "\n").utf8))
}

/// JSON escapes C0 controls itself; C1 controls, bidi overrides and
/// zero-width characters are written as \uXXXX too: the same data, and
/// nothing a terminal would act on.
func jsonEscapingInvisibles(_ json: String) -> String {
    var out = String.UnicodeScalarView()
    for scalar in json.unicodeScalars {
        if (0x80...0x9F).contains(scalar.value) || TerminalSanitizer.isInvisibleFormatting(scalar) {
            out.append(contentsOf: String(format: "\\u%04X", scalar.value).unicodeScalars)
        } else {
            out.append(scalar)
        }
    }
    return String(out)
}

extension SubmissionRecord {
    var jsonObject: [String: Any] { HistoryEntry(self).jsonObject }
}

/// Finds a submission by id, id prefix or job id.
func findRecord(_ reference: String, in history: HistoryStore) throws -> SubmissionRecord {
    guard let record = try history.find(reference) else {
        throw fail("no submission '\(reference)' in \(history.url.path) (see `hpcs-job history`)", code: ExitCodes.usage)
    }
    return record
}
