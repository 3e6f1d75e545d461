import CLibSSH2
import Foundation

extension SessionDriver {
    /// OpenSSH's order: agent, identity files, keyboard-interactive, password.
    /// A method can end in partial success (`AuthenticationMethods
    /// publickey,keyboard-interactive`: the key was accepted, a one-time code
    /// is next): the server's remaining methods are read again after every
    /// method that did not log in, and the chain goes on with them.
    /// Returns the methods offered first and what logged in.
    func authenticate(settings: ConnectionSettings, interaction: SSHInteraction) throws -> (offered: [String], method: String) {
        let user = settings.user
        guard var offered = remainingMethods(user) else {
            if libssh2_userauth_authenticated(session) != 0 { return ([], "none") } // "none" was enough
            throw lastError(during: "asking for authentication methods")
        }
        let firstOffered = offered
        var chain = AuthenticationChain()
        // Each round tries what the server offers now; a partial success starts the next round.
        for _ in 0..<4 {
            switch try authenticationRound(offered: offered, settings: settings, interaction: interaction, chain: &chain) {
            case let .loggedIn(method):
                return (firstOffered, (chain.accepted + [method]).joined(separator: ", then "))
            case let .partial(method, remaining):
                chain.accepted.append(method)
                offered = remaining
            case .refused:
                throw SSHError.authentication(user: user, offered: firstOffered, tried: chain.tried, detail: chain.detail)
            }
        }
        throw SSHError.authentication(user: user, offered: firstOffered, tried: chain.tried, detail: chain.detail)
    }

    /// What an authentication round ended in.
    private enum RoundOutcome { case loggedIn(String), partial(String, remaining: [String]), refused }

    /// The methods the server accepts now (nil when it answered otherwise).
    private func remainingMethods(_ user: String) -> [String]? {
        guard let list = libssh2_userauth_list(session, user, UInt32(user.utf8.count)) else { return nil }
        return String(cString: list).split(separator: ",").map(String.init)
    }

    /// After a method that did not log in: was it accepted as one step of a chain?
    private func partialSuccess(_ user: String, offered: [String]) -> [String]? {
        guard libssh2_userauth_authenticated(session) == 0, let now = remainingMethods(user), !now.isEmpty,
              now != offered else { return nil }
        return now
    }

    private func authenticationRound(offered: [String], settings: ConnectionSettings, interaction: SSHInteraction,
                                     chain: inout AuthenticationChain) throws -> RoundOutcome {
        let user = settings.user
        if offered.contains("publickey") {
            if settings.useAgent, let socket = settings.agentSocket ?? ProcessInfo.processInfo.environment["SSH_AUTH_SOCK"] {
                chain.tried.append("agent")
                if authenticateWithAgent(user: user, socket: socket,
                                         onlyKeysOf: settings.identitiesOnly ? settings.candidateIdentityFiles : nil) {
                    return .loggedIn("publickey (agent)")
                }
                if let remaining = partialSuccess(user, offered: offered) { return .partial("publickey (agent)", remaining: remaining) }
            }
            for file in settings.candidateIdentityFiles {
                // Named for what it is, not reported as a key the server refused.
                if let problem = ConnectionSettings.identityFileProblem(file) {
                    chain.note("\(problem) \(file)")
                    continue
                }
                chain.tried.append("publickey \(file)")
                switch try authenticateWithKeyFile(file, user: user, interaction: interaction) {
                case .success: return .loggedIn("publickey \(file)")
                case let .failure(detail):
                    if let remaining = partialSuccess(user, offered: offered) {
                        return .partial("publickey \(file)", remaining: remaining)
                    }
                    chain.note(detail)
                }
            }
        }
        if offered.contains("keyboard-interactive") {
            chain.tried.append("keyboard-interactive")
            if authenticateKeyboardInteractive(user: user, interaction: interaction) { return .loggedIn("keyboard-interactive") }
            if let remaining = partialSuccess(user, offered: offered) { return .partial("keyboard-interactive", remaining: remaining) }
            chain.note("keyboard-interactive: not accepted (a wrong or missing answer)")
        }
        if offered.contains("password") {
            if let password = awaitAnswer({ await interaction.password(user: user, host: settings.host) }) {
                chain.tried.append("password")
                let rc = libssh2_userauth_password_ex(session, user, UInt32(user.utf8.count), password,
                                                      UInt32(password.utf8.count), nil)
                if rc == 0 { return .loggedIn("password") }
                if let remaining = partialSuccess(user, offered: offered) { return .partial("password", remaining: remaining) }
            }
        }
        return .refused
    }

    private func authenticateWithAgent(user: String, socket: String, onlyKeysOf files: [String]?) -> Bool {
        guard let agent = libssh2_agent_init(session) else { return false }
        defer { libssh2_agent_free(agent) }
        libssh2_agent_set_identity_path(agent, socket)
        guard libssh2_agent_connect(agent) == 0 else { return false }
        defer { libssh2_agent_disconnect(agent) }
        guard libssh2_agent_list_identities(agent) == 0 else { return false }
        let allowed: Set<[UInt8]>? = files.map { Set($0.compactMap(Self.publicKeyBlob(ofIdentity:))) }
        var previous: UnsafeMutablePointer<libssh2_agent_publickey>?
        var identity: UnsafeMutablePointer<libssh2_agent_publickey>?
        while libssh2_agent_get_identity(agent, &identity, previous) == 0, let current = identity {
            previous = current
            let blob = Array(UnsafeBufferPointer(start: current.pointee.blob, count: Int(current.pointee.blob_len)))
            if let allowed, !allowed.contains(blob) { continue }
            if libssh2_agent_userauth(agent, user, current) == 0 { return true }
        }
        return false
    }

    private enum KeyOutcome { case success, failure(String) }

    private func authenticateWithKeyFile(_ file: String, user: String, interaction: SSHInteraction) throws -> KeyOutcome {
        guard let contents = FileManager.default.contents(atPath: file) else {
            return .failure("\(file): cannot read")
        }
        let encrypted = PrivateKeyFile.isEncrypted(contents)
        var attempt = 0
        while true {
            var passphrase: String?
            if encrypted {
                attempt += 1
                let currentAttempt = attempt
                passphrase = awaitAnswer { await interaction.passphrase(forKeyFile: file, attempt: currentAttempt) }
                guard passphrase != nil else { return .failure("\(file): no passphrase given") }
            }
            let publicFile = FileManager.default.fileExists(atPath: file + ".pub") ? file + ".pub" : nil
            let rc = libssh2_userauth_publickey_fromfile_ex(session, user, UInt32(user.utf8.count),
                                                            publicFile, file, passphrase)
            if rc == 0 { return .success }
            let error = lastError(during: "public key authentication")
            if error.isConnectionLost { throw error }
            // A wrong passphrase fails the signature step; ask again (3 tries, as OpenSSH).
            if encrypted, attempt < 3 { continue }
            if rc != LIBSSH2_ERROR_FILE, !LibSSH2.signsRSAWithSHA2, PrivateKeyFile.isRSA(file, contents: contents) {
                return .failure("\(file) is an RSA key, and the server refused its SHA-1 (ssh-rsa) signature, the only kind "
                                + "libssh2 \(LibSSH2.version) can make (OpenSSH 8.8 and later refuse it): use an ed25519 or ECDSA "
                                + "key (ssh-keygen -t ed25519, then add it on the cluster), or libssh2 1.11 or newer")
            }
            return .failure("\(file): \(rc == LIBSSH2_ERROR_FILE ? "unusable key or wrong passphrase" : "not accepted")")
        }
    }

    private func authenticateKeyboardInteractive(user: String, interaction: SSHInteraction) -> Bool {
        let server = label
        context.keyboardInteractive = { challenge in
            let named = KeyboardInteractiveChallenge(name: challenge.name, instruction: challenge.instruction, prompts: challenge.prompts,
                                                     server: server)
            return awaitAnswer { await interaction.respond(to: named) }
        }
        defer { context.keyboardInteractive = nil }
        let callback: @convention(c) (UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?, Int32, Int32,
                                      UnsafePointer<LIBSSH2_USERAUTH_KBDINT_PROMPT>?,
                                      UnsafeMutablePointer<LIBSSH2_USERAUTH_KBDINT_RESPONSE>?,
                                      UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Void = {
            name, nameLength, instruction, instructionLength, count, prompts, responses, abstract in
            guard let context = SessionContext.from(abstract), let responses else { return }
            func text(_ pointer: UnsafePointer<CChar>?, _ length: Int) -> String {
                guard let pointer, length > 0 else { return "" }
                return pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
                    String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
                }
            }
            var list: [KeyboardInteractiveChallenge.Prompt] = []
            for index in 0..<Int(max(0, count)) {
                guard let prompt = prompts?[index] else { continue }
                list.append(.init(text: prompt.text.map { text($0, Int(prompt.length)) } ?? "", echo: prompt.echo != 0))
            }
            let challenge = KeyboardInteractiveChallenge(name: text(name, Int(nameLength)),
                                                         instruction: text(instruction, Int(instructionLength)),
                                                         prompts: list)
            let answers = context.keyboardInteractive?(challenge)
            for index in 0..<list.count {
                // libssh2 frees each response with free(): allocate with malloc.
                let answer = Array((answers?[safe: index] ?? "").utf8)
                let buffer = malloc(max(1, answer.count))?.assumingMemoryBound(to: CChar.self)
                answer.withUnsafeBytes { bytes in
                    if let buffer, let base = bytes.baseAddress { memcpy(buffer, base, answer.count) }
                }
                responses[index].text = buffer
                responses[index].length = UInt32(buffer == nil ? 0 : answer.count)
            }
        }
        // Servers may ask several rounds; libssh2 loops inside this call.
        let rc = libssh2_userauth_keyboard_interactive_ex(session, user, UInt32(user.utf8.count), callback)
        return rc == 0
    }

    /// The public key blob of an identity file, from its `.pub` neighbour.
    static func publicKeyBlob(ofIdentity file: String) -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: file + ".pub") else { return nil }
        let fields = String(decoding: data, as: UTF8.self).split(separator: " ")
        guard fields.count >= 2, let blob = Data(base64Encoded: String(fields[1])) else { return nil }
        return Array(blob)
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}

/// What an authentication attempt went through, for its failure message:
/// steps the server accepted are named as accepted, never as refused.
struct AuthenticationChain {
    var tried: [String] = []
    var accepted: [String] = []
    var notes: [String] = []

    mutating func note(_ text: String) { notes.append(text) }

    var detail: String {
        (accepted.map { "accepted: \($0)" } + notes).joined(separator: "; ")
    }
}

/// Just enough of the private key formats to know whether to ask for a passphrase.
enum PrivateKeyFile {
    /// Whether an identity file holds an RSA key: its .pub says so, or the
    /// PEM header does, or the OpenSSH container's public part does.
    static func isRSA(_ file: String, contents: Data) -> Bool {
        if let pub = FileManager.default.contents(atPath: file + ".pub") {
            return String(decoding: pub, as: UTF8.self).hasPrefix("ssh-rsa ")
        }
        let text = String(decoding: contents, as: UTF8.self)
        if text.contains("BEGIN RSA PRIVATE KEY") { return true }
        guard text.contains("BEGIN OPENSSH PRIVATE KEY") else { return false }
        let body = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        guard let decoded = Data(base64Encoded: body) else { return false }
        // The public key (type first) follows the cipher and KDF names, unencrypted.
        return decoded.prefix(256).range(of: Data("ssh-rsa".utf8)) != nil
    }

    static func isEncrypted(_ contents: Data) -> Bool {
        let text = String(decoding: contents, as: UTF8.self)
        if text.contains("Proc-Type: 4,ENCRYPTED") || text.contains("BEGIN ENCRYPTED PRIVATE KEY") { return true }
        guard text.contains("BEGIN OPENSSH PRIVATE KEY") else { return false }
        let body = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        guard let decoded = Data(base64Encoded: body) else { return false }
        // "openssh-key-v1\0" then string ciphername
        let bytes = Array(decoded)
        let magic = 15
        guard bytes.count > magic + 4 else { return false }
        let length = Int(bytes[magic]) << 24 | Int(bytes[magic + 1]) << 16 | Int(bytes[magic + 2]) << 8 | Int(bytes[magic + 3])
        guard bytes.count >= magic + 4 + length else { return false }
        return String(decoding: bytes[(magic + 4)..<(magic + 4 + length)], as: UTF8.self) != "none"
    }
}
