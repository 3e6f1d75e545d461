import Foundation
import Yams

/// An HPCS info file: where an encrypted image or dataset lies on the
/// cluster and how the job may get its key.
///
///     info:
///       path_at_rest: /scratch/project/alice/data.tgz.age
///       secret_path: kv/alice/data
///       access_role: alice-data
///       checksum: <128 hex digits: SHA-512 of path_at_rest>
///       spiffeID: spiffe://hpcs.example.org/c/alice-data
public struct InfoFile: Sendable, Equatable, Codable {
    public var pathAtRest: String
    public var secretPath: String
    public var accessRole: String
    public var checksum: String
    public var spiffeID: String

    public init(pathAtRest: String, secretPath: String, accessRole: String, checksum: String, spiffeID: String) {
        self.pathAtRest = pathAtRest
        self.secretPath = secretPath
        self.accessRole = accessRole
        self.checksum = checksum
        self.spiffeID = spiffeID
    }

    /// Parses and validates; `file` names the file in errors.
    public static func parse(_ text: String, file: String, trustDomain: String) throws -> InfoFile {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            // The parser's message quotes the file's text: its first line only, printable, short.
            let reason = String("\(error)".split(separator: "\n").first ?? "")
                .unicodeScalars.filter { $0.value >= 0x20 && !(0x7F...0x9F).contains($0.value) }.prefix(160)
            throw PreparationError(.infoFile, file: file, "is not valid YAML: \(String(String.UnicodeScalarView(reason)))")
        }
        guard let info = root?.mapping?["info"], let mapping = info.mapping else {
            throw PreparationError(.infoFile, file: file, line: root?.mark.map { $0.line },
                                   field: "info", "has no `info:` mapping", fix: "the file must start with `info:` and indented fields")
        }
        func field(_ name: String) throws -> (String, Int?) {
            guard let node = mapping[name] else {
                throw PreparationError(.infoFile, file: file, line: info.mark.map { $0.line }, field: "info.\(name)",
                                       "is missing", fix: "add `\(name): …` under `info:`")
            }
            guard let scalar = node.scalar?.string else {
                throw PreparationError(.infoFile, file: file, line: node.mark.map { $0.line }, field: "info.\(name)",
                                       "must be a single value")
            }
            return (scalar, node.mark.map { $0.line })
        }
        let (path, pathLine) = try field("path_at_rest")
        let (secret, secretLine) = try field("secret_path")
        let (role, roleLine) = try field("access_role")
        let (checksum, checksumLine) = try field("checksum")
        let (spiffe, spiffeLine) = try field("spiffeID")
        func fail(_ name: String, _ line: Int?, _ message: String, _ fix: String) -> PreparationError {
            PreparationError(.infoFile, file: file, line: line, field: "info.\(name)", message, fix: fix)
        }
        guard path.hasPrefix("/"), !path.contains(where: \.isControlCharacter), !path.split(separator: "/").contains("..") else {
            throw fail("path_at_rest", pathLine, "'\(path)' is not an absolute path", "give the full path on the cluster, starting with /")
        }
        guard SlurmValue.isBindable(path) else {
            throw fail("path_at_rest", pathLine, "'\(path)' contains ',' or ':', which `singularity --bind` reads as separators",
                       "move or link the file to a path without ',' or ':' and update the info file")
        }
        for (name, value, line) in [("secret_path", secret, secretLine), ("access_role", role, roleLine)] {
            guard !value.isEmpty, !value.contains(where: \.isControlCharacter) else {
                throw fail(name, line, "must be non-empty text without control characters", "copy it from the preparation step's output")
            }
        }
        let hex = checksum.lowercased()
        guard hex.count == 128, hex.allSatisfy({ $0.isHexDigit && $0.isASCII }) else {
            throw fail("checksum", checksumLine, "must be 128 hexadecimal digits (a SHA-512), found \(checksum.count) characters",
                       "recompute it with `sha512sum \(path)`")
        }
        let prefix = "spiffe://\(trustDomain)/"
        guard spiffe.hasPrefix(prefix), spiffe.count > prefix.count,
              spiffe.dropFirst(prefix.count).allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._/~%".contains($0)) }),
              !spiffe.hasSuffix("/"), !spiffe.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
            throw fail("spiffeID", spiffeLine, "'\(spiffe)' is not a SPIFFE ID of trust domain \(trustDomain)",
                       "expected spiffe://\(trustDomain)/<path>")
        }
        return InfoFile(pathAtRest: path, secretPath: secret, accessRole: role, checksum: hex, spiffeID: spiffe)
    }
}

extension Character {
    var isControlCharacter: Bool { unicodeScalars.contains { $0.properties.generalCategory == .control } }
}
