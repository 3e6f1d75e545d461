import Foundation
import JobPreparation
import SecureShell

/// The end of a remote log, read first: its size, then byte ranges back
/// from the end until `lines` lines are found, so a 1 GiB log costs what its
/// last screen costs.
public enum LogTail {
    public struct Tail: Sendable, Equatable {
        /// The last lines, as bytes (a line cut by a read boundary is not included).
        public var data: Data
        /// The file's size when it was read: following continues from here.
        public var size: Int64
    }

    static let marker = "@@hpcs-job:size"

    /// One round trip per range: the size (first time) and `length` bytes ending at `end`.
    static func command(path: String, end: Int64?, length: Int64) -> RemoteCommand {
        let file = ShellQuote.quote(path)
        let size = end.map(String.init) ?? "$(stat -c %s -- \(file))"
        return RemoteCommand(script: """
            set -e; size=\(size); start=$((size > \(length) ? size - \(length) : 0)); echo "\(marker) $size"; \
            dd if=\(file) bs=65536 iflag=skip_bytes,count_bytes skip="$start" count=$((size - start)) status=none
            """)
    }

    public static func read(path: String, lines: Int, on host: RemoteHost, firstRange: Int64 = 64 << 10) async throws -> Tail {
        var length = firstRange
        var size: Int64?
        while true {
            let result = try await host.run(command(path: path, end: size, length: length))
            guard result.status.succeeded, let newline = result.stdout.firstIndex(of: 0x0A) else {
                throw PreparationError(.submission, "cannot read \(path): \(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
            let header = String(decoding: result.stdout[..<newline], as: UTF8.self)
            guard header.hasPrefix(marker + " "), let total = Int64(header.dropFirst(marker.count + 1)) else {
                throw PreparationError(.submission, "cannot read \(path): unexpected answer \(header.prefix(80))")
            }
            size = total
            let body = Data(result.stdout[result.stdout.index(after: newline)...])
            let wholeFile = length >= total
            if let tail = lastLines(body, count: lines, startsAtLineStart: wholeFile) { return Tail(data: tail, size: total) }
            if wholeFile { return Tail(data: body, size: total) }
            length *= 4
        }
    }

    /// Whole lines just before byte `end` (up to `length` bytes back), for
    /// scrolling up past what was shown first; `start` is where they begin.
    public static func before(_ end: Int64, path: String, length: Int64 = 256 << 10, on host: RemoteHost) async throws -> (data: Data, start: Int64) {
        let result = try await host.run(command(path: path, end: end, length: length))
        guard result.status.succeeded, let newline = result.stdout.firstIndex(of: 0x0A) else {
            throw PreparationError(.submission, "cannot read \(path): \(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        var body = Data(result.stdout[result.stdout.index(after: newline)...])
        var start = max(0, end - length)
        // A range that does not begin the file may begin mid-line: that piece comes with the next range.
        if start > 0, let first = body.firstIndex(of: 0x0A) {
            start += Int64(body.distance(from: body.startIndex, to: first) + 1)
            body = Data(body[body.index(after: first)...])
        }
        return (body, start)
    }

    /// The end of a local file: its last `lines` lines (from at most its last
    /// 4 MiB) and its size. A missing file is empty.
    public static func localEnd(_ url: URL, lines: Int) -> Tail {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return Tail(data: Data(), size: 0) }
        defer { try? handle.close() }
        let size = Int64((try? handle.seekToEnd()) ?? 0)
        let start = max(0, size - (4 << 20))
        try? handle.seek(toOffset: UInt64(start))
        let data = (try? handle.readToEnd()) ?? Data()
        let tail = lastLines(data, count: lines, startsAtLineStart: start == 0)
            ?? data.firstIndex(of: 0x0A).map { Data(data[data.index(after: $0)...]) } ?? data
        return Tail(data: tail, size: size)
    }

    /// The last `count` lines of `data`, or nil when it holds fewer whole lines
    /// (the first may be cut unless `startsAtLineStart`).
    static func lastLines(_ data: Data, count: Int, startsAtLineStart: Bool) -> Data? {
        guard count > 0 else { return Data() }
        var newlines = 0
        var index = data.endIndex
        // A final line without its newline counts as a line.
        if let last = data.last, last == 0x0A { index -= 1 }
        while index > data.startIndex {
            index -= 1
            if data[index] == 0x0A {
                newlines += 1
                if newlines == count { return Data(data[(index + 1)...]) }
            }
        }
        return startsAtLineStart ? data : nil
    }
}
