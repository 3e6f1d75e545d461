import CLibSSH2

/// The libssh2 this process runs with (not the one it was built against).
public enum LibSSH2 {
    public static var version: String {
        guard let text = libssh2_version(0) else { return "unknown" }
        return String(cString: text)
    }

    /// libssh2 signs RSA keys with SHA-2 (rsa-sha2-256/512) from 1.11 on;
    /// before, only with SHA-1 (ssh-rsa), which OpenSSH 8.8 and later refuse.
    public static var signsRSAWithSHA2: Bool { libssh2_version(0x010b00) != nil }
}
