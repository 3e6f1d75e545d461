import CLibSSH2

/// The libssh2 this process runs with (not the one it was built against).
public enum LibSSH2 {
    public static var version: String {
        guard let text = libssh2_version(0) else { return "unknown" }
        return String(cString: text)
    }
}
