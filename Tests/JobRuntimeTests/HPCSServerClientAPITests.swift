import Foundation
import SiteTestSupport
import Testing

/// The HPCS server simulator's client API (data and image preparation)
/// leaves in OpenBao exactly what upstream's server writes, read back with
/// `bao`; and the identities it creates open exactly their own secret.
@Suite(.enabled(if: LocalSite.isExpected, "\(LocalSite.howToStart)"))
struct HPCSServerClientAPITests {
    func policy(_ site: LocalSite, _ name: String) throws -> String {
        let read = try site.bao(["policy", "read", name])
        #expect(read.status == 0, "\(read.err)")
        return read.out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func role(_ site: LocalSite, _ name: String) throws -> [String: Any] {
        let read = try site.bao(["read", "-format=json", "auth/jwt/role/\(name)"])
        #expect(read.status == 0, "\(read.err)")
        return (try JSONSerialization.jsonObject(with: read.stdout) as? [String: Any])?["data"] as? [String: Any] ?? [:]
    }

    @Test func registerThenCreateWorkloadsWriteUpstreamsPoliciesAndRoles() throws {
        let site = try LocalSite.require()
        // register: the client, its join token (60 s), its workload's policy and role.
        let registered = try site.http("POST", site.hpcsServerURL + "/api/client/register")
        #expect(registered.status == 200 && registered.body["success"] as? Bool == true, "\(registered)")
        let cid = try #require(registered.body["client_id"] as? String)
        let joinToken = try #require(registered.body["token"] as? String)
        #expect(registered.body["spiffeID"] as? String == "spiffe://hpcs.local/c/\(cid)")
        // Upstream's rule: the first 9 hex digits of the SHA-256 of the caller's address.
        let expected = try Tool.run("/bin/sh", ["-c", "printf %s 127.0.0.1 | sha256sum | cut -c1-9"]).out
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(cid == expected)
        #expect(try policy(site, "client_\(cid)") == "path \"kv/data/client_\(cid)/*\" {\n  capabilities = [\"create\", \"update\"]\n}")
        let clientRole = try role(site, "client_\(cid)")
        #expect(clientRole["bound_subject"] as? String == "spiffe://hpcs.local/c/\(cid)/workload")
        #expect(clientRole["bound_audiences"] as? [String] == ["TESTING"] && clientRole["user_claim"] as? String == "sub"
            && clientRole["role_type"] as? String == "jwt" && clientRole["token_policies"] as? [String] == ["client_\(cid)"])

        // The client's own agent fetches its workload's SVID; create-workloads with it.
        let workload = "spiffe://hpcs.local/c/\(cid)/workload"
        let clientSVID = try #require(try site.svid(workload, joinToken: joinToken, user: "anyone").token)
        let secret = "ds-\(UUID().uuidString.prefix(8).lowercased())"
        let created = try site.http("POST", site.hpcsServerURL + "/api/client/create-workloads", json: [
            "jwt": clientSVID, "secret": secret, "users": [site.user], "groups": [String](), "compute_nodes": [site.node],
        ])
        #expect(created.status == 200 && created.body["success"] as? Bool == true, "\(created)")
        let secretID = "spiffe://hpcs.local/c/\(cid)/s/\(secret)"
        #expect(created.body["spiffeID"] as? String == secretID && created.body["clientID"] as? String == cid)
        #expect(created.body["secrets_path"] as? String == "client_\(cid)/\(secret)")
        #expect(created.body["user_role"] as? String == "client_\(cid)-\(secret)")
        #expect(created.body["compute_nodes_added"] as? [String] == [site.node])
        #expect(try policy(site, "client_\(cid)-\(secret)") == "path \"kv/data/client_\(cid)/\(secret)\" {\n  capabilities = [\"read\"]\n}")
        let secretRole = try role(site, "client_\(cid)-\(secret)")
        #expect(secretRole["bound_subject"] as? String == secretID && secretRole["token_policies"] as? [String] == ["client_\(cid)-\(secret)"])

        // The client ships the key with its own role; the job's identity, on the node, for the user, reads it.
        let clientLogin = try site.vaultLogin(role: "client_\(cid)", jwt: clientSVID)
        let clientToken = try #require(clientLogin.token, "\(clientLogin)")
        let written = try site.http("POST", site.vaultAddress + "/v1/kv/data/client_\(cid)/\(secret)", json: ["data": ["key": "AGE-SECRET-KEY-TEST"]],
                                    headers: ["X-Vault-Token: \(clientToken)"])
        #expect(written.status == 200, "\(written)")
        let readBack = try site.http("GET", site.vaultAddress + "/v1/kv/data/client_\(cid)/\(secret)", headers: ["X-Vault-Token: \(clientToken)"])
        #expect(readBack.status == 403, "the client writes, never reads: \(readBack.body)")
        let nodeSVID = try #require(try site.svid(secretID).token, "the node's agent, for the site user")
        let jobLogin = try site.vaultLogin(role: "client_\(cid)-\(secret)", jwt: nodeSVID)
        let jobToken = try #require(jobLogin.token, "\(jobLogin)")
        let key = try site.http("GET", site.vaultAddress + "/v1/kv/data/client_\(cid)/\(secret)", headers: ["X-Vault-Token: \(jobToken)"])
        #expect(((key.body["data"] as? [String: Any])?["data"] as? [String: Any])?["key"] as? String == "AGE-SECRET-KEY-TEST")
        #expect(try site.svid(secretID, user: "root").status == 403, "another user on the node gets no SVID for it")
        for token in [clientToken, jobToken] {
            _ = try site.http("POST", site.vaultAddress + "/v1/auth/token/revoke-self", headers: ["X-Vault-Token: \(token)"])
        }
    }

    @Test func createWorkloadsRefusesAJWTOfAnotherWorkload() throws {
        let site = try LocalSite.require()
        let registered = try site.http("POST", site.hpcsServerURL + "/api/client/register")
        let cid = try #require(registered.body["client_id"] as? String)
        // A valid SVID, but the compute node's sample workload's, not this client's.
        let other = try #require(try site.svid("spiffe://hpcs.local/c/sample-data").token)
        let refused = try site.http("POST", site.hpcsServerURL + "/api/client/create-workloads", json: [
            "jwt": other, "secret": "stolen", "users": [site.user], "compute_nodes": [site.node],
        ])
        #expect(refused.status == 403 && refused.body["success"] as? Bool == false, "\(refused)")
        #expect(try site.bao(["policy", "read", "client_\(cid)-stolen"]).status != 0, "nothing was written")
    }
}
