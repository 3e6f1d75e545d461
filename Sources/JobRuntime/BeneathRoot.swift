import Foundation

/// Reading results without following links: each folder of a relative path
/// is opened with `openat(O_NOFOLLOW | O_DIRECTORY)` from the root, the file
/// with `O_NOFOLLOW`, so a link in the results (a forged archive can hold
/// one) never makes hpcs-job read or show a file outside them.
public enum BeneathRoot {
    public struct NotPlain: Error, CustomStringConvertible, Equatable {
        public let path: String
        public let reason: String
        public var description: String { "\(path): \(reason)" }
    }

    /// The bytes of `relative` beneath `root`, at most `limit` of them.
    public static func read(_ relative: String, in root: URL, limit: Int) throws -> Data {
        let fd = try open(relative, in: root)
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { throw NotPlain(path: relative, reason: "not a regular file") }
        guard info.st_size <= limit else { throw NotPlain(path: relative, reason: "\(info.st_size) bytes, more than \(limit)") }
        var data = Data(count: Int(info.st_size))
        let count = data.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
        guard count >= 0 else { throw NotPlain(path: relative, reason: String(cString: strerror(errno))) }
        return data.prefix(count)
    }

    /// Whether `relative` beneath `root` is a regular file reached through no link.
    public static func isPlainFile(_ relative: String, in root: URL) -> Bool {
        guard let fd = try? open(relative, in: root) else { return false }
        defer { close(fd) }
        var info = stat()
        return fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// A descriptor of the file, opened component by component without following links.
    static func open(_ relative: String, in root: URL) throws -> Int32 {
        let parts = relative.split(separator: "/").map(String.init)
        guard !parts.isEmpty, !parts.contains(".."), !relative.hasPrefix("/") else { throw NotPlain(path: relative, reason: "not a path beneath the results") }
        var directory = Foundation.open(root.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { throw NotPlain(path: relative, reason: "cannot open \(root.path)") }
        for (index, part) in parts.enumerated() {
            let last = index == parts.count - 1
            let next = openat(directory, part, (last ? O_RDONLY : O_RDONLY | O_DIRECTORY) | O_NOFOLLOW | O_CLOEXEC)
            close(directory)
            guard next >= 0 else {
                throw NotPlain(path: relative, reason: errno == ELOOP || errno == ENOTDIR ? "a link (not followed)" : String(cString: strerror(errno)))
            }
            directory = next
        }
        return directory
    }
}
