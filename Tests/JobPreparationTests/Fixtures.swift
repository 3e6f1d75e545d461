import Foundation
import JobPreparation
import SiteTestSupport

enum Sample {
    static let configText = """
        # HPCS client configuration
        [spire-server]
        address = spire.example.org
        port = 8081
        trust-domain = hpcs.example.org

        [hpcs-server]
        url = https://hpcs.example.org

        [vault]
        url = https://vault.example.org:8200

        [supercomputer]
        address = login.example.org
        username = alice
        port = 2222
        identity-file = ~/.ssh/id_ed25519
        """

    static func config() throws -> HPCSConfig { try HPCSConfig.parse(configText, path: "/home/alice/hpcs-client.conf") }

    static let checksum = String(repeating: "ab", count: 64)

    static func info(path: String = "/scratch/project/alice/data.tgz.age", secret: String = "kv/alice/data",
                     role: String = "alice-data", spiffe: String = "spiffe://hpcs.example.org/c/data") -> InfoFile {
        InfoFile(pathAtRest: path, secretPath: secret, accessRole: role, checksum: checksum, spiffeID: spiffe)
    }

    static func spec() -> JobSpec {
        JobSpec(jobName: "hpcs_alice", nodes: 1, partition: "debug", time: .minutes(10), account: "project_1",
                nodelist: "nid001", workdir: "/scratch/project/alice/run1")
    }

    static func plan(application: InfoFile = info(path: "/scratch/a/app.sif.age"), data: InfoFile = info(),
                     spec: JobSpec = spec()) throws -> SubmissionPlan {
        SubmissionPlan(submissionID: "20261124-120000-abcdef01", config: try config(),
                       application: FetchedInfo(remotePath: "/home/alice/app.info.yaml", info: application),
                       data: FetchedInfo(remotePath: "/home/alice/data.info.yaml", info: data), spec: spec,
                       remoteHome: "/home/alice")
    }

    static var templates: TemplateStore {
        TemplateStore(directories: [LocalSite.repositoryRoot.appendingPathComponent("Templates")])
    }
}
