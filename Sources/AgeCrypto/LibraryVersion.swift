import CSodium

/// The libsodium this process runs with.
public enum Sodium {
    public static var version: String { String(cString: sodium_version_string()) }
}
