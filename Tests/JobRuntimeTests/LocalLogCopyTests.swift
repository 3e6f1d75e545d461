import Foundation
import JobRuntime
import SiteTestSupport
import Testing

/// The local copy of a log is always a prefix of the remote file: bytes
/// from further on wait beside it until the range between is filled in.
struct LocalLogCopyTests {
    func scratch() throws -> URL { try Tool.temporaryDirectory() }

    func contents(_ url: URL) -> String { (try? String(contentsOf: url, encoding: .utf8)) ?? "<none>" }

    func sideFiles(_ directory: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.contains(".tail-") }
    }

    @Test func bytesAfterAGapWaitBesideTheCopyUntilItIsFilledIn() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("job.log")
        let copy = try LocalLogCopy(url: url)
        try copy.write(Data("0123".utf8), at: 0)
        try copy.startFollowing(at: 10)
        #expect(copy.gap == 4..<10)
        try copy.write(Data("ABC".utf8), at: 10)
        try copy.write(Data("DE".utf8), at: 13)
        #expect(contents(url) == "0123" && copy.size == 4, "the copy stays a prefix: nothing beyond the gap yet")
        #expect(sideFiles(directory).count == 1)
        let side = directory.appendingPathComponent(sideFiles(directory)[0])
        let mode = (try FileManager.default.attributesOfItem(atPath: side.path)[.posixPermissions] as? Int) ?? 0
        #expect(mode & 0o077 == 0, "the side file is private: \(String(mode, radix: 8))")
        try copy.fill(Data("45".utf8))
        #expect(contents(url) == "012345" && copy.gap == 6..<10)
        try copy.fill(Data("6789extra".utf8))
        #expect(contents(url) == "0123456789ABCDE" && copy.gap == nil && copy.size == 15)
        #expect(sideFiles(directory).isEmpty, "the side file joined the copy and is gone")
        try copy.write(Data("F".utf8), at: 15)
        try copy.write(Data("EFG".utf8), at: 14) // overlaps what is here: only the new byte is added
        #expect(contents(url) == "0123456789ABCDEFG")
    }

    /// A follower killed with bytes still beside the copy leaves a valid
    /// prefix; the next one removes the leftover and goes on from the prefix.
    @Test func aKilledFollowersSideFileIsRemovedAndThePrefixKept() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("job.log")
        try Data("abc".utf8).write(to: url)
        // As a SIGKILLed follower leaves it.
        _ = FileManager.default.createFile(atPath: directory.appendingPathComponent(".job.log.tail-Xy12Ab").path, contents: Data("zzz".utf8))
        _ = FileManager.default.createFile(atPath: directory.appendingPathComponent(".other.log.tail-Xy12Ab").path, contents: Data())
        let copy = try LocalLogCopy(url: url)
        #expect(copy.size == 3 && copy.isKept)
        #expect(sideFiles(directory) == [".other.log.tail-Xy12Ab"], "only this log's leftovers go")
    }

    /// Two followers of one job (the TUI and `logs -f`): the second follows
    /// without writing, so no byte lands twice.
    @Test func aSecondKeeperOfTheSameCopyWritesNothing() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("job.log")
        let first = try LocalLogCopy(url: url)
        let second = try LocalLogCopy(url: url)
        #expect(first.isKept && !second.isKept)
        try first.write(Data("one\n".utf8), at: 0)
        try second.write(Data("one\n".utf8), at: 0)
        try second.write(Data("two\n".utf8), at: 4)
        #expect(contents(url) == "one\n")
    }

    @Test func aSymlinkInPlaceOfTheCopyIsNotFollowed() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let target = directory.appendingPathComponent("elsewhere")
        _ = FileManager.default.createFile(atPath: target.path, contents: Data("keep".utf8))
        let url = directory.appendingPathComponent("job.log")
        try FileManager.default.createSymbolicLink(at: url, withDestinationURL: target)
        #expect(throws: LocalLogCopy.Failure.self) { try LocalLogCopy(url: url) }
        #expect(contents(target) == "keep")
    }
}
