import CLibSSH2
import Foundation
import Synchronization

private let libraryInitialised: Bool = {
    guard libssh2_init(0) == 0 else { return false }
    // Registered after OpenSSL's own exit handler, so it runs first: live
    // sessions are torn down before the crypto library is.
    atexit { LiveDrivers.shutdownAll() }
    return true
}()

/// Every running session driver, so the process can end them at exit.
enum LiveDrivers {
    private static let drivers = Mutex<[ObjectIdentifier: WeakDriver]>([:])

    struct WeakDriver: @unchecked Sendable { weak var driver: SessionDriver? }

    static func add(_ driver: SessionDriver) {
        drivers.withLock { $0[ObjectIdentifier(driver)] = WeakDriver(driver: driver) }
    }

    static func remove(_ driver: SessionDriver) {
        _ = drivers.withLock { $0.removeValue(forKey: ObjectIdentifier(driver)) }
    }

    static func shutdownAll() {
        let live = drivers.withLock { $0.values.compactMap(\.driver) }
        for driver in live { driver.shutdownAndWait() }
    }
}

/// Resolves host:port for a stream socket (IPv4 and IPv6) and hands the
/// address list to `body`; a name that does not resolve is a connect error.
func withAddresses<T>(host: String, port: Int, _ body: (UnsafeMutablePointer<addrinfo>) throws -> T) throws -> T {
    var hints = addrinfo()
    hints.ai_family = AF_UNSPEC
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    var list: UnsafeMutablePointer<addrinfo>?
    let status = getaddrinfo(host, String(port), &hints, &list)
    guard status == 0, let first = list else {
        throw SSHError.connect(host: host, port: port, reason: String(cString: gai_strerror(status)))
    }
    defer { freeaddrinfo(first) }
    return try body(first)
}

/// Opens a TCP connection with a timeout, trying every address (IPv4 and IPv6).
func openTCP(host: String, port: Int, timeout: Duration) throws -> Int32 {
    try withAddresses(host: host, port: port) { first in try openTCP(first, host: host, port: port, timeout: timeout) }
}

private func openTCP(_ first: UnsafeMutablePointer<addrinfo>, host: String, port: Int, timeout: Duration) throws -> Int32 {
    var lastReason = "no address"
    var cursor: UnsafeMutablePointer<addrinfo>? = first
    let milliseconds = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
    while let info = cursor {
        cursor = info.pointee.ai_next
        let fd = Foundation.socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard fd >= 0 else { lastReason = String(cString: strerror(errno)); continue }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        var result = Foundation.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen)
        if result != 0 && errno == EINPROGRESS {
            var descriptor = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            if poll(&descriptor, 1, milliseconds) == 1 {
                var error: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                result = error == 0 ? 0 : -1
                errno = error
            } else {
                errno = ETIMEDOUT
                result = -1
            }
        }
        if result == 0 {
            _ = fcntl(fd, F_SETFL, flags)
            var on: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, socklen_t(MemoryLayout<Int32>.size))
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
            return fd
        }
        lastReason = errno == ETIMEDOUT ? "timed out after \(timeout)" : String(cString: strerror(errno))
        close(fd)
    }
    throw SSHError.connect(host: host, port: port, reason: lastReason)
}

/// Runs an async question to completion from the driver's own (non-pool)
/// thread, which may block while the user answers.
func awaitAnswer<T: Sendable>(_ question: @escaping @Sendable () async -> T) -> T {
    let box = Mutex<T?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task {
        let answer = await question()
        box.withLock { $0 = answer }
        done.signal()
    }
    done.wait()
    // The task always stores before signalling.
    return box.withLock { $0 }.unsafelyUnwrapped
}

extension SessionDriver {
    /// Handshake, host-key verification and authentication, in blocking mode
    /// on the driver thread. Throws the first failure.
    func establish(socket fd: Int32, settings: ConnectionSettings, interaction: SSHInteraction) throws -> ConnectionDetails {
        guard libraryInitialised else { throw SSHError.libssh2(code: -1, message: "libssh2_init failed", during: "start") }
        socket = fd
        socketForQueries.store(fd, ordering: .relaxed)
        guard let session = libssh2_session_init_ex(nil, nil, nil, context.abstractPointer()) else {
            throw SSHError.libssh2(code: -1, message: "cannot allocate a session", during: "start")
        }
        self.session = session
        installReceiveCallback()
        libssh2_session_set_blocking(session, 1)
        let timeoutMs = settings.connectTimeout.components.seconds * 1000
        libssh2_session_set_timeout(session, Int(max(1000, timeoutMs)))

        let knownHosts = try KnownHosts(files: settings.knownHostsFiles + settings.globalKnownHostsFiles)
        let name = settings.knownHostsName
        preferKnownHostKeyTypes(knownHosts.knownKeyTypes(host: name.host, port: name.port))
        try offerOnlyStrongAlgorithms()
        interaction.progress(.handshake(host: settings.host))
        if libssh2_session_handshake(session, fd) != 0 { throw lastError(during: "the SSH handshake") }
        let (hostKey, wasKnown) = try verifyHostKey(knownHosts, settings: settings, interaction: interaction)
        interaction.progress(.authenticating(user: settings.user, host: settings.host))
        let (offered, method) = try authenticate(settings: settings, interaction: interaction)
        // Streams and keepalives run without a per-call timeout.
        libssh2_session_set_timeout(session, 0)
        return ConnectionDetails(hostKey: hostKey, hostKeyWasKnown: wasKnown, offeredMethods: offered,
                                 authenticatedWith: method)
    }

    private func installReceiveCallback() {
        let receive: @convention(c) (Int32, UnsafeMutableRawPointer?, Int, Int32,
                                     UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int = {
            fd, buffer, length, flags, abstract in
            let count = recv(fd, buffer, length, flags)
            if count > 0 { SessionContext.from(abstract)?.lastReceived = .now }
            return count < 0 ? -Int(errno) : count
        }
        libssh2_session_callback_set(session, LIBSSH2_CALLBACK_RECV, unsafeBitCast(receive, to: UnsafeMutableRawPointer.self))
    }

    /// Negotiate a key type already recorded for the host, as OpenSSH does,
    /// so a host with several keys is not mistaken for a changed one.
    private func preferKnownHostKeyTypes(_ known: [String]) {
        // No ssh-rsa (SHA-1) host-key signatures: an RSA host key is verified with rsa-sha2-*.
        let all = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
                   "rsa-sha2-512", "rsa-sha2-256"]
        var ordered: [String] = []
        for type in known {
            if type == "ssh-rsa" { ordered += ["rsa-sha2-512", "rsa-sha2-256"] } else if all.contains(type) { ordered.append(type) }
        }
        ordered += all.filter { !ordered.contains($0) }
        _ = libssh2_session_method_pref(session, LIBSSH2_METHOD_HOSTKEY, ordered.joined(separator: ","))
    }

    /// What is offered besides host keys: no SHA-1 key exchange, no CBC (or
    /// older) cipher, no SHA-1 or MD5 MAC, whatever libssh2's defaults
    /// would offer. Names this libssh2 does not know are dropped by it (the
    /// GCM, ChaCha20 and ETM ones arrive with 1.11); a server offering none
    /// of these fails the handshake saying so, as OpenSSH would.
    static let keyExchanges = ["curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256", "ecdh-sha2-nistp384",
                               "ecdh-sha2-nistp521", "diffie-hellman-group-exchange-sha256", "diffie-hellman-group16-sha512",
                               "diffie-hellman-group18-sha512", "diffie-hellman-group14-sha256"]
    // OpenSSH's own order (aes128 first: as strong here, and faster).
    static let ciphers = ["chacha20-poly1305@openssh.com", "aes128-gcm@openssh.com", "aes256-gcm@openssh.com",
                          "aes128-ctr", "aes192-ctr", "aes256-ctr"]
    static let macs = ["hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512"]

    private func offerOnlyStrongAlgorithms() throws {
        let preferences: [(Int32, [String], String)] = [
            (LIBSSH2_METHOD_KEX, Self.keyExchanges, "key exchange"),
            (LIBSSH2_METHOD_CRYPT_CS, Self.ciphers, "cipher"), (LIBSSH2_METHOD_CRYPT_SC, Self.ciphers, "cipher"),
            (LIBSSH2_METHOD_MAC_CS, Self.macs, "MAC"), (LIBSSH2_METHOD_MAC_SC, Self.macs, "MAC"),
        ]
        for (method, names, what) in preferences where libssh2_session_method_pref(session, method, names.joined(separator: ",")) != 0 {
            throw lastError(during: "choosing the \(what) algorithms")
        }
    }

    /// The server's key and whether known_hosts already had it.
    private func verifyHostKey(_ knownHosts: KnownHosts, settings: ConnectionSettings,
                               interaction: SSHInteraction) throws -> (HostKey, Bool) {
        var length = 0
        var type: Int32 = 0
        guard let raw = libssh2_session_hostkey(session, &length, &type), length > 0 else {
            throw lastError(during: "reading the host key")
        }
        let key = HostKey(blob: raw.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) })
        let name = settings.knownHostsName
        switch knownHosts.verify(host: name.host, port: name.port, key: key) {
        case .match:
            return (key, true)
        case let .mismatch(mismatch):
            throw SSHError.hostKeyChanged(mismatch)
        case .unknown:
            let file = settings.knownHostsFiles.first ?? ConnectionSettings.home + "/.ssh/known_hosts"
            var unknown = UnknownHostKey(host: name.host, port: name.port, key: key, knownHostsFile: file)
            let decision: HostKeyDecision
            switch settings.strictHostKeyChecking {
            case .yes:
                unknown.refusedByStrictChecking = true
                throw SSHError.hostKeyNotAccepted(unknown)
            case .acceptNew: decision = .acceptAndRemember
            case .ask:
                let question = unknown
                decision = awaitAnswer({ await interaction.decide(unknownHostKey: question) })
            }
            switch decision {
            case .refuse: throw SSHError.hostKeyNotAccepted(unknown)
            case .acceptOnce: return (key, false)
            case .acceptAndRemember:
                try KnownHosts.append(host: name.host, port: name.port, key: key, to: file, hashed: settings.hashKnownHosts)
            }
            return (key, false)
        }
    }
}
