import Foundation

/// A tar stream consumed as it arrives: headers parsed, file bodies written
/// straight to disk, so memory stays bounded whatever the archive's size.
final class TarExtractor {
    private enum State {
        case header
        case file(fd: Int32, remaining: Int, padding: Int)
        case meta(type: UInt8, remaining: Int, padding: Int, data: [UInt8])
        case skip(remaining: Int)
        case done
    }

    let root: URL
    let limits: SafeUntar.Limits
    private(set) var extracted: [String] = []
    private var totalBytes = 0
    private var state = State.header
    private var pending: [UInt8] = []
    private var offset = 0
    private var zeroBlocks = 0
    private var longName: String?
    private var longLink: String?
    private var pax: [String: String] = [:]
    private static let metaLimit = 1 << 20

    init(root: URL, limits: SafeUntar.Limits) {
        self.root = root
        self.limits = limits
    }

    func consume(_ bytes: UnsafeRawBufferPointer) throws {
        if offset > 0, offset == pending.count { pending.removeAll(keepingCapacity: true); offset = 0 }
        pending.append(contentsOf: bytes)
        while try step() {}
        if offset > 1 << 20 { pending.removeFirst(offset); offset = 0 }
    }

    /// The archive ended: it must not stop inside an entry.
    func finish() throws {
        switch state {
        case .header, .done: return
        default: throw SafeUntar.Corrupt(reason: "archive truncated")
        }
    }

    /// Closes a file left open by an error.
    func abandon() {
        if case let .file(fd, _, _) = state { close(fd) }
        state = .done
    }

    private var available: Int { pending.count - offset }

    /// One unit of progress; false when more input is needed.
    private func step() throws -> Bool {
        switch state {
        case .done:
            offset = pending.count
            return false
        case .header:
            guard available >= 512 else { return false }
            let header = Array(pending[offset..<(offset + 512)])
            offset += 512
            try begin(header)
            return true
        case let .file(fd, remaining, padding):
            if remaining > 0 {
                let count = min(remaining, available)
                guard count > 0 else { return false }
                let written = pending.withUnsafeBytes { write(fd, $0.baseAddress.unsafelyUnwrapped + offset, count) }
                guard written == count else { throw SafeUntar.Corrupt(reason: "cannot write a file: \(String(cString: strerror(errno)))") }
                offset += count
                state = .file(fd: fd, remaining: remaining - count, padding: padding)
                return true
            }
            close(fd)
            state = .skip(remaining: padding)
            return true
        case .meta(let type, let remaining, let padding, var data):
            if remaining > 0 {
                let count = min(remaining, available)
                guard count > 0 else { return false }
                data += pending[offset..<(offset + count)]
                offset += count
                state = .meta(type: type, remaining: remaining - count, padding: padding, data: data)
                return true
            }
            applyMeta(type, data)
            state = .skip(remaining: padding)
            return true
        case let .skip(remaining):
            if remaining == 0 { state = .header; return true }
            let count = min(remaining, available)
            guard count > 0 else { return false }
            offset += count
            state = .skip(remaining: remaining - count)
            return true
        }
    }

    private func begin(_ header: [UInt8]) throws {
        if header.allSatisfy({ $0 == 0 }) {
            zeroBlocks += 1
            if zeroBlocks == 2 { state = .done }
            return
        }
        zeroBlocks = 0
        guard Self.checksumMatches(header) else { throw SafeUntar.Corrupt(reason: "bad tar header checksum") }
        let headerSize = try Self.octal(header[124..<136])
        let type = header[156]
        switch type {
        case UInt8(ascii: "L"), UInt8(ascii: "K"), UInt8(ascii: "x"), UInt8(ascii: "g"):
            guard headerSize <= Self.metaLimit else { throw SafeUntar.Corrupt(reason: "oversized extended header") }
            state = .meta(type: type, remaining: headerSize, padding: Self.padding(headerSize), data: [])
            return
        default:
            break
        }
        var name = longName ?? pax["path"] ?? Self.fullName(header)
        let link = longLink ?? pax["linkpath"] ?? Self.string(Array(header[157..<257]))
        // A pax size (files over 8 GiB) replaces the header's.
        let paxSize = pax["size"]
        longName = nil; longLink = nil; pax = [:]
        let size: Int
        if let paxSize {
            guard let value = Int(paxSize), value >= 0 else { throw SafeUntar.Corrupt(reason: "bad pax size '\(paxSize.prefix(40))'") }
            size = value
        } else {
            size = headerSize
        }
        // Every size is bounded before any arithmetic on it.
        guard size <= limits.totalBytes - totalBytes else {
            throw SafeUntar.Refused(entry: name, reason: "the results would exceed \(limits.totalBytes) bytes unpacked")
        }
        totalBytes += size
        let padding = Self.padding(size)
        guard extracted.count < limits.entries else {
            throw SafeUntar.Refused(entry: name, reason: "more than \(limits.entries) entries")
        }
        // A NUL (a pax name can hold one) ends the name for the kernel but not
        // for the checks here: "..\0" is not "..", until symlink() reads it.
        for (what, text) in [("name", name), ("link target", link)] where text.unicodeScalars.contains(where: Self.isControl) {
            throw SafeUntar.Refused(entry: Self.visible(name), reason: "a \(what) with a NUL or control character")
        }
        guard name.utf8.count <= limits.pathBytes, link.utf8.count <= limits.pathBytes,
              !name.split(separator: "/").contains(where: { $0.utf8.count > 255 }) else {
            throw SafeUntar.Refused(entry: String(name.prefix(80)) + "…", reason: "path longer than \(limits.pathBytes) bytes or a name over 255")
        }
        while name.hasPrefix("./") { name.removeFirst(2) }
        if name.isEmpty || name == "." || name == "./" {
            state = .skip(remaining: size + padding)
            return
        }
        let relative = try SafeUntar.safeRelativePath(name)
        let target = root.appendingPathComponent(relative)
        try refuseSymlinkedParents(relative, entry: name)
        switch type {
        case UInt8(ascii: "0"), 0, UInt8(ascii: "7"):
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            let mode = (try? Self.octal(header[100..<108])) ?? 0o644
            let fd = open(target.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode_t(mode & 0o700 | 0o600))
            guard fd >= 0 else { throw SafeUntar.Refused(entry: name, reason: "cannot create: \(String(cString: strerror(errno)))") }
            state = .file(fd: fd, remaining: size, padding: padding)
        case UInt8(ascii: "5"):
            try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            state = .skip(remaining: size + padding)
        case UInt8(ascii: "2"):
            guard !link.hasPrefix("/") else { throw SafeUntar.Refused(entry: name, reason: "symbolic link to an absolute path \(link)") }
            let parent = relative.split(separator: "/").dropLast().joined(separator: "/")
            guard resolvesInside(from: parent, target: link) else {
                throw SafeUntar.Refused(entry: name, reason: "symbolic link pointing outside the results directory (\(link))")
            }
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: target.path, withDestinationPath: link)
            state = .skip(remaining: size + padding)
        case UInt8(ascii: "1"):
            let sourceRelative = try SafeUntar.safeRelativePath(link)
            try refuseSymlinkedParents(sourceRelative, entry: name)
            let source = root.appendingPathComponent(sourceRelative)
            var info = stat()
            guard lstat(source.path, &info) == 0 else {
                throw SafeUntar.Refused(entry: name, reason: "hard link to \(link), which the archive did not create before")
            }
            guard (info.st_mode & S_IFMT) == S_IFREG else {
                throw SafeUntar.Refused(entry: name, reason: "hard link to \(link), which is not a regular file")
            }
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            guard Foundation.link(source.path, target.path) == 0 else {
                throw SafeUntar.Refused(entry: name, reason: "cannot create the hard link: \(String(cString: strerror(errno)))")
            }
            state = .skip(remaining: size + padding)
        case UInt8(ascii: "3"), UInt8(ascii: "4"), UInt8(ascii: "6"):
            throw SafeUntar.Refused(entry: name, reason: "device files and FIFOs are not allowed")
        default:
            throw SafeUntar.Refused(entry: name, reason: "unsupported entry type \(Character(UnicodeScalar(type)))")
        }
        extracted.append(relative)
    }

    private func applyMeta(_ type: UInt8, _ data: [UInt8]) {
        switch type {
        case UInt8(ascii: "L"): longName = Self.string(data)
        case UInt8(ascii: "K"): longLink = Self.string(data)
        case UInt8(ascii: "x"): pax = Self.paxRecords(data)
        default: break // global pax headers carry nothing we use
        }
    }

    /// Whether a link in `parent` to `target` stays beneath the root when the
    /// kernel follows it, through the links this archive made already (they
    /// never change once made). A `..` after a component that does not exist
    /// yet is refused: what the archive makes there later could be a link.
    private func resolvesInside(from parent: String, target: String) -> Bool {
        guard !target.hasPrefix("/") else { return false }
        var stack = parent.split(separator: "/").map(String.init)
        var pending = target.split(separator: "/").map(String.init)
        var hops = 0, unmade = 0
        while !pending.isEmpty {
            let part = pending.removeFirst()
            if part == "." { continue }
            if part == ".." {
                if stack.isEmpty || unmade > 0 { return false }
                stack.removeLast()
                continue
            }
            stack.append(part)
            if unmade > 0 { unmade += 1; continue }
            let path = root.appendingPathComponent(stack.joined(separator: "/")).path
            var info = stat()
            guard lstat(path, &info) == 0 else { unmade = 1; continue }
            guard (info.st_mode & S_IFMT) == S_IFLNK else { continue }
            hops += 1
            guard hops <= 40, let next = try? FileManager.default.destinationOfSymbolicLink(atPath: path), !next.hasPrefix("/") else {
                return false
            }
            stack.removeLast()
            pending = next.split(separator: "/").map(String.init) + pending
        }
        return true
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool { scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) }

    /// A name as it may be shown: control characters as `?`.
    static func visible(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { isControl($0) ? "?" : $0 }))
    }

    /// Never write through a symlink the archive itself created.
    private func refuseSymlinkedParents(_ relative: String, entry: String) throws {
        var current = root
        for part in relative.split(separator: "/").dropLast() {
            current.appendPathComponent(String(part))
            var info = stat()
            if lstat(current.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK {
                throw SafeUntar.Refused(entry: entry, reason: "path goes through a symbolic link")
            }
        }
    }

    static func checksumMatches(_ header: [UInt8]) -> Bool {
        guard let stored = try? octal(header[148..<156]) else { return false }
        var sum = 0
        for (index, byte) in header.enumerated() { sum += (148..<156).contains(index) ? 32 : Int(byte) }
        return sum == stored
    }

    static func padding(_ size: Int) -> Int { (512 - size % 512) % 512 }

    static func octal(_ field: ArraySlice<UInt8>) throws -> Int {
        if let first = field.first, first & 0x80 != 0 {
            // GNU base-256 for large sizes: bit 6 of the first byte is the sign.
            guard first & 0x40 == 0 else { throw SafeUntar.Corrupt(reason: "negative number in a tar header") }
            var value = Int(first & 0x3f)
            for byte in field.dropFirst() {
                guard value <= Int.max >> 8 else { throw SafeUntar.Corrupt(reason: "number out of range in a tar header") }
                value = value << 8 | Int(byte)
            }
            return value
        }
        let text = String(decoding: field.prefix { $0 != 0 }, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        if text.isEmpty { return 0 }
        guard let value = Int(text, radix: 8), value >= 0 else { throw SafeUntar.Corrupt(reason: "bad number '\(text)' in a tar header") }
        return value
    }

    static func string(_ bytes: [UInt8]) -> String { String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self) }

    static func fullName(_ header: [UInt8]) -> String {
        let name = string(Array(header[0..<100]))
        let prefix = header[257..<262].elementsEqual("ustar".utf8) ? string(Array(header[345..<500])) : ""
        return prefix.isEmpty ? name : prefix + "/" + name
    }

    /// `length key=value\n` records of a pax extended header.
    static func paxRecords(_ body: [UInt8]) -> [String: String] {
        var records: [String: String] = [:]
        var index = 0
        while index < body.count {
            // "LEN key=value\n": LEN counts the whole record, so it must reach past the space.
            guard let space = body[index...].firstIndex(of: 0x20),
                  let length = Int(String(decoding: body[index..<space], as: UTF8.self)),
                  length > space - index + 1, length <= body.count - index else { break }
            let record = String(decoding: body[(space + 1)..<(index + length - 1)], as: UTF8.self)
            if let equals = record.firstIndex(of: "=") {
                records[String(record[..<equals])] = String(record[record.index(after: equals)...])
            }
            index += length
        }
        return records
    }
}
