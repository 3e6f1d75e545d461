import ArgumentParser
import Foundation
import History
import JobPreparation
import JobRuntime
import SecureShell
import TerminalUI

/// Questions asked on the terminal when stdin is one; refusals otherwise.
struct TerminalInteraction: SSHInteraction {
    let acceptNewHostKeys: Bool

    var isTerminal: Bool { isatty(STDIN_FILENO) == 1 }

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
        Console.error("""
            The authenticity of host \(key.hostDescription) can't be established.
            \(key.keyType) key fingerprint is \(key.fingerprint).
            Are you sure you want to continue connecting (yes/no)? 
            """)
        let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased()
        return answer == "yes" ? .acceptAndRemember : .refuse
    }

    func passphrase(forKeyFile path: String, attempt: Int) async -> String? {
        guard isTerminal, let text = getpass("Enter passphrase for key '\(path)': ") else { return nil }
        return String(cString: text)
    }

    func respond(to challenge: KeyboardInteractiveChallenge) async -> [String]? {
        guard isTerminal else { return nil }
        // The server's texts are outside text: sanitised like everything else shown.
        if !challenge.name.isEmpty { Console.error(challenge.name + "\n") }
        if !challenge.instruction.isEmpty { Console.error(challenge.instruction + "\n") }
        return challenge.prompts.map { prompt in
            let text = TerminalSanitizer.plainText(prompt.text).replacingOccurrences(of: "\n", with: " ")
            if prompt.echo {
                Console.error(text)
                return readLine() ?? ""
            }
            return getpass(text).map { String(cString: $0) } ?? ""
        }
    }

    func password(user: String, host: String) async -> String? {
        guard isTerminal, let text = getpass("\(user)@\(host)'s password: ") else { return nil }
        return String(cString: text)
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

func connect(_ config: HPCSConfig, acceptNewHostKey: Bool) async throws -> SSHConnection {
    let settings = config.connectionSettings()
    for (path, reason) in settings.unusableIdentityFiles {
        Console.error("hpcs-job: warning: \(reason) \(path) (\(config.path) [supercomputer] identity-file or ~/.ssh/config IdentityFile)\n")
    }
    do {
        return try await SSHConnection.connect(settings,
                                               interaction: TerminalInteraction(acceptNewHostKeys: acceptNewHostKey))
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
    var jsonObject: [String: Any] {
        var object: [String: Any] = [
            "submission_id": id, "job_id": jobID ?? NSNull(), "job_name": spec.jobName, "state": state ?? (stage == .failed ? "FAILED_TO_SUBMIT" : NSNull()),
            "stage": stage.rawValue, "created_at": ISO8601DateFormatter().string(from: createdAt),
            "cluster": "\(clusterUser)@\(clusterHost):\(clusterPort)", "remote_dir": remoteDir ?? NSNull(),
            "exit_code": exitCode ?? NSNull(), "workdir": spec.workdir,
        ]
        if let failure { object["failure"] = failure }
        return object
    }
}

/// Finds a submission by id, id prefix or job id.
func findRecord(_ reference: String, in history: HistoryStore) throws -> SubmissionRecord {
    guard let record = try history.find(reference) else {
        throw fail("no submission '\(reference)' in \(history.url.path) (see `hpcs-job history`)", code: ExitCodes.usage)
    }
    return record
}
