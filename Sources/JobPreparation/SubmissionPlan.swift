import Foundation

/// One info file as fetched: where it was and what it says.
public struct FetchedInfo: Sendable, Equatable, Codable {
    public let remotePath: String
    public let info: InfoFile

    public init(remotePath: String, info: InfoFile) {
        self.remotePath = remotePath
        self.info = info
    }
}

/// Everything needed to render and upload one submission. Remote paths are
/// per submission, so two queued jobs never share a key or a script.
public struct SubmissionPlan: Sendable, Equatable {
    public let submissionID: String
    public let config: HPCSConfig
    public let application: FetchedInfo
    public let data: FetchedInfo
    public let spec: JobSpec
    /// `~/.hpcs-job/<submission-id>` on the login node.
    public let remoteDirectory: String
    /// The tools the user pinned (uploaded beside the script), if any.
    public let tools: ToolManifest?
    /// The SPIRE server's trust bundle (uploaded beside the script), if the config names one.
    public let trustBundle: Data?

    public init(submissionID: String, config: HPCSConfig, application: FetchedInfo, data: FetchedInfo, spec: JobSpec,
                remoteHome: String, tools: ToolManifest? = nil, trustBundle: Data? = nil) {
        self.submissionID = submissionID
        self.config = config
        self.application = application
        self.data = data
        self.spec = spec
        self.tools = tools?.tools.isEmpty == true ? nil : tools
        self.trustBundle = trustBundle
        remoteDirectory = (remoteHome.hasSuffix("/") ? String(remoteHome.dropLast()) : remoteHome) + "/.hpcs-job/" + submissionID
    }

    public var sbatchPath: String { remoteDirectory + "/job.sbatch" }
    public var outputKeyPath: String { remoteDirectory + "/output_key.pub" }
    public var configPath: String { remoteDirectory + "/hpcs-client.conf" }
    public var toolsManifestPath: String { remoteDirectory + "/tools.manifest" }
    public var trustBundlePath: String { remoteDirectory + "/spire-bundle.pem" }
    public var logFile: String { spec.logFile(submissionID: submissionID) }
    public var outputDirectory: String { spec.outputDirectory(submissionID: submissionID) }
    public var encryptedOutput: String { spec.encryptedOutput(submissionID: submissionID) }

    /// A new, sortable, unguessable submission id: `YYYYMMDD-HHMMSS-xxxxxxxx`.
    public static func newSubmissionID(now: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let random = (0..<8).map { _ in "0123456789abcdef".randomElement() ?? "0" }
        return formatter.string(from: now) + "-" + String(random)
    }

    /// The values every template may use.
    public var templateValues: [String: TemplateValue] {
        func optional(_ value: String?) -> TemplateValue { value.map { $0.isEmpty ? .absent : .word($0) } ?? .absent }
        return [
            "job_name": .word(spec.jobName), "nodes": .word(String(spec.nodes)), "partition": .word(spec.partition),
            "time": .word(spec.time.normalized), "account": optional(spec.account), "nodelist": .word(spec.nodelist),
            "workdir": .word(spec.workdir), "log_file": .word(logFile), "output_dir": .word(outputDirectory),
            "input_scripts": optional(spec.inputScriptsDir), "output_scripts": optional(spec.outputScriptsDir),
            "singularity_flags": .words(spec.singularityFlags), "app_args": .words(spec.applicationArguments),
            "submission_id": .word(submissionID), "remote_dir": .word(remoteDirectory),
            "client_config": .word(configPath), "output_key": .word(outputKeyPath),
            "trust_domain": .word(config.spireServer.trustDomain), "vault_url": .word(config.vaultURL),
            "hpcs_server_url": .word(config.hpcsServerURL), "spire_server_address": .word(config.spireServer.address),
            "spire_server_port": .word(String(config.spireServer.port)),
            "tools_manifest": tools == nil ? .absent : .word(toolsManifestPath),
            "spire_trust_bundle": trustBundle == nil ? .absent : .word(trustBundlePath),
            "spire_insecure_bootstrap": .word(config.spireServer.insecureBootstrap && trustBundle == nil ? "yes" : "no"),
            "app_info": .word(application.remotePath), "app_path": .word(application.info.pathAtRest),
            "app_secret_path": .word(application.info.secretPath), "app_access_role": .word(application.info.accessRole),
            "app_checksum": .word(application.info.checksum), "app_spiffe_id": .word(application.info.spiffeID),
            "data_info": .word(data.remotePath), "data_path": .word(data.info.pathAtRest),
            "data_secret_path": .word(data.info.secretPath), "data_access_role": .word(data.info.accessRole),
            "data_checksum": .word(data.info.checksum), "data_spiffe_id": .word(data.info.spiffeID),
        ]
    }

    public func render(_ template: Template) throws -> String {
        try spec.validate()
        return try template.render(templateValues)
    }
}
