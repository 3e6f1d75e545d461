import Foundation
import SecureShell

/// Steps 3 and 4 of job preparation: fetch and parse both info files, then
/// check each encrypted file exists and matches its SHA-512.
public enum InfoFetcher {
    public static func fetch(_ path: String, from host: RemoteHost, trustDomain: String) async throws -> FetchedInfo {
        let data: Data
        do {
            data = try await host.readFile(path, limit: 1 << 20)
        } catch let error as SSHError {
            if case .sftp(status: 2, _, _) = error {
                throw PreparationError(.infoFile, file: path, "does not exist on the login node", fix: "check the path")
            }
            throw PreparationError(.infoFile, file: path, "cannot be read: \(error)")
        }
        // A binary file (the encrypted image itself, say) is named, never shown.
        guard let text = String(data: data, encoding: .utf8),
              !text.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" && $0 != "\t" && $0 != "\r" || $0.value == 0x7F }) else {
            throw PreparationError(.infoFile, file: path, "is not an info file: it holds binary data (\(data.count) bytes)",
                                   fix: "pick the *.info.yaml file that describes it")
        }
        return FetchedInfo(remotePath: path, info: try InfoFile.parse(text, file: path, trustDomain: trustDomain))
    }

    /// Progress of verification: bytes hashed so far (whole files) of the total.
    public typealias Progress = @Sendable (_ doneBytes: UInt64, _ totalBytes: UInt64) -> Void

    /// One `sha512sum` over both files; any missing file or mismatch throws
    /// before anything is uploaded.
    public static func verifyChecksums(_ infos: [FetchedInfo], on host: RemoteHost, progress: Progress? = nil) async throws {
        var sizes: [UInt64] = []
        for fetched in infos {
            guard let stat = try await host.stat(fetched.info.pathAtRest), stat.kind == .file else {
                throw PreparationError(.verification, file: fetched.remotePath, field: "info.path_at_rest",
                                       "'\(fetched.info.pathAtRest)' does not exist on the cluster (or is not a file)",
                                       fix: "re-run the data or container preparation, or fix the info file")
            }
            sizes.append(stat.size)
        }
        let total = sizes.reduce(0, +)
        progress?(0, total)
        var output = Data()
        var errors = Data()
        var done: UInt64 = 0
        var lines = 0
        var exit: RemoteExitStatus?
        let command = RemoteCommand(["sha512sum", "--"] + infos.map(\.info.pathAtRest))
        for try await chunk in host.stream(command, bufferLimit: 1 << 20) {
            switch chunk {
            case let .stdout(data):
                output.append(data)
                let newLines = output.filter { $0 == 0x0A }.count
                while lines < newLines, lines < sizes.count {
                    done += sizes[lines]
                    lines += 1
                    progress?(done, total)
                }
            case let .stderr(data): errors.append(data)
            case let .exit(status): exit = status
            }
        }
        guard exit?.succeeded == true else {
            throw PreparationError(.verification, "sha512sum failed on the login node: \(String(decoding: errors, as: UTF8.self))")
        }
        let sums = String(decoding: output, as: UTF8.self).split(separator: "\n").map { line in
            // sha512sum prefixes a line with '\' when it escapes the file name.
            String((line.hasPrefix("\\") ? line.dropFirst() : line).prefix(128)).lowercased()
        }
        for (index, fetched) in infos.enumerated() {
            let actual = index < sums.count ? sums[index] : "(none)"
            guard actual == fetched.info.checksum else {
                throw PreparationError(.verification, file: fetched.remotePath, field: "info.checksum",
                                       "'\(fetched.info.pathAtRest)' has SHA-512 \(actual.prefix(16))…, the info file says \(fetched.info.checksum.prefix(16))…",
                                       fix: "the encrypted file changed since it was prepared; prepare it again or restore it")
            }
        }
    }
}
