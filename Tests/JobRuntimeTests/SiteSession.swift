import Foundation
import History
import JobPreparation
import JobRuntime
import SecureShell
import SiteTestSupport

/// A private local state (XDG dirs, history) plus a connection to the site.
struct SiteSession {
    let site: LocalSite
    let root: URL
    let paths: LocalPaths
    let history: HistoryStore
    let config: HPCSConfig
    let ssh: SSHConnection

    /// `configKey`: the site.env entry naming the client config (another login node).
    static func open(configKey: String = "HPCS_SITE_CONFIG") async throws -> SiteSession {
        let site = try LocalSite.require()
        let root = try Tool.temporaryDirectory()
        let paths = LocalPaths(environment: ["HOME": root.path, "XDG_DATA_HOME": root.appendingPathComponent("data").path,
                                             "XDG_CONFIG_HOME": root.appendingPathComponent("config").path])
        let config = try HPCSConfig.load(path: site[configKey])
        let ssh = try await retryingADroppedHandshake {
            try await SSHConnection.connect(config.connectionSettings(sshConfig: SSHConfigFile(text: "")), interaction: NonInteractive())
        }
        return SiteSession(site: site, root: root, paths: paths, history: try HistoryStore(url: paths.historyDatabase),
                           config: config, ssh: ssh)
    }

    func close() {
        ssh.close()
        try? FileManager.default.removeItem(at: root)
    }

    var submitter: Submitter {
        Submitter(history: history, paths: paths,
                  templates: TemplateStore(directories: [LocalSite.repositoryRoot.appendingPathComponent("Templates")]))
    }

    func workdir(_ name: String) -> String { "\(site.workdir)/\(name)-\(UUID().uuidString.prefix(8))" }

    func spec(workdir: String, template: String = "hpcs", partition: String? = nil) -> JobSpec {
        JobSpec(jobName: "hpcs_test", nodes: 1, partition: partition ?? site.partition, time: .minutes(5), account: site.account,
                nodelist: site.node, workdir: workdir, applicationArguments: ["a b", "$(id)"], template: template)
    }

    func request(_ spec: JobSpec, app: String? = nil, data: String? = nil) -> SubmitRequest {
        SubmitRequest(config: config, appInfoPath: app ?? site.appInfo, dataInfoPath: data ?? site.dataInfo, spec: spec)
    }

    /// Submits a job directly with sbatch --wrap (for status and log tests).
    func sbatchWrap(_ script: String, name: String, extra: [String] = []) async throws -> String {
        let result = try await ssh.run(["sbatch", "--parsable", "-J", name, "-p", site.partition, "-o", "/dev/null"]
                                       + extra + ["--wrap", script])
        guard result.status.succeeded else { throw SubmissionFailed(message: result.stderrText) }
        return result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Polls until the job is final; returns its status.
    func waitFinal(_ jobID: String, timeout: Duration = .seconds(150)) async throws -> JobStatusSnapshot {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = try await StatusPoller.poll(jobIDs: [jobID], on: ssh)[jobID], status.state.isTerminal {
                return JobStatusSnapshot(state: status.state.rawValue, exitCode: status.exitCode?.code)
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        return JobStatusSnapshot(state: "still running", exitCode: nil)
    }
}

struct JobStatusSnapshot: Equatable {
    let state: String
    let exitCode: Int?
}
