import Foundation
@testable import AgeCrypto
@testable import JobPreparation
@testable import JobRuntime
@testable import SecureShell
import Slurm
import TerminalUI

/// One libFuzzer binary for every parser that reads outside input; the
/// target is chosen by HPCS_FUZZ_TARGET (Scripts/fuzz sets it). Each target
/// checks the parser's own promises, not only that it returns: a broken
/// promise stops the run like a crash, with the input saved.
enum FuzzTargets {
    static let all: [String: @Sendable (UnsafeRawBufferPointer) -> Void] = [
        "config": config, "info": info, "ssh-config": sshConfig, "known-hosts": knownHosts, "template": template,
        "sanitizer": sanitizer, "age": age, "armor": armor, "bech32": bech32, "untar": untar, "gunzip": gunzip,
        "slurm": slurm, "shell-words": shellWords,
    ]

    static func promise(_ condition: @autoclosure () -> Bool, _ what: @autoclosure () -> String) {
        if !condition() { fatalError("broken promise: \(what())") }
    }

    static func text(_ bytes: UnsafeRawBufferPointer) -> String { String(decoding: bytes, as: UTF8.self) }

    // MARK: Configuration and job description

    /// The HPCS INI: what parses also round-trips through the file the job reads.
    static func config(_ bytes: UnsafeRawBufferPointer) {
        guard let config = try? HPCSConfig.parse(text(bytes), path: "/fuzz.conf") else { return }
        guard let again = try? HPCSConfig.parse(config.remoteText, path: "/remote.conf") else {
            return promise(false, "remoteText of a valid config does not parse:\n\(config.remoteText)")
        }
        promise(again.spireServer == config.spireServer && again.hpcsServerURL == config.hpcsServerURL
                    && again.vaultURL == config.vaultURL && again.supercomputer.address == config.supercomputer.address
                    && again.supercomputer.username == config.supercomputer.username, "remoteText changes the values")
        // Names that reach a shell (ProxyCommand) and known_hosts are names: no NUL, no metacharacter.
        promise(LoginNames.isValidHost(config.supercomputer.address) && LoginNames.isValidHost(config.spireServer.address)
                    && LoginNames.isValidUser(config.supercomputer.username), "a config with a name that is not one was accepted")
    }

    /// Info files: what is accepted is an absolute, bindable path, a SHA-512 and a SPIFFE ID of the domain.
    static func info(_ bytes: UnsafeRawBufferPointer) {
        guard let info = try? InfoFile.parse(text(bytes), file: "/fuzz.info.yaml", trustDomain: "hpcs.example.org") else { return }
        promise(info.pathAtRest.hasPrefix("/") && SlurmValue.isBindable(info.pathAtRest), "path_at_rest \(info.pathAtRest)")
        promise(info.checksum.count == 128 && info.checksum.allSatisfy(\.isHexDigit), "checksum \(info.checksum)")
        promise(info.spiffeID.hasPrefix("spiffe://hpcs.example.org/"), "spiffeID \(info.spiffeID)")
    }

    /// Templates: rendering either refuses or quotes every value; a value
    /// never adds a line of its own outside quotes.
    static func template(_ bytes: UnsafeRawBufferPointer) {
        let template = Template(name: "fuzz", text: text(bytes))
        guard let names = try? template.placeholderNames() else { return }
        var values: [String: TemplateValue] = [:]
        for name in names { values[name] = name.hasSuffix("s") ? .words(["a b", "\n$(x)"]) : .word("v'\n;x") }
        guard let rendered = try? template.render(values) else { return }
        promise(!rendered.contains("{{") || text(bytes).contains("{{"), "render invented a placeholder")
    }

    // MARK: SSH files

    static func sshConfig(_ bytes: UnsafeRawBufferPointer) {
        let file = SSHConfigFile(text: text(bytes))
        for alias in ["login", "a.example.org", "*", ""] {
            for user in [nil, "bob"] as [String?] {
                let resolved = file.resolve(alias: alias, user: user)
                promise(resolved == file.resolve(alias: alias, user: user), "resolving twice gave two answers")
            }
        }
        // Whatever the file names as host and user, each expansion is one shell word of exactly that value
        // (one alias: resolving jump hosts costs up to 64 resolutions an input).
        let settings = ConnectionSettings.resolve(alias: "a.example.org", user: nil, port: 22, identityFile: nil, knownHosts: nil, sshConfig: file)
        let expanded = ConnectionSettings.expand("c %h %r %n", alias: "a.example.org", host: settings.host, user: settings.user, forShell: true)
        promise((try? ShellWords.split(expanded)) == ["c", settings.host, settings.user, "a.example.org"],
                "a % expansion a shell would split: \(expanded)")
        if let problem = LoginNames.problem(in: settings) { promise(!problem.isEmpty, "an empty refusal") }
        promise(file.warnings.allSatisfy { $0.hasPrefix("ssh_config: 'Match ") || $0.hasPrefix("ssh_config: Include matched more than") },
                "a warning that is not about a Match block or the Include budget")
        promise(file.warnings.filter { $0.hasPrefix("ssh_config: Include") }.count <= 1, "the Include budget said more than once")
    }

    static func knownHosts(_ bytes: UnsafeRawBufferPointer) {
        for (number, line) in text(bytes).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard let entry = KnownHosts.parse(line: line, file: "/fuzz", number: number + 1) else { continue }
            promise(entry.key.keyType == String(line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                .dropFirst(entry.revoked ? 2 : 1).first ?? ""), "key type differs from the line's")
            _ = entry.key.fingerprint
        }
    }

    // MARK: Remote output

    /// The sanitiser never lets a control, C1 or invisible formatting character through.
    static func sanitizer(_ bytes: UnsafeRawBufferPointer) {
        let plain = TerminalSanitizer.plainText(text(bytes))
        for scalar in plain.unicodeScalars {
            let value = scalar.value
            promise(value == 0x0A || value == 0x09 || !(value < 0x20 || value == 0x7F || (0x80...0x9F).contains(value)),
                    "control U+\(String(value, radix: 16)) passed")
            promise(!TerminalSanitizer.isInvisibleFormatting(scalar), "invisible U+\(String(value, radix: 16)) passed")
        }
        // The log view's fast path (plain lines kept as bytes) holds the same
        // promise, the input cut in two at a place the first byte picks.
        var view = LogViewState(capacity: 64)
        let data = Data(bytes)
        let cut = data.startIndex + (data.first.map { Int($0) } ?? 0) % (data.count + 1)
        view.append(data[..<cut])
        view.append(data[cut...])
        for index in 0..<view.lines.count {
            for scalar in view.lines[index].text.unicodeScalars {
                let value = scalar.value
                promise(value == 0x09 || !(value < 0x20 || value == 0x7F || (0x80...0x9F).contains(value)),
                        "log view line passed control U+\(String(value, radix: 16))")
                promise(!TerminalSanitizer.isInvisibleFormatting(scalar), "log view line passed invisible U+\(String(value, radix: 16))")
            }
        }
    }

    static func slurm(_ bytes: UnsafeRawBufferPointer) {
        let output = text(bytes)
        _ = try? SlurmParser.squeue(output)
        _ = try? SlurmParser.sacct(output)
        _ = try? SlurmParser.scontrol(output)
        _ = try? SlurmParser.sbatchJobID(output)
        if let partitions = try? SlurmParser.partitions(output) {
            promise(partitions.allSatisfy { [$0.allocated, $0.idle, $0.other, $0.total].allSatisfy { $0 >= 0 } }, "a negative node count")
        }
        _ = try? SlurmParser.nodes(output)
        _ = SlurmParser.accounts(output)
        _ = try? StatusPoller.parse(output)
        if let efficiency = try? SlurmParser.efficiency(output, jobID: "4001") {
            promise(efficiency.cpus >= 0 && efficiency.elapsedSeconds >= 0 && efficiency.cpuSeconds >= 0, "negative efficiency inputs")
            _ = efficiency.summary
        }
        if let jobs = try? JobLister.parse(output) {
            // Every row has a job id of digits and array punctuation, and a known state.
            promise(jobs.allSatisfy { !$0.jobID.isEmpty && $0.jobID.allSatisfy { $0.isASCII } }, "a listed job id is not ASCII")
            promise(jobs.allSatisfy { $0.submissionID.map { !$0.isEmpty } ?? true }, "an empty submission id")
            promise(jobs.allSatisfy { ($0.nodeCount ?? 0) >= 0 }, "a negative node count")
        }
        for line in output.split(separator: "\n").prefix(8) {
            guard let time = try? SlurmTime(parsing: String(line)) else { continue }
            promise((try? SlurmTime(parsing: time.normalized)) == time, "SlurmTime \(line) → \(time.normalized) does not re-parse")
        }
    }

    /// Shell words: split, quote and split again give the same words.
    static func shellWords(_ bytes: UnsafeRawBufferPointer) {
        if let words = try? ShellWords.split(text(bytes)) {
            let quoted = words.map { ShellQuote.quote($0) }.joined(separator: " ")
            promise((try? ShellWords.split(quoted)) == words, "re-split differs for \(words)")
        }
        let words = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        let quoted = words.map { ShellQuote.quote($0) }.joined(separator: " ")
        promise((try? ShellWords.split(quoted)) == words.filter { _ in true }, "quote/split differs for \(words)")
    }

    // MARK: age

    /// The fixed identity the age seeds are encrypted to, and their plaintext.
    static let identity: X25519Identity? = X25519Identity(secret: SecretBytes(copying: (1...32).map { UInt8($0) }))
    static let plaintext: [UInt8] = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }

    /// Plaintext is released only after authentication: whatever reaches
    /// the sink is a prefix of the true plaintext, whatever the file.
    static func age(_ bytes: UnsafeRawBufferPointer) {
        guard let identity else { return promise(false, "the fixed identity does not parse") }
        let sink = MemorySink()
        let identities: [AgeIdentity] = [identity, ScryptIdentity(passphrase: "fuzz", maxWorkFactor: 4)]
        _ = try? Age.decrypt(from: MemorySource(bytes), to: sink, identities: identities)
        let released = Array(sink.data)
        promise(released.count <= plaintext.count && released[...] == plaintext[..<released.count],
                "released \(released.count) bytes that are not the authenticated plaintext")
    }

    /// Armor: any bytes round-trip; decoding arbitrary text never traps.
    static func armor(_ bytes: UnsafeRawBufferPointer) {
        let arbitrary = ArmorSource(MemorySource(bytes))
        var scratch = [UInt8](repeating: 0, count: 4096)
        while let count = try? scratch.withUnsafeMutableBytes({ try arbitrary.read(into: $0) }), count > 0 {}
        let encoded = MemorySink()
        guard let armor = try? ArmorSink(encoded) else { return }
        try? armor.write(bytes)
        try? armor.finish()
        let back = MemorySink()
        let source = ArmorSource(MemorySource(encoded.data))
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            guard let count = try? buffer.withUnsafeMutableBytes({ try source.read(into: $0) }) else {
                return promise(false, "armor of \(bytes.count) bytes does not decode")
            }
            if count == 0 { break }
            try? buffer[0..<count].withUnsafeBytes { try back.write($0) }
        }
        promise(back.data == Data(bytes), "armor round trip differs")
    }

    /// Bech32: what decodes re-encodes to the same text; any data round-trips.
    static func bech32(_ bytes: UnsafeRawBufferPointer) {
        let input = text(bytes)
        if let (hrp, data) = Bech32.decode(input), let again = Bech32.decode(Bech32.encode(hrp: hrp, data: data)) {
            promise(again.hrp == hrp && again.data == data, "decode/encode/decode differs")
        }
        let data = Array(bytes.prefix(64))
        let encoded = Bech32.encode(hrp: "age", data: data)
        promise(Bech32.decode(encoded)?.data == data, "encode/decode differs for \(data.count) bytes")
    }

    // MARK: Results archives

    static let sandbox: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hpcs-fuzz-untar-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// Tar streams: the unpacker ends (result or refusal) and writes nothing outside its root.
    static func untar(_ bytes: UnsafeRawBufferPointer) {
        let root = sandbox.appendingPathComponent("root")
        try? FileManager.default.removeItem(at: root)
        try? FileManager.default.createDirectory(at: root, withIntermediateDirectories: false)
        let extractor = TarExtractor(root: root, limits: SafeUntar.Limits(totalBytes: 1 << 20, entries: 256, pathBytes: 4096))
        do {
            try extractor.consume(bytes)
            try extractor.finish()
        } catch {
            extractor.abandon()
        }
        let outside = (try? FileManager.default.contentsOfDirectory(atPath: sandbox.path)) ?? []
        promise(outside == ["root"], "wrote outside the root: \(outside)")
        // Every link stays inside.
        let rootPath = root.resolvingSymlinksInPath().path
        let paths = (FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String]) ?? []
        for path in paths {
            let full = root.appendingPathComponent(path)
            promise(!path.unicodeScalars.contains(where: TarExtractor.isControl), "a name with a NUL or control character: \(path.debugDescription)")
            if let destination = try? FileManager.default.destinationOfSymbolicLink(atPath: full.path) {
                promise(!destination.unicodeScalars.contains(where: TarExtractor.isControl), "a link target with a NUL or control character")
                let resolved = URL(fileURLWithPath: destination, relativeTo: full.deletingLastPathComponent()).standardizedFileURL.path
                promise(resolved.hasPrefix(rootPath + "/") || resolved == rootPath, "link \(path) → \(destination) leaves the root")
                // As the kernel follows it, through the other links too.
                let followed = full.resolvingSymlinksInPath().path
                promise(followed.hasPrefix(rootPath + "/") || followed == rootPath, "link \(path) → \(destination) leads to \(followed)")
            }
        }
        promise(extractor.extracted.allSatisfy { !$0.unicodeScalars.contains(where: TarExtractor.isControl) }, "a control character in a name kept")
        try? FileManager.default.removeItem(at: root)
    }

    /// gzip streams: inflating arbitrary bytes ends, in bounded memory.
    static func gunzip(_ bytes: UnsafeRawBufferPointer) {
        let file = sandbox.appendingPathComponent("input.gz")
        _ = FileManager.default.createFile(atPath: file.path, contents: Data(bytes))
        var total = 0
        _ = try? SafeUntar.gunzip(file) { chunk in
            total += chunk.count
            if total > 16 << 20 { throw SafeUntar.Corrupt(reason: "fuzz bound") }
        }
        try? FileManager.default.removeItem(at: file)
    }
}
