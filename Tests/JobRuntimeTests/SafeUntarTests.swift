import Foundation
import JobRuntime
import SiteTestSupport
import Testing

/// The results unpacker on archives made by Python's tarfile (which can
/// write anything, including what must be refused).
struct SafeUntarTests {
    func archive(_ python: String) throws -> (URL, URL) {
        let dir = try Tool.temporaryDirectory()
        let file = dir.appendingPathComponent("a.tgz")
        let script = "import io, sys, tarfile\nt = tarfile.open(sys.argv[1], 'w:gz', format=tarfile.GNU_FORMAT)\n"
            + "def add(name, data=b'', **kw):\n    i = tarfile.TarInfo(name); i.size = len(data)\n"
            + "    [setattr(i, k, v) for k, v in kw.items()]\n    t.addfile(i, io.BytesIO(data) if data else None)\n"
            + python + "\nt.close()\n"
        let result = try Tool.run("/usr/bin/python3", ["-c", script, file.path])
        #expect(result.status == 0, "\(result.err)")
        return (file, dir)
    }

    @Test func unpacksLargeFilesLongNamesAndInsideLinks() throws {
        let (file, dir) = try archive("""
            import os
            big = os.urandom(5 * 1024 * 1024 + 7)
            open(sys.argv[1] + '.big', 'wb').write(big)
            add('out/big.bin', big)
            add('out/' + 'n' * 150 + '.txt', b'long name')
            add('out/dir', type=tarfile.DIRTYPE)
            add('out/link', type=tarfile.SYMTYPE, linkname='big.bin')
            add('./out/stdout', b'hello\\n')
            """)
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("x")
        let files = try SafeUntar.extract(file, into: target)
        #expect(files.contains("out/big.bin") && files.contains("out/stdout") && files.contains("out/" + String(repeating: "n", count: 150) + ".txt"))
        #expect(try Data(contentsOf: target.appendingPathComponent("out/big.bin")) == Data(contentsOf: dir.appendingPathComponent("a.tgz.big")))
        #expect(try String(contentsOf: target.appendingPathComponent("out/stdout"), encoding: .utf8) == "hello\n")
        // The inside link is a link, to its target, and reads through.
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: target.appendingPathComponent("out/link").path) == "big.bin")
        #expect(try Data(contentsOf: target.appendingPathComponent("out/link")) == Data(contentsOf: dir.appendingPathComponent("a.tgz.big")))
        #expect(files.contains("out/link") && files.contains("out/dir"))
    }

    @Test(arguments: [
        ("add('/etc/evil', b'x')", "absolute path"),
        ("add('a/../../evil', b'x')", "'..'"),
        ("add('a/link', type=tarfile.SYMTYPE, linkname='../../etc/passwd')", "outside"),
        ("add('a/link', type=tarfile.SYMTYPE, linkname='/etc/passwd')", "absolute path"),
        ("add('dev', type=tarfile.CHRTYPE, devmajor=1, devminor=3)", "device"),
        ("add('a/l', type=tarfile.SYMTYPE, linkname='.'); add('a/l/x', b'x')", "symbolic link"),
        // Lexically inside, but through a link the archive made: d/x is the root, d/x/.. its parent.
        ("add('d/x', type=tarfile.SYMTYPE, linkname='..'); add('y', type=tarfile.SYMTYPE, linkname='d/x/..')", "outside"),
        // The same in the other order: '..' after a path not made yet (it could become a link).
        ("add('a', type=tarfile.SYMTYPE, linkname='s/b/..'); add('s/b', type=tarfile.SYMTYPE, linkname='..')", "outside"),
    ])
    func dangerousEntriesAreRefusedAndNothingIsKept(python: String, reason: String) throws {
        let (file, dir) = try archive("add('ok.txt', b'fine')\n" + python)
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("x")
        #expect {
            try SafeUntar.extract(file, into: target)
        } throws: { error in "\(error)".contains(reason) }
        #expect(!FileManager.default.fileExists(atPath: target.path))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("evil").path))
    }

    @Test func truncatedArchivesAreCorrupt() throws {
        let (file, dir) = try archive("import os\nadd('f', os.urandom(300000))")
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try Data(contentsOf: file)
        try data.prefix(data.count / 2).write(to: file)
        #expect(throws: SafeUntar.Corrupt.self) { try SafeUntar.extract(file, into: dir.appendingPathComponent("x")) }
    }

    @Test func aLinkThroughTheArchivesOwnLinksThatStaysInsideIsKept() throws {
        let (file, dir) = try archive("add('ok.txt', b'fine'); add('d/x', type=tarfile.SYMTYPE, linkname='..')\n"
                                      + "add('z', type=tarfile.SYMTYPE, linkname='d/x/ok.txt')")
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("x")
        _ = try SafeUntar.extract(file, into: target)
        #expect(try String(contentsOf: target.appendingPathComponent("z"), encoding: .utf8) == "fine")
    }

}

/// Archives no honest tar writes: raw headers with hostile numbers, links
/// and sizes. Each must end in a named refusal or corruption, never a trap,
/// a stall or files left behind.
struct HostileArchiveTests {
    /// A ustar header; `rawSize` replaces the size field's 12 bytes.
    static func header(_ name: String, type: Character = "0", size: Int = 0, rawSize: [UInt8]? = nil,
                       link: String = "") -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            for (index, byte) in text.utf8.prefix(width).enumerated() { block[offset + index] = byte }
        }
        put(name, at: 0, width: 100)
        put("0000644", at: 100, width: 8)
        put(rawSize == nil ? String(format: "%011o", size) : "", at: 124, width: 12)
        if let rawSize { for (index, byte) in rawSize.enumerated() { block[124 + index] = byte } }
        put(String(format: "%011o", 0), at: 136, width: 12)
        block[156] = type.asciiValue ?? 0
        put(link, at: 157, width: 100)
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        for index in 148..<156 { block[index] = 0x20 }
        let sum = block.reduce(0) { $0 + Int($1) }
        put(String(format: "%06o", sum), at: 148, width: 6)
        block[154] = 0
        return block
    }

    static func body(_ data: [UInt8]) -> [UInt8] { data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512) }

    /// Gzips the blocks (plus the end-of-archive zeros) and unpacks them.
    func unpack(_ blocks: [UInt8], limits: SafeUntar.Limits = SafeUntar.Limits()) throws -> (Result<[String], Error>, URL) {
        let dir = try Tool.temporaryDirectory()
        let tar = Data(blocks + [UInt8](repeating: 0, count: 1024))
        let gz = try Tool.run("/bin/gzip", ["-c"], stdin: tar)
        let file = dir.appendingPathComponent("a.tgz")
        try gz.stdout.write(to: file)
        let target = dir.appendingPathComponent("x")
        return (Result { try SafeUntar.extract(file, into: target, limits: limits) }, target)
    }

    @Test(arguments: [
        ("base-256 size out of range", [0x80] + [UInt8](repeating: 0xFF, count: 11), "out of range"),
        ("negative base-256 size", [UInt8](repeating: 0xFF, count: 12), "negative"),
        ("size that overflows with its padding", [0x80, 0, 0, 0] + [0x7F] + [UInt8](repeating: 0xFF, count: 7), "exceed"),
    ] as [(String, [UInt8], String)])
    func hostileSizesAreRefused(_ what: String, size: [UInt8], reason: String) throws {
        for type: Character in ["0", "5"] {
            let (result, target) = try unpack(Self.header("ok", type: "0", size: 2) + Self.body(Array("ok".utf8))
                                              + Self.header("big", type: type, rawSize: size))
            defer { try? FileManager.default.removeItem(at: target.deletingLastPathComponent()) }
            #expect(throws: (any Error).self, "\(what)") { try result.get() }
            if case let .failure(error) = result { #expect("\(error)".contains(reason), "\(what): \(error)") }
            #expect(!FileManager.default.fileExists(atPath: target.path), "nothing half-unpacked")
        }
    }

    @Test func aHardLinkToADirectoryOrAMissingEntryIsRefused() throws {
        let toDirectory = try unpack(Self.header("d", type: "5") + Self.header("h", type: "1", link: "d"))
        defer { try? FileManager.default.removeItem(at: toDirectory.1.deletingLastPathComponent()) }
        #expect(throws: SafeUntar.Refused.self) { try toDirectory.0.get() }
        if case let .failure(error) = toDirectory.0 { #expect("\(error)".contains("not a regular file")) }
        let toMissing = try unpack(Self.header("h", type: "1", link: "nothing-here"))
        defer { try? FileManager.default.removeItem(at: toMissing.1.deletingLastPathComponent()) }
        if case let .failure(error) = toMissing.0 { #expect("\(error)".contains("did not create")) } else { Issue.record("accepted") }
        // A hard link to a file the archive made is fine.
        let good = try unpack(Self.header("f", size: 1) + Self.body([0x41]) + Self.header("h", type: "1", link: "f"))
        defer { try? FileManager.default.removeItem(at: good.1.deletingLastPathComponent()) }
        #expect(try good.0.get() == ["f", "h"])
        #expect(try String(contentsOf: good.1.appendingPathComponent("h"), encoding: .utf8) == "A")
    }

    /// A forged archive's pax link target "..\0": not ".." to a check, ".."
    /// to symlink(); a chain of them climbs to / (then stdout → ~/.ssh/id_ed25519).
    @Test func namesAndLinkTargetsWithNULOrControlBytesAreRefused() throws {
        for (key, value, type) in [("linkpath", "..\u{0}", Character("2")), ("linkpath", "../\u{0}x", "2"), ("path", "ok\u{0}/../../evil", "0"),
                                   ("path", "a\u{1b}]0;x\u{07}", "0"), ("linkpath", "b\u{85}", "2")] {
            let body = Array(" \(key)=\(value)\n".utf8)
            let record = Array("\(body.count + String(body.count + 2).count)".utf8) + body
            let (result, target) = try unpack(Self.header("pax", type: "x", size: record.count) + Self.body(record)
                                              + Self.header("entry", type: type, size: 0))
            defer { try? FileManager.default.removeItem(at: target.deletingLastPathComponent()) }
            if case let .failure(error) = result {
                #expect("\(error)".contains("NUL or control character") && !"\(error)".unicodeScalars.contains { $0.value < 0x20 }, "\(error)")
            } else {
                Issue.record("accepted \(key)=\(value.debugDescription)")
            }
            #expect(!FileManager.default.fileExists(atPath: target.path))
        }
    }

    /// Results are read beneath their root without following links.
    @Test func resultsAreReadWithoutFollowingLinks() throws {
        let dir = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = dir.appendingPathComponent("files")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("sd-container/output"), withIntermediateDirectories: true)
        try "secret".write(to: dir.appendingPathComponent("id_ed25519"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("sd-container/output/stdout").path,
                                                   withDestinationPath: "../../../id_ed25519")
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("up").path, withDestinationPath: "..")
        try "ok".write(to: root.appendingPathComponent("sd-container/output/stderr"), atomically: true, encoding: .utf8)
        #expect(throws: BeneathRoot.NotPlain.self) { try BeneathRoot.read("sd-container/output/stdout", in: root, limit: 1 << 20) }
        #expect(throws: BeneathRoot.NotPlain.self) { try BeneathRoot.read("up/id_ed25519", in: root, limit: 1 << 20) }
        #expect(try BeneathRoot.read("sd-container/output/stderr", in: root, limit: 1 << 20) == Data("ok".utf8))
        #expect(!BeneathRoot.isPlainFile("sd-container/output/stdout", in: root) && BeneathRoot.isPlainFile("sd-container/output/stderr", in: root))
    }

    @Test func malformedPaxRecordsDoNotTrap() throws {
        for record in ["2 x\n", "1 \n", "9999999999999999999 path=x\n", "5 a=b\n", "-3 a=b\n", "3 \n"] {
            let pax = Array(record.utf8)
            let (result, target) = try unpack(Self.header("pax", type: "x", size: pax.count) + Self.body(pax)
                                              + Self.header("f", size: 1) + Self.body([0x41]))
            defer { try? FileManager.default.removeItem(at: target.deletingLastPathComponent()) }
            #expect(try result.get() == ["f"], "\(record.debugDescription)")
        }
    }

    @Test func limitsOnBytesEntriesAndPathsAreNamed() throws {
        let three = Self.header("a", size: 1) + Self.body([1]) + Self.header("b", size: 1) + Self.body([2])
            + Self.header("c", size: 1) + Self.body([3])
        let entries = try unpack(three, limits: SafeUntar.Limits(entries: 2))
        defer { try? FileManager.default.removeItem(at: entries.1.deletingLastPathComponent()) }
        if case let .failure(error) = entries.0 { #expect("\(error)".contains("more than 2 entries")) } else { Issue.record("accepted") }
        #expect(!FileManager.default.fileExists(atPath: entries.1.path))

        let bytes = try unpack(three, limits: SafeUntar.Limits(totalBytes: 2))
        defer { try? FileManager.default.removeItem(at: bytes.1.deletingLastPathComponent()) }
        if case let .failure(error) = bytes.0 { #expect("\(error)".contains("exceed 2 bytes")) } else { Issue.record("accepted") }

        let longName = Array(String(repeating: "d/", count: 2100).utf8) + Array("f".utf8)
        let path = try unpack(Self.header("././@LongLink", type: "L", size: longName.count + 1) + Self.body(longName + [0])
                              + Self.header("short", size: 1) + Self.body([1]))
        defer { try? FileManager.default.removeItem(at: path.1.deletingLastPathComponent()) }
        if case let .failure(error) = path.0 { #expect("\(error)".contains("longer than 4096")) } else { Issue.record("accepted") }
    }
}
