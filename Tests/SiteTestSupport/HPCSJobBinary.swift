import Foundation

/// The built `hpcs-job` executable, run as a user would with a private home.
public enum HPCSJobBinary {
    public static let path = LocalSite.repositoryRoot.appendingPathComponent(".build/debug/hpcs-job").path

    /// Runs it with HOME and the XDG folders inside `home`, nothing else from this environment.
    public static func run(_ arguments: [String], home: URL, limit: Duration = Tool.defaultLimit) throws -> ToolResult {
        try Tool.run(path, arguments, environment: environment(home: home), limit: limit)
    }

    /// That environment: HOME and the XDG folders inside `home`, a bare PATH.
    public static func environment(home: URL) -> [String: String] {
        ["HOME": home.path, "XDG_DATA_HOME": home.appendingPathComponent("data").path,
         "XDG_CONFIG_HOME": home.appendingPathComponent("config").path, "PATH": "/usr/bin:/bin"]
    }
}
