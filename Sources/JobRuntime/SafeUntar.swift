import CZlib
import Foundation

/// Unpacks a .tar.gz into a directory in bounded memory, refusing anything
/// that could land outside it or act on the system: absolute paths, `..`,
/// links whose target leaves the directory, device files and FIFOs.
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

    /// What one results archive may unpack to; past any of these it is refused.
    public struct Limits: Sendable, Equatable {
        public var totalBytes: Int
        public var entries: Int
        /// Longest path (and link target) in bytes; no name may exceed 255.
        public var pathBytes: Int

        public init(totalBytes: Int = 64 << 30, entries: Int = 1_000_000, pathBytes: Int = 4096) {
            self.totalBytes = totalBytes
            self.entries = entries
            self.pathBytes = pathBytes
        }
    }

    /// Extracts `archive` (gzip-compressed tar) into `destination`, which
    /// must not exist yet. On any refusal nothing extracted is kept.
    @discardableResult
    public static func extract(_ archive: URL, into destination: URL, limits: Limits = Limits()) throws -> [String] {
        try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        let extractor = TarExtractor(root: destination, limits: limits)
        do {
            try gunzip(archive) { try extractor.consume($0) }
            try extractor.finish()
            return extractor.extracted
        } catch {
            extractor.abandon()
            try? FileManager.default.removeItem(at: destination)
            throw error
        }
    }

    /// Inflates a gzip file chunk by chunk into `sink`.
    static func gunzip(_ url: URL, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let handle = FileHandle(forReadingAtPath: url.path) else { throw Corrupt(reason: "cannot open \(url.path)") }
        defer { try? handle.close() }
        var stream = z_stream()
        guard hpcs_inflate_init_gzip(&stream) == Z_OK else { throw Corrupt(reason: "zlib failed to start") }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: 1 << 18)
        var ended = false
        while !ended, let data = try handle.read(upToCount: 1 << 20), !data.isEmpty {
            var input = [UInt8](data)
            try input.withUnsafeMutableBufferPointer { inputBuffer in
                stream.next_in = inputBuffer.baseAddress
                stream.avail_in = UInt32(inputBuffer.count)
                repeat {
                    let code = output.withUnsafeMutableBufferPointer { out -> Int32 in
                        stream.next_out = out.baseAddress
                        stream.avail_out = UInt32(out.count)
                        return inflate(&stream, Z_NO_FLUSH)
                    }
                    let produced = output.count - Int(stream.avail_out)
                    if produced > 0 { try output.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) } }
                    if code == Z_STREAM_END { ended = true; return }
                    guard code == Z_OK || code == Z_BUF_ERROR else { throw Corrupt(reason: "gzip data is damaged") }
                    if code == Z_BUF_ERROR, stream.avail_in == 0 { return }
                } while stream.avail_in > 0 || stream.avail_out == 0
            }
        }
        guard ended else { throw Corrupt(reason: "gzip data is truncated") }
    }

    /// A normalised relative path, or a refusal for absolute paths and `..`.
    static func safeRelativePath(_ name: String) throws -> String {
        guard !name.hasPrefix("/") else { throw Refused(entry: name, reason: "absolute path") }
        var parts: [Substring] = []
        for part in name.split(separator: "/") {
            if part == "." { continue }
            if part == ".." { throw Refused(entry: name, reason: "'..' in a path") }
            parts.append(part)
        }
        guard !parts.isEmpty else { throw Refused(entry: name, reason: "empty path") }
        return parts.joined(separator: "/")
    }
}
