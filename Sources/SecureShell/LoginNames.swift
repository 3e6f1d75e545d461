/// Host and user names as OpenSSH 9.6 accepts them: they reach `/bin/sh`
/// through a ProxyCommand's `%h`/`%r`/`%n` and are written into
/// known_hosts, so a name may only be a name. Hosts: letters, digits, `.`,
/// `-`, `_` (not starting with `-` or `.`), or an IPv6 address, bracketed or
/// not. Users: letters, digits, `.`, `-`, `_`, `@` (directory logins such as
/// `alice@ad.example.org`), not starting with `-`.
public enum LoginNames {
    private static let hostCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")
    private static let userCharacters = hostCharacters.union("@")

    public static func isValidHost(_ name: String) -> Bool {
        if name.hasPrefix("["), name.hasSuffix("]") { return isIPv6(String(name.dropFirst().dropLast())) }
        if name.contains(":") { return isIPv6(name) }
        return !name.isEmpty && name.count <= 255 && !name.hasPrefix("-") && !name.hasPrefix(".")
            && name.allSatisfy { hostCharacters.contains($0) }
    }

    public static func isValidUser(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 255 && !name.hasPrefix("-") && name.allSatisfy { userCharacters.contains($0) }
    }

    /// Hex digits, `:` and the `.` of an embedded IPv4 address, with at least two colons.
    static func isIPv6(_ text: String) -> Bool {
        text.filter { $0 == ":" }.count >= 2 && text.count <= 45 && text.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
    }

    /// Why the host or user of `settings` (or of one of its jump hosts) is
    /// refused, or nil when every one is a valid name.
    public static func problem(in settings: ConnectionSettings) -> String? {
        for hop in [settings] + settings.jumpHosts {
            if !isValidHost(hop.host) { return "'\(visible(hop.host))' is not a valid host name (letters, digits, '.', '-', '_', or an IPv6 address)" }
            if !isValidUser(hop.user) { return "'\(visible(hop.user))' is not a valid user name (letters, digits, '.', '-', '_', '@')" }
        }
        return nil
    }

    /// A name as it may be shown: control characters as `?`.
    public static func visible(_ text: String) -> String {
        String(text.unicodeScalars.map { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) ? "?" : Character($0) })
    }
}
