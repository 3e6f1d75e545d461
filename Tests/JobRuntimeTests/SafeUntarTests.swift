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
    }

    @Test(arguments: [
        ("add('/etc/evil', b'x')", "absolute path"),
        ("add('a/../../evil', b'x')", "'..'"),
        ("add('a/link', type=tarfile.SYMTYPE, linkname='../../etc/passwd')", "outside"),
        ("add('a/link', type=tarfile.SYMTYPE, linkname='/etc/passwd')", "absolute path"),
        ("add('dev', type=tarfile.CHRTYPE, devmajor=1, devminor=3)", "device"),
        ("add('a/l', type=tarfile.SYMTYPE, linkname='.'); add('a/l/x', b'x')", "symbolic link"),
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
}
