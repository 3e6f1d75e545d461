/// Entry point of the terminal UI.
public enum HPCSJobApplication {
    public static func run(configPath: String?, themeName: String?) async -> Int32 {
        print("hpcs-job terminal UI: config \(configPath ?? "(none)")")
        return 0
    }
}
