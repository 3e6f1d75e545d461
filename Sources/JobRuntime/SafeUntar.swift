import CZlib
import Foundation

/// Unpacks a .tar.gz into a directory, refusing anything that could land
/// outside it or act on the system: absolute paths, `..`, links whose
/// target leaves the directory, device files and FIFOs.
public enum SafeUntar {
    public struct Refused: Error, Sendable, Equatable, CustomStringConvertible {
        public let entry: String
        public let reason: String
        public var description: String { "refusing archive entry '\(entry)': \(reason)" }
    }

    public struct Corrupt: Error, Sendable, Equatable, CustomStringConvertible {
        public let reason: String
        public var description: String { "the results archive is corrupt: \(reason)" }
    }

    /// Extracts `archive` (gzip-compressed tar) into `destination`, which
    /// must not exist yet. On any refusal nothing extracted is kept.
    @discardableResult
    public static func extract(_ archive: URL, into destination: URL) throws -> [String] {
        let data = try gunzip(Data(contentsOf: archive))
        try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        do {
            return try untar(data, into: destination)
        } catch {
            try? FileManager.default.removeItem(at: destination)
            throw error
        }
    }

    static func gunzip(_ data: Data) throws -> Data {
        var stream = z_stream()
        guard hpcs_inflate_init_gzip(&stream) == Z_OK else { throw Corrupt(reason: "zlib failed to start") }
        defer { inflateEnd(&stream) }
        var output = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var input = [UInt8](data)
        let status: Int32 = input.withUnsafeMutableBufferPointer { inputBuffer in
            stream.next_in = inputBuffer.baseAddress
            stream.avail_in = UInt32(inputBuffer.count)
            var result = Z_OK
            while result == Z_OK {
                result = buffer.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    let code = inflate(&stream, Z_NO_FLUSH)
                    output.append(out.baseAddress.unsafelyUnwrapped, count: out.count - Int(stream.avail_out))
                    return code
                }
                if result == Z_BUF_ERROR && stream.avail_in == 0 { break }
            }
            return result
        }
        guard status == Z_STREAM_END else { throw Corrupt(reason: "gzip data is damaged or truncated") }
        return output
    }

    static func untar(_ data: Data, into root: URL) throws -> [String] {
        let bytes = [UInt8](data)
        var offset = 0
        var extracted: [String] = []
        var longName: String?
        var longLink: String?
        var paxPath: String?
        var paxLink: String?
        var zeroBlocks = 0
        while offset + 512 <= bytes.count {
            let header = Array(bytes[offset..<(offset + 512)])
            offset += 512
            if header.allSatisfy({ $0 == 0 }) {
                zeroBlocks += 1
                if zeroBlocks == 2 { break }
                continue
            }
            zeroBlocks = 0
            guard checksumMatches(header) else { throw Corrupt(reason: "bad tar header checksum at byte \(offset - 512)") }
            let size = try octal(header[124..<136])
            guard offset + size <= bytes.count else { throw Corrupt(reason: "archive truncated") }
            let body = Array(bytes[offset..<(offset + size)])
            offset += (size + 511) / 512 * 512
            let type = header[156]
            switch type {
            case UInt8(ascii: "L"): longName = string(body); continue
            case UInt8(ascii: "K"): longLink = string(body); continue
            case UInt8(ascii: "x"):
                let records = pax(body)
                paxPath = records["path"]
                paxLink = records["linkpath"]
                continue
            case UInt8(ascii: "g"): continue
            default: break
            }
            var name = longName ?? paxPath ?? fullName(header)
            let link = longLink ?? paxLink ?? string(Array(header[157..<257]))
            longName = nil; longLink = nil; paxPath = nil; paxLink = nil
            while name.hasPrefix("./") { name.removeFirst(2) }
            if name.isEmpty || name == "." { continue }
            let relative = try safeRelativePath(name)
            let target = root.appendingPathComponent(relative)
            try refuseSymlinkedParents(relative, root: root, entry: name)
            let mode = (try? octal(header[100..<108])) ?? 0o644
            switch type {
            case UInt8(ascii: "0"), 0, UInt8(ascii: "7"):
                try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
                let fd = open(target.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode_t(mode & 0o700 | 0o600))
                guard fd >= 0 else { throw Refused(entry: name, reason: "cannot create: \(String(cString: strerror(errno)))") }
                let written = body.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                close(fd)
                guard written == body.count else { throw Corrupt(reason: "cannot write \(name)") }
            case UInt8(ascii: "5"):
                try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            case UInt8(ascii: "2"):
                guard !link.hasPrefix("/") else { throw Refused(entry: name, reason: "symbolic link to an absolute path \(link)") }
                let parent = (relative as NSString).deletingLastPathComponent
                guard (try? safeRelativePath(parent.isEmpty ? link : parent + "/" + link)) != nil else {
                    throw Refused(entry: name, reason: "symbolic link pointing outside the results directory (\(link))")
                }
                try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                try FileManager.default.createSymbolicLink(atPath: target.path, withDestinationPath: link)
            case UInt8(ascii: "1"):
                let source = root.appendingPathComponent(try safeRelativePath(link))
                try FileManager.default.linkItem(at: source, to: target)
            case UInt8(ascii: "3"), UInt8(ascii: "4"), UInt8(ascii: "6"):
                throw Refused(entry: name, reason: "device files and FIFOs are not allowed")
            default:
                throw Refused(entry: name, reason: "unsupported entry type \(Character(UnicodeScalar(type)))")
            }
            extracted.append(relative)
        }
        return extracted
    }

    /// A normalised relative path, or a refusal for absolute paths and `..`.
    static func safeRelativePath(_ name: String) throws -> String {
        guard !name.hasPrefix("/") else { throw Refused(entry: name, reason: "absolute path") }
        var parts: [Substring] = []
        for part in name.split(separator: "/") {
            if part == "." { continue }
            if part == ".." {
                guard !parts.isEmpty else { throw Refused(entry: name, reason: "path leaves the results directory") }
                throw Refused(entry: name, reason: "'..' in a path")
            }
            parts.append(part)
        }
        guard !parts.isEmpty else { throw Refused(entry: name, reason: "empty path") }
        return parts.joined(separator: "/")
    }

    /// Never write through a symlink the archive itself created.
    static func refuseSymlinkedParents(_ relative: String, root: URL, entry: String) throws {
        var current = root
        for part in relative.split(separator: "/").dropLast() {
            current.appendPathComponent(String(part))
            var info = stat()
            if lstat(current.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK {
                throw Refused(entry: entry, reason: "path goes through a symbolic link")
            }
        }
    }

    static func checksumMatches(_ header: [UInt8]) -> Bool {
        guard let stored = try? octal(header[148..<156]) else { return false }
        var sum = 0
        for (index, byte) in header.enumerated() { sum += (148..<156).contains(index) ? 32 : Int(byte) }
        return sum == stored
    }

    static func octal(_ field: ArraySlice<UInt8>) throws -> Int {
        if let first = field.first, first & 0x80 != 0 {
            // GNU base-256 for large sizes.
            return field.dropFirst().reduce(Int(first & 0x7f)) { $0 << 8 | Int($1) }
        }
        let text = String(decoding: field.prefix { $0 != 0 }, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        if text.isEmpty { return 0 }
        guard let value = Int(text, radix: 8), value >= 0 else { throw Corrupt(reason: "bad number '\(text)' in a tar header") }
        return value
    }

    static func string(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    static func fullName(_ header: [UInt8]) -> String {
        let name = string(Array(header[0..<100]))
        let isUstar = header[257..<262].elementsEqual("ustar".utf8)
        let prefix = isUstar ? string(Array(header[345..<500])) : ""
        return prefix.isEmpty ? name : prefix + "/" + name
    }

    /// `length key=value\n` records of a pax extended header.
    static func pax(_ body: [UInt8]) -> [String: String] {
        var records: [String: String] = [:]
        var index = 0
        while index < body.count {
            guard let space = body[index...].firstIndex(of: 0x20),
                  let length = Int(String(decoding: body[index..<space], as: UTF8.self)), length > 0,
                  index + length <= body.count else { break }
            let record = String(decoding: body[(space + 1)..<(index + length - 1)], as: UTF8.self)
            if let equals = record.firstIndex(of: "=") {
                records[String(record[..<equals])] = String(record[record.index(after: equals)...])
            }
            index += length
        }
        return records
    }
}
