import ArgumentParser
import Foundation

/// `hpcs-job manual --output-directory DIR`: man pages (man(7) macros) for
/// the command and each subcommand, written from the parser's own
/// description of itself, so they never drift from `--help`. Used by
/// Scripts/install; hidden from help and completions.
struct Manual: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the man pages (hpcs-job.1, hpcs-job-SUBCOMMAND.1).", shouldDisplay: false)

    @Option(name: .long, help: "Where to write the pages.") var outputDirectory: String

    func run() throws {
        let dump = try JSONDecoder().decode(HelpDump.self, from: Data(HPCSJob._dumpHelp().utf8))
        let root = dump.command
        let directory = URL(fileURLWithPath: outputDirectory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let visible = (root.subcommands ?? []).filter { $0.shouldDisplay != false && $0.commandName != "help" }
        try ManualPage.render(root, path: ["hpcs-job"], subcommands: visible)
            .write(to: directory.appendingPathComponent("hpcs-job.1"), atomically: true, encoding: .utf8)
        for command in visible {
            try ManualPage.render(command, path: ["hpcs-job", command.commandName], subcommands: [])
                .write(to: directory.appendingPathComponent("hpcs-job-\(command.commandName).1"), atomically: true, encoding: .utf8)
        }
    }
}

/// The part of swift-argument-parser's `--experimental-dump-help` JSON the pages use.
struct HelpDump: Decodable {
    struct Command: Decodable {
        let commandName: String
        let abstract: String?
        let discussion: String?
        let shouldDisplay: Bool?
        let arguments: [Argument]?
        let subcommands: [Command]?
    }

    struct Argument: Decodable {
        struct Name: Decodable {
            let kind: String
            let name: String
        }
        let kind: String
        let abstract: String?
        let discussion: String?
        let names: [Name]?
        let valueName: String?
        let defaultValue: String?
        let isOptional: Bool
        let isRepeating: Bool
        let shouldDisplay: Bool

        /// `-p, --partition <partition>` as the user types it.
        var spelling: [String] {
            (names ?? []).map { name in
                switch name.kind {
                case "short", "longWithSingleDash": "-" + name.name
                default: "--" + name.name
                }
            }
        }
    }

    let command: Command
}

enum ManualPage {
    static func render(_ command: HelpDump.Command, path: [String], subcommands: [HelpDump.Command]) -> String {
        let title = path.joined(separator: "-")
        var page = [".TH \(escape(title.uppercased())) 1 \"\" \"hpcs-job \(VersionInfo.number)\" \"User Commands\"",
                    ".SH NAME", "\(escape(title)) \\- \(escape(command.abstract ?? ""))", ".SH SYNOPSIS"]
        let arguments = (command.arguments ?? []).filter(\.shouldDisplay)
        var synopsis = ".B \(escape(path.joined(separator: " ")))"
        if !subcommands.isEmpty { synopsis += "\n[\\fIsubcommand\\fR]" }
        for argument in arguments where !["help", "version"].contains(argument.names?.first?.name ?? "") {
            var word = argument.kind == "positional" ? "\\fI\(escape(argument.valueName ?? "value"))\\fR"
                : "\\fB\(escape(argument.spelling.last ?? ""))\\fR"
            if argument.kind == "option" { word += " \\fI\(escape(argument.valueName ?? "value"))\\fR" }
            if argument.isRepeating { word += " ..." }
            synopsis += "\n" + (argument.isOptional ? "[\(word)]" : word)
        }
        page.append(synopsis)
        if let discussion = command.discussion, !discussion.isEmpty {
            page += [".SH DESCRIPTION", paragraphs(discussion)]
        } else if let abstract = command.abstract {
            page += [".SH DESCRIPTION", paragraphs(abstract)]
        }
        if !subcommands.isEmpty {
            page.append(".SH SUBCOMMANDS")
            for sub in subcommands {
                page += [".TP", "\\fB\(escape(sub.commandName))\\fR", escape(sub.abstract ?? ""),
                         "See \\fBhpcs-job-\(escape(sub.commandName))\\fR(1)."]
            }
        }
        if !arguments.isEmpty {
            page.append(".SH OPTIONS")
            for argument in arguments {
                var head = argument.kind == "positional" ? "\\fI\(escape(argument.valueName ?? "value"))\\fR"
                    : argument.spelling.map { "\\fB\(escape($0))\\fR" }.joined(separator: ", ")
                if argument.kind == "option" { head += " \\fI\(escape(argument.valueName ?? "value"))\\fR" }
                var text = escape(argument.abstract ?? "")
                if let value = argument.defaultValue, !value.isEmpty { text += " (default: \(escape(value)))" }
                page += [".TP", head, text]
                if let discussion = argument.discussion, !discussion.isEmpty { page.append(paragraphs(discussion)) }
            }
        }
        if path.count == 1 { page += common }
        return page.joined(separator: "\n") + "\n"
    }

    /// Sections only the main page carries.
    static let common = [
        ".SH EXIT STATUS",
        ".TP", "0", "done",
        ".TP", "64", "usage or invalid job options",
        ".TP", "65", "info file or checksum verification",
        ".TP", "69", "connection or host key",
        ".TP", "70", "submission (upload, sbatch) or a cluster-side check of \\fBdoctor\\fR",
        ".TP", "78", "configuration",
        ".SH ENVIRONMENT",
        ".TP", "HPCS_JOB_THEME", "colour theme of the terminal UI (default, light, high-contrast, monochrome, or your own)",
        ".TP", "NO_COLOR", "no colours when set",
        ".TP", "XDG_CONFIG_HOME, XDG_DATA_HOME", "where hpcs-job keeps its configuration (templates, themes, keys.conf) and its data",
        ".SH FILES",
        ".TP", "$XDG_DATA_HOME/hpcs-job/history.sqlite", "the record of submissions",
        ".TP", "$XDG_DATA_HOME/hpcs-job/keys/", "each job's private output key (0600, never uploaded)",
        ".TP", "$XDG_CONFIG_HOME/hpcs-job/templates/, themes/, keys.conf", "your own templates, themes and key bindings",
        ".SH SEE ALSO", "\\fBssh_config\\fR(5), \\fBsbatch\\fR(1), \\fBage\\fR(1)",
    ]

    /// Blank lines separate paragraphs; each line is escaped.
    static func paragraphs(_ text: String) -> String {
        text.components(separatedBy: "\n\n").map { paragraph in
            paragraph.split(separator: "\n").map { escape(String($0)) }.joined(separator: "\n")
        }.joined(separator: "\n.PP\n")
    }

    /// Text safe in roff: backslashes doubled, dashes unambiguous, and no
    /// line that starts like a request.
    static func escape(_ text: String) -> String {
        var escaped = text.replacingOccurrences(of: "\\", with: "\\e").replacingOccurrences(of: "-", with: "\\-")
        if escaped.hasPrefix(".") || escaped.hasPrefix("'") { escaped = "\\&" + escaped }
        return escaped
    }
}
