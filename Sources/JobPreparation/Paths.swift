import Foundation

/// Where hpcs-job keeps its local state (XDG base directories).
public struct LocalPaths: Sendable, Equatable {
    public let dataHome: URL
    public let configHome: URL

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let home = URL(fileURLWithPath: environment["HOME"] ?? NSHomeDirectory())
        let data = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? home.appendingPathComponent(".local/share")
        let config = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? home.appendingPathComponent(".config")
        dataHome = data.appendingPathComponent("hpcs-job")
        configHome = config.appendingPathComponent("hpcs-job")
    }

    public var keys: URL { dataHome.appendingPathComponent("keys") }
    public var results: URL { dataHome.appendingPathComponent("results") }
    public var logs: URL { dataHome.appendingPathComponent("logs") }
    public var historyDatabase: URL { dataHome.appendingPathComponent("history.sqlite") }
    public var userTemplates: URL { configHome.appendingPathComponent("templates") }
    public var userThemes: URL { configHome.appendingPathComponent("themes") }

    public func keyFile(submissionID: String) -> URL { keys.appendingPathComponent("\(submissionID).key") }

    /// Creates a private directory (0700) if needed.
    public static func ensurePrivateDirectory(_ url: URL) throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        _ = chmod(url.path, 0o700)
    }
}

/// Where the shipped data (templates, themes) of this installation lives:
/// beside the executable or up to four levels above it, as `Name/` (a
/// checkout's .build/debug/hpcs-job) or `share/hpcs-job/name/` (an install
/// prefix's bin/hpcs-job). Found from the running executable itself, so a
/// binary started through PATH or a symlink finds its own prefix.
public enum Installation {
    public static var executable: URL {
        #if os(Linux)
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: path)
        }
        #endif
        if let url = Bundle.main.executableURL { return url.resolvingSymlinksInPath() }
        return URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
    }

    /// Candidate folders for shipped data named `name` ("Templates", "Themes"), nearest first.
    public static func dataDirectories(_ name: String) -> [URL] {
        var base = executable.deletingLastPathComponent()
        var found: [URL] = []
        for _ in 0..<5 {
            found.append(base.appendingPathComponent(name))
            found.append(base.appendingPathComponent("share/hpcs-job/" + name.lowercased()))
            base = base.deletingLastPathComponent()
        }
        return found
    }
}
