import Foundation
import JobPreparation
import SiteTestSupport
import Testing

struct TemplateEngineTests {
    @Test func unknownOrMissingPlaceholdersAreNamed() {
        let template = Template(name: "t", text: "#!/bin/bash\necho {{ nope }}\n")
        #expect {
            _ = try template.render(["job_name": .word("x")])
        } throws: { error in (error as? PreparationError)?.field == "{{ nope }}" && (error as? PreparationError)?.line == 2 }
        let required = Template(name: "t", text: "x={{ account }}")
        #expect {
            _ = try required.render(["account": .absent])
        } throws: { error in
            let error = error as? PreparationError
            return error?.kind == .template && error?.field == "{{ account }}" && error?.line == 1
        }
    }

    @Test func optionalLinesAreDroppedWhenAbsent() throws {
        let template = Template(name: "t", text: "#SBATCH --account={{? account }}\necho ok")
        #expect(try template.render(["account": .absent]) == "echo ok")
        #expect(try template.render(["account": .word("p1")]) == "#SBATCH --account=p1\necho ok")
    }

    @Test(arguments: [
        "echo \"{{ x }}\"", "echo '{{ x }}'", "# note {{ x }}", "echo pre{{ x }}", "cat <<EOF\n{{ x }}\nEOF",
        "echo hi # {{ x }}", "true; #{{ x }}",
        // Comments after shell metacharacters, ANSI-C quotes, a second here-document on one line.
        "true |# {{ x }}", "true &# {{ x }}", "(# {{ x }}\n)", "x=$'a\\' {{ x }}'", "cat <<A <<B\nA\n{{ x }}\nB",
        "cat <<A; cat <<B\nA\n{{ x }}\nB",
    ])
    func placeholdersOutsideWordPositionsAreTemplateErrors(text: String) {
        #expect {
            _ = try Template(name: "t", text: text).render(["x": .word("v")])
        } throws: { error in
            // A template error naming the placeholder (the exit code for these is 64, usage).
            let error = error as? PreparationError
            return error?.kind == .template && error?.field == "{{ x }}"
        }
    }

    @Test func aListCannotBeAssignedToAScalar() throws {
        #expect {
            _ = try Template(name: "t", text: "args={{ x }}").render(["x": .words(["a", "rm"])])
        } throws: { error in "\(error)".contains("cannot be assigned to a scalar") }
        #expect(try Template(name: "t", text: "args=( {{ x }} )").render(["x": .words(["a", "b c"])]) == "args=( 'a' 'b c' )")
        #expect(try Template(name: "t", text: "x=$'a\\'b' {{ x }}").render(["x": .word("v")]) == "x=$'a\\'b' 'v'")
        #expect(try Template(name: "t", text: "cat <<<here {{ x }}").render(["x": .word("v")]) == "cat <<<here 'v'")
    }

    @Test func sbatchLinesRefuseValuesThatCouldEscape() {
        let template = Template(name: "t", text: "#SBATCH --job-name={{ x }}")
        for value in ["a b", "a\nb", "x'y", "%j", "", "a#b"] {
            #expect {
                _ = try template.render(["x": .word(value)])
            } throws: { error in (error as? PreparationError)?.field == "{{ x }}" }
        }
    }

    /// The README's list of placeholder names is exactly what a template can use.
    @Test func readmeListsEveryPlaceholderName() throws {
        let readme = try String(contentsOf: LocalSite.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let match = try #require(readme.firstMatch(of: /Names: `([a-z_ \n]+)`/), "README has a `Names: …` list")
        let listed = Set(match.1.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
        #expect(listed == Set(try Sample.plan().templateValues.keys))
    }

    @Test func bothShippedTemplatesUseOnlyKnownPlaceholders() throws {
        let known = Set(try Sample.plan().templateValues.keys)
        for name in ["hpcs", "plain"] {
            let names = try Sample.templates.load(name).placeholderNames()
            #expect(Set(names).isSubset(of: known), "\(name): \(Set(names).subtracting(known))")
        }
        #expect(Sample.templates.names().contains("hpcs"))
    }
}

/// Hostile values in every free-text field: each rendered script passes
/// The job script's computed values are checked one by one: bash keeps only
/// the last status of an array assignment, so `a=( "$(check x)" "$(check y)" )`
/// let a refused first value through silently (under set -e).
struct JobScriptAssignmentTests {
    @Test func noArrayIsAssignedFromCommandSubstitutions() throws {
        let template = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Templates/hpcs.sbatch")
        let text = try String(contentsOf: template, encoding: .utf8)
        #expect(text.firstMatch(of: /=\(\s*\n?\s*"?\$\(/) == nil, "an array assigned from command substitutions")
        // What such an assignment does, for the record: the first failure is lost.
        let shown = try Tool.run("/bin/bash", ["-c", "set -e; a=( \"$(false)\" \"$(true)\" ); echo reached"])
        #expect(shown.out == "reached\n")
        let scalar = try Tool.run("/bin/bash", ["-c", "set -e; a=$(false); echo reached"])
        #expect(scalar.status != 0 && scalar.out.isEmpty)
    }
}

/// What the login environment may not bring into the secure steps: the job
/// script starts with `bash -p` (no BASH_ENV, no imported functions) and
/// drops proxies, preloads and the container runtime's own settings.
struct JobScriptEnvironmentTests {
    static var templateText: String {
        get throws {
            let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("Templates/hpcs.sbatch")
            return try String(contentsOf: url, encoding: .utf8)
        }
    }

    @Test func theLoginEnvironmentIsScrubbedBeforeAnySecret() throws {
        let text = try Self.templateText
        #expect(text.hasPrefix("#!/bin/bash -p\n"))
        let dir = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let marker = dir.appendingPathComponent("bash-env-ran").path
        let bashEnv = dir.appendingPathComponent("bashenv")
        try "touch \(marker)\n".write(to: bashEnv, atomically: true, encoding: .utf8)
        // The scrub, as the script runs it, then what is left.
        let start = try #require(text.range(of: "set -euo pipefail\n"))
        let end = try #require(text.range(of: "grep -E '^(SINGULARITY|APPTAINER)' || true)\n"))
        let scrub = String(text[start.lowerBound..<end.upperBound]) + "env\n"
        let result = try Tool.run("/bin/bash", ["-p", "-c", scrub], environment: [
            "PATH": "/usr/bin:/bin", "HPCS_TOOLS_DIR": "/site/tools", "BASH_ENV": bashEnv.path, "https_proxy": "http://10.0.0.1:3128",
            "HTTPS_PROXY": "http://10.0.0.1:3128", "LD_PRELOAD": "/tmp/x.so", "APPTAINER_BIND": "/etc:/mnt", "SINGULARITYENV_EVIL": "1",
            "SINGULARITY_BINDPATH": "/home", "CURL_HOME": dir.path,
        ])
        #expect(result.status == 0, "\(result.err)")
        for name in ["BASH_ENV", "https_proxy", "HTTPS_PROXY", "LD_PRELOAD", "APPTAINER_BIND", "SINGULARITYENV_EVIL", "SINGULARITY_BINDPATH", "CURL_HOME"] {
            #expect(!result.out.contains("\n\(name)=") && !result.out.hasPrefix("\(name)="), "\(name) reached the job")
        }
        #expect(result.out.contains("HPCS_TOOLS_DIR=/site/tools") && result.out.contains("PATH=/usr/bin:/bin"), "the site's settings stay")
        #expect(!FileManager.default.fileExists(atPath: marker), "BASH_ENV ran")
        // Every call that carries a token or a key goes through secret_curl (no ~/.curlrc, pinned protocols).
        for line in text.split(separator: "\n") where line.contains("vault_url/") || line.contains("hpcs_server_url/") {
            #expect(!line.contains("curl -") || line.contains("secret_curl"), "\(line)")
        }
    }
}

/// `bash -n` and `shellcheck`, and running its values section under bash
/// shows every value arrives byte for byte.
@Suite(.enabled(if: Tool.which("shellcheck") != nil || LocalSite.isExpected, "shellcheck is not installed (Scripts/install-deps)"))
struct HostileRenderingTests {
    static let hostile: [String] = [
        "plain", "two words", "it's", "\"double\"", "$(touch /tmp/pwned)", "`id`", "a;rm -rf ~", "line\nbreak",
        "-n", "--help", "*", "?", "[a-z]", "~", "~root", "$HOME", "${HOME}", "$((1+1))", "\\", "\\\\", "'", "''",
        "'\"'\"'", "tab\there", "😀 ünïcödé", "a|b", "a&b", "a>b", "a<b", "#comment", "!event", "!!", "{a,b}",
        "%s%n", "%j", "a=b", "--", "-", " leading", "trailing ", "$'\\x41'", "$\"x\"", "\\'", "EOF", "<<EOF",
        "; exit 0 ;", "&& true", "|| false", "$(</etc/passwd)", "$@", "$*", "$1", "$?", "$$", "\u{1b}[31mred",
        "\r", "a\u{7f}b", "x\"$(id)\"", "'$(id)'", "\"; id; \"", "\u{00a0}nbsp", "((0))", "[[ -e / ]]",
    ]

    static func values(_ value: String) -> (JobSpec, InfoFile, InfoFile) {
        var spec = Sample.spec()
        spec.singularityFlags = [value, "--flag=" + value]
        spec.applicationArguments = [value, "", value + value]
        let clean = value.filter { !$0.isControlCharacterForTest }
        let app = Sample.info(path: "/scratch/" + clean, secret: "kv/" + clean, role: "role " + clean)
        let data = Sample.info(path: "/data/" + clean + "/x", secret: clean + "/secret", role: clean.isEmpty ? "r" : clean)
        return (spec, app, data)
    }

    @Test func hostileValuesStayInTheirPlace() throws {
        #expect(Self.hostile.count >= 50)
        let dir = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let template = try Sample.templates.load("hpcs")
        var scripts: [String] = []
        for (index, value) in Self.hostile.enumerated() {
            let (spec, app, data) = Self.values(value)
            let plan = try Sample.plan(application: app, data: data, spec: spec)
            let rendered = try plan.render(template)
            let script = dir.appendingPathComponent("job-\(index).sbatch")
            try rendered.write(to: script, atomically: true, encoding: .utf8)
            scripts.append(script.path)

            let syntax = try Tool.run("/bin/bash", ["-n", script.path])
            #expect(syntax.status == 0, "bash -n on value \(value.debugDescription): \(syntax.err)")

            // The values section, then a dump of every variable, NUL-separated.
            let valuesSection = rendered.components(separatedBy: "# --- helpers")[0]
            let probe = valuesSection + "\nprintf '%s\\0' \"$app_path\" \"$app_secret_path\" \"$app_access_role\" "
                + "\"$data_file\" \"$data_secret_path\" \"$data_access_role\" \"${singularity_flags[@]}\" \"${app_args[@]}\"\n"
            let run = try Tool.run("/bin/bash", ["-c", probe])
            let received = run.stdout.split(separator: 0, omittingEmptySubsequences: false).dropLast()
                .map { String(decoding: $0, as: UTF8.self) }
            let expected = [app.pathAtRest, app.secretPath, app.accessRole, data.pathAtRest, data.secretPath,
                            data.accessRole] + spec.singularityFlags + spec.applicationArguments
            #expect(received == expected, "value \(value.debugDescription): \(run.err)")
        }
        let lint = try Tool.run(Tool.which("shellcheck") ?? "/usr/bin/shellcheck", ["-s", "bash", "-f", "gcc"] + scripts)
        #expect(lint.status == 0, "shellcheck: \(lint.out.prefix(2000))")
    }

    @Test func plainTemplateIsCleanToo() throws {
        let dir = try Tool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var spec = Sample.spec()
        spec.applicationArguments = Self.hostile
        spec.template = "plain"
        let rendered = try Sample.plan(spec: spec).render(try Sample.templates.load("plain"))
        let script = dir.appendingPathComponent("plain.sbatch")
        try rendered.write(to: script, atomically: true, encoding: .utf8)
        #expect(try Tool.run("/bin/bash", ["-n", script.path]).status == 0)
        let lint = try Tool.run(Tool.which("shellcheck") ?? "/usr/bin/shellcheck", ["-s", "bash", script.path])
        #expect(lint.status == 0, "\(lint.out)")
    }
}

extension Character {
    var isControlCharacterForTest: Bool { unicodeScalars.contains { $0.properties.generalCategory == .control } }
}
