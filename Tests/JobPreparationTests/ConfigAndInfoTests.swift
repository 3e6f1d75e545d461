import Foundation
import JobPreparation
import SecureShell
import Testing

struct ConfigTests {
    @Test func parsesAllSectionsAndOurExtensions() throws {
        let config = try Sample.config()
        #expect(config.spireServer == .init(address: "spire.example.org", port: 8081, trustDomain: "hpcs.example.org"))
        #expect(config.supercomputer.address == "login.example.org" && config.supercomputer.port == 2222)
        #expect(config.supercomputer.identityFile?.hasSuffix("/.ssh/id_ed25519") == true)
        #expect(!config.remoteText.contains("identity-file") && !config.remoteText.contains("id_ed25519"))
        #expect(config.remoteText.contains("[vault]\nurl = https://vault.example.org:8200"))
    }

    /// Each row: what is changed, and the section/key and line the error must name.
    @Test(arguments: [
        ("[hpcs-server]\n", "", "[hpcs-server]", nil as Int?),
        ("username = alice\n", "", "[supercomputer] username", nil),
        ("port = 8081\n", "", "[spire-server] port", nil),
        ("url = https://vault.example.org:8200\n", "", "[vault] url", nil),
        ("port = 8081", "port = 0", "[spire-server] port", 4),
        ("trust-domain = hpcs.example.org", "trust-domain = hpcs example", "[spire-server] trust-domain", 5),
        ("url = https://hpcs.example.org", "url = ftp://hpcs.example.org", "[hpcs-server] url", 8),
        // Plain HTTP only to this machine (the local test site), never to another host.
        ("url = https://vault.example.org:8200", "url = http://vault.example.org:8200", "[vault] url", 11),
        ("url = https://hpcs.example.org", "url = http://hpcs.example.org", "[hpcs-server] url", 8),
        ("url = https://hpcs.example.org", "url = http://127.0.0.1.example.org", "[hpcs-server] url", 8),
    ])
    func eachConfigErrorNamesItsSectionKeyAndLine(find: String, replace: String, field: String, line: Int?) {
        let text = Sample.configText.replacingOccurrences(of: find, with: replace)
        #expect(text != Sample.configText)
        #expect {
            _ = try HPCSConfig.parse(text, path: "/c.conf")
        } throws: { error in
            guard let error = error as? PreparationError else { return false }
            return error.file == "/c.conf" && error.field == field && error.line == line
        }
    }

    /// As the reference client's configparser: CRLF line endings and a UTF-8
    /// byte-order mark are fine, and line numbers stay right.
    @Test func crlfAndAByteOrderMarkAreAccepted() throws {
        let crlf = Sample.configText.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(try HPCSConfig.parse(crlf, path: "/c.conf") == Sample.config().withPath("/c.conf"))
        #expect(try HPCSConfig.parse("\u{FEFF}" + crlf, path: "/c.conf") == Sample.config().withPath("/c.conf"))
        #expect {
            _ = try HPCSConfig.parse(crlf.replacingOccurrences(of: "port = 2222", with: "port = twenty"), path: "/c.conf")
        } throws: { error in (error as? PreparationError)?.line == 16 }
    }

    @Test func plainHTTPIsAcceptedForThisMachineOnly() throws {
        for url in ["http://127.0.0.1:8200", "http://localhost:8200", "http://[::1]:8200", "https://vault.example.org"] {
            let text = Sample.configText.replacingOccurrences(of: "url = https://vault.example.org:8200", with: "url = \(url)")
            #expect(try HPCSConfig.parse(text, path: "/c.conf").vaultURL == url)
        }
        let text = Sample.configText.replacingOccurrences(of: "url = https://vault.example.org:8200", with: "url = http://vault.example.org")
        #expect {
            _ = try HPCSConfig.parse(text, path: "/c.conf")
        } throws: { error in "\(error)".contains("https://") }
    }

    /// Found by fuzzing (config target): a quoted user name kept a leading
    /// space and C1 control characters, which the file the job reads lost.
    /// Host and user names are one plain word each.
    @Test func hostAndUserNamesArePlainWords() throws {
        for bad in ["' alice'", "'al\u{91}ice'", "al\u{7F}ice", "'a b'", "al`ice`"] {
            let text = Sample.configText.replacingOccurrences(of: "username = alice", with: "username = \(bad)")
            #expect {
                _ = try HPCSConfig.parse(text, path: "/c.conf")
            } throws: { error in
                let error = error as? PreparationError
                return error?.field == "[supercomputer] username" && "\(error.map { "\($0)" } ?? "")".contains("is not a user name")
                    && !"\(error.map { "\($0)" } ?? "")".unicodeScalars.contains { (0x7F...0x9F).contains($0.value) }
            }
        }
        let config = try HPCSConfig.parse(Sample.configText.replacingOccurrences(of: "username = alice", with: "username = 'alice'"),
                                          path: "/c.conf")
        #expect(try HPCSConfig.parse(config.remoteText, path: "/r.conf").supercomputer.username == "alice")
    }

    @Test func badValuesNameTheLine() {
        let text = Sample.configText.replacingOccurrences(of: "port = 2222", with: "port = twenty")
        #expect {
            _ = try HPCSConfig.parse(text, path: "/c.conf")
        } throws: { error in
            guard let error = error as? PreparationError else { return false }
            return error.line == 16 && error.field == "[supercomputer] port" && "\(error)".contains("/c.conf:16")
        }
        #expect { _ = try HPCSConfig.parse("[vault\nurl=x", path: "/c.conf") } throws: { error in
            let error = error as? PreparationError
            return error?.kind == .config && error?.line == 1 && "\(error.map { "\($0)" } ?? "")".contains("section header")
        }
        #expect { _ = try HPCSConfig.parse("url = x", path: "/c.conf") } throws: { error in
            let error = error as? PreparationError
            return error?.kind == .config && error?.line == 1 && "\(error.map { "\($0)" } ?? "")".contains("outside any section")
        }
    }
}

struct InfoFileTests {
    let valid = """
        info:
          path_at_rest: /scratch/p/data.tgz.age
          secret_path: kv/alice/data
          access_role: alice-data
          checksum: \(Sample.checksum)
          spiffeID: spiffe://hpcs.example.org/c/data
        """

    @Test func parsesAValidFile() throws {
        let info = try InfoFile.parse(valid, file: "data.info.yaml", trustDomain: "hpcs.example.org")
        #expect(info.pathAtRest == "/scratch/p/data.tgz.age" && info.accessRole == "alice-data")
    }

    @Test(arguments: [
        ("path_at_rest: /scratch/p/data.tgz.age", "path_at_rest: relative/data", "info.path_at_rest"),
        // singularity --bind reads ',' and ':' as separators.
        ("path_at_rest: /scratch/p/data.tgz.age", "path_at_rest: /scratch/p/a,b.tgz.age", "info.path_at_rest"),
        ("path_at_rest: /scratch/p/data.tgz.age", "path_at_rest: /scratch/p:x/data.tgz.age", "info.path_at_rest"),
        ("checksum: \(Sample.checksum)", "checksum: abc", "info.checksum"),
        ("checksum: \(Sample.checksum)", "checksum: \(String(repeating: "g", count: 128))", "info.checksum"),
        ("spiffeID: spiffe://hpcs.example.org/c/data", "spiffeID: spiffe://other.org/c/data", "info.spiffeID"),
        ("spiffeID: spiffe://hpcs.example.org/c/data", "spiffeID: https://hpcs.example.org/x", "info.spiffeID"),
        ("access_role: alice-data", "access_role: \"\"", "info.access_role"),
        ("secret_path: kv/alice/data", "secret_path: \"a\\u0007b\"", "info.secret_path"),
        ("  secret_path: kv/alice/data\n", "", "info.secret_path"),
    ])
    func eachBadFieldIsNamedWithItsFile(find: String, replace: String, field: String) {
        let text = valid.replacingOccurrences(of: find, with: replace)
        #expect {
            _ = try InfoFile.parse(text, file: "/home/a/data.info.yaml", trustDomain: "hpcs.example.org")
        } throws: { error in
            guard let error = error as? PreparationError else { return false }
            return error.field == field && error.file == "/home/a/data.info.yaml"
        }
    }

    @Test func notYamlOrNoInfoMapping() {
        for text in ["info: [unclosed", "other:\n  a: b", "- a\n- b", ""] {
            #expect { _ = try InfoFile.parse(text, file: "x", trustDomain: "hpcs.example.org") } throws: { error in
                let error = error as? PreparationError
                return error?.kind == .infoFile && error?.file == "x"
            }
        }
    }
}

struct JobSpecTests {
    @Test func defaultJobNameIsSanitised() {
        #expect(JobSpec.defaultJobName(username: "alice") == "hpcs_alice")
        #expect(JobSpec.defaultJobName(username: "a/b c") == "hpcs_a_b_c")
    }

    @Test func eachInvalidFieldIsNamed() {
        var draft = JobDraft(Sample.spec())
        draft.jobName = "bad name"
        draft.nodes = "0"
        draft.partition = "de bug"
        draft.time = "25:61"
        draft.account = "a;b"
        draft.nodelist = "nid001 nid002"
        draft.workdir = "relative"
        draft.inputScriptsDir = "/with space"
        let fields = draft.problems().compactMap(\.field)
        #expect(fields == ["job-name", "nodes", "partition", "time", "account", "nodelist", "workdir",
                           "supplementary-input-scripts"])
        #expect(JobDraft(Sample.spec()).problems().isEmpty)
        #expect(Sample.spec().problems().isEmpty)
    }

    @Test func pathsThatReachSingularityBindRefuseCommaAndColon() {
        for (field, change) in [("workdir", { (spec: inout JobSpec) in spec.workdir = "/scratch/a,b" }),
                                ("workdir", { (spec: inout JobSpec) in spec.workdir = "/scratch/a:b" }),
                                ("supplementary-input-scripts", { (spec: inout JobSpec) in spec.inputScriptsDir = "/s/in,x" }),
                                ("supplementary-output-scripts", { (spec: inout JobSpec) in spec.outputScriptsDir = "/s/o:x" })] {
            var spec = Sample.spec()
            change(&spec)
            let problems = spec.problems()
            #expect(problems.map(\.field) == [field])
            #expect(problems.first?.message.contains("singularity --bind") == true)
        }
    }

    @Test func pathsDerivedFromWorkdir() {
        // Per submission, so runs sharing a work directory keep their own.
        #expect(Sample.spec().logFile(submissionID: "20261130-010203-0a1b2c3d")
                == "/scratch/project/alice/run1/hpcs_alice-20261130-010203-0a1b2c3d.out")
        #expect(Sample.spec().encryptedOutput(submissionID: "20261130-010203-0a1b2c3d")
                == "/scratch/project/alice/run1/output-20261130-010203-0a1b2c3d/encrypted_output.tgz")
    }
}

struct ShellWordsTests {
    /// Found by fuzzing (shell-words): a quote followed by a combining mark
    /// merged into one Character and was no longer seen as a quote.
    @Test func aQuoteBeforeACombiningMarkIsStillAQuote() throws {
        for word in ["\u{065C}", "\u{0301}x", "a'\u{0301}", "\u{200D}"] {
            #expect(try ShellWords.split(ShellQuote.quote(word)) == [word])
        }
        #expect(try ShellWords.split("'\u{0301}' \"\u{0301}\"") == ["\u{0301}", "\u{0301}"])
    }

    @Test func splitsLikeAShell() throws {
        #expect(try ShellWords.split(#"--name "two words" it\'s 'single $x' "a\"b" \$HOME"#) ==
                ["--name", "two words", "it's", "single $x", "a\"b", "$HOME"])
        #expect(try ShellWords.split("  ") == [])
        #expect(try ShellWords.split("''") == [""])
        #expect(throws: ShellWords.Unterminated.self) { _ = try ShellWords.split("'open") }
    }
}

extension HPCSConfig {
    func withPath(_ path: String) -> HPCSConfig {
        var copy = self
        copy.path = path
        return copy
    }
}

/// Names in the HPCS config are names: a command substitution, a known_hosts
/// wildcard, a flag are refused at the line, saying what is allowed.
struct ConfigNameTests {
    func config(address: String = "login.example.org", username: String = "alice") -> String {
        Sample.configText.replacingOccurrences(of: "address = login.example.org", with: "address = \(address)")
            .replacingOccurrences(of: "username = alice", with: "username = \(username)")
    }

    @Test func hostileNamesAreRefusedAtTheirLine() throws {
        for address in ["x$(touch${IFS}/tmp/pwned).example.org", "a,*", "-oProxyCommand=x"] {
            do {
                _ = try HPCSConfig.parse(config(address: address), path: "/c.conf")
                Issue.record("accepted \(address)")
            } catch let error as PreparationError {
                #expect(error.line == 14 && "\(error)".contains("is not a host name") && error.fix?.contains("letters, digits") == true, "\(error)")
            }
        }
        do {
            _ = try HPCSConfig.parse(config(username: "u$(id)"), path: "/c.conf")
            Issue.record("accepted the user")
        } catch let error as PreparationError {
            #expect(error.line == 15 && "\(error)".contains("is not a user name"), "\(error)")
        }
        #expect(try HPCSConfig.parse(config(address: "[::1]", username: "alice@ad.example.org"), path: "/c.conf").supercomputer.address == "[::1]")
    }
}
