import Foundation

/// Finds SBATCH templates: the user's (`$XDG_CONFIG_HOME/hpcs-job/templates`)
/// first, then the installation's `Templates/` folder.
public struct TemplateStore: Sendable {
    public let directories: [URL]

    public init(directories: [URL]) { self.directories = directories }

    /// User templates, `$HPCS_JOB_TEMPLATES`, then the installation's own.
    public static func standard(paths: LocalPaths = LocalPaths(),
                                environment: [String: String] = ProcessInfo.processInfo.environment) -> TemplateStore {
        var directories = [paths.userTemplates]
        if let explicit = environment["HPCS_JOB_TEMPLATES"] { directories.append(URL(fileURLWithPath: explicit)) }
        directories += Installation.dataDirectories("Templates")
        return TemplateStore(directories: directories)
    }

    /// Template names available (file names without `.sbatch`).
    public func names() -> [String] {
        var names: [String] = []
        for directory in directories {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            for file in files.sorted() where file.hasSuffix(".sbatch") {
                let name = String(file.dropLast(".sbatch".count))
                if !names.contains(name) { names.append(name) }
            }
        }
        return names
    }

    public func load(_ name: String) throws -> Template {
        guard SlurmValue.isIdentifier(name) else {
            throw PreparationError(.template, field: "template", "'\(name)' is not a template name")
        }
        for directory in directories {
            let url = directory.appendingPathComponent("\(name).sbatch")
            if let data = FileManager.default.contents(atPath: url.path) {
                return Template(name: name, text: String(decoding: data, as: UTF8.self))
            }
        }
        throw PreparationError(.template, field: "template", "no template named '\(name)'",
                               fix: "available: \(names().joined(separator: ", ")); add your own in \(directories[0].path)")
    }
}
