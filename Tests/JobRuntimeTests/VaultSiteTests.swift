import Foundation
import JobPreparation
import JobRuntime
import SiteTestSupport
import Testing

/// What Vault itself (the site's OpenBao) says about a secure job's access:
/// not the job's own log lines.
extension SecureJobTests {
    /// Roles of this test only (the sample's subject and policy), so another
    /// test's job logging in beside this one is not counted.
    func ownRole(_ site: LocalSite, _ name: String, like sample: String) throws {
        let made = try site.bao(["write", "auth/jwt/role/\(name)", "role_type=jwt", "user_claim=sub", "bound_audiences=TESTING",
                                 "bound_subject=spiffe://hpcs.local/c/\(sample)", "token_policies=\(sample)-role", "token_ttl=5m"])
        #expect(made.status == 0, "\(made.err)")
    }

    @Test func theJobsVaultTokensAreRefusedByVaultAfterTheJob() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        let site = session.site
        let tag = UUID().uuidString.prefix(8).lowercased()
        let appRole = "test-app-\(tag)", dataRole = "test-data-\(tag)"
        try ownRole(site, appRole, like: "sample-container")
        try ownRole(site, dataRole, like: "sample-data")
        let dir = session.workdir("revoked-info")
        let app = try await infoCopy(session, of: site.appInfo, in: dir, replacing: ["sample-container-role": appRole])
        let data = try await infoCopy(session, of: site.dataInfo, in: dir, replacing: ["sample-data-role": dataRole])
        let outcome = try await run(session, name: "revoked", app: app, data: data)
        #expect(outcome.status == JobStatusSnapshot(state: "COMPLETED", exitCode: 0), "\(outcome.log)")
        // The container key's token (the job script's) and the data key's (the image's entrypoint).
        for role in [appRole, dataRole] {
            let tokens = try site.vaultTokens(issuedFor: role)
            #expect(tokens.count == 1, "Vault issued \(tokens.count) tokens for \(role)")
            for token in tokens {
                let lookup = try site.http("GET", site.vaultAddress + "/v1/auth/token/lookup-self", headers: ["X-Vault-Token: \(token)"])
                #expect(lookup.status == 403, "\(role)'s token is still valid after the job: \(lookup.body)")
            }
        }
    }

    /// The data's identity logs in (its own role), but its policy does not
    /// cover the container key: Vault answers 403 and the job stops there.
    @Test func aJWTForTheDataIdentityCannotReadTheContainerKey() async throws {
        let session = try await SiteSession.open()
        defer { session.close() }
        let app = try await infoCopy(session, of: session.site.appInfo, in: session.workdir("datajwt-info"), replacing: [
            "sample-container-role": "sample-data-role", "c/sample-container": "c/sample-data"])
        let outcome = try await run(session, name: "datajwt", app: app)
        try await expectFailedAt(outcome, step: 6, session)
        #expect(outcome.log.contains("Vault refused to read hpcs/sample-container"), "\(outcome.log)")
        #expect(outcome.log.contains("403"), "Vault's own answer is in the log: \(outcome.log)")
    }

    @Test func aRoleForAnotherSecretCannotReadThisOne() throws {
        let site = try LocalSite.require()
        let svid = try site.svid("spiffe://hpcs.local/c/sample-data")
        let jwt = try #require(svid.token, "SPIRE answered \(svid.status)")
        let login = try site.vaultLogin(role: "sample-data-role", jwt: jwt)
        let token = try #require(login.token, "\(login)")
        defer { _ = try? site.http("POST", site.vaultAddress + "/v1/auth/token/revoke-self", headers: ["X-Vault-Token: \(token)"]) }
        let own = try site.http("GET", site.vaultAddress + "/v1/kv/data/hpcs/sample-data", headers: ["X-Vault-Token: \(token)"])
        #expect(own.status == 200, "its own secret: \(own.body)")
        let other = try site.http("GET", site.vaultAddress + "/v1/kv/data/hpcs/sample-container", headers: ["X-Vault-Token: \(token)"])
        #expect(other.status == 403, "another secret: \(other.body)")
        // Nor does this identity log in to the container's role.
        let wrongRole = try site.vaultLogin(role: "sample-container-role", jwt: jwt)
        #expect(wrongRole.token == nil && wrongRole.errors.joined().contains("sub"), "\(wrongRole)")
    }

    @Test func aJWTWithTheWrongAudienceIsRefused() throws {
        let site = try LocalSite.require()
        let svid = try site.svid("spiffe://hpcs.local/c/sample-container", audience: "SOMEONE-ELSE")
        let jwt = try #require(svid.token, "SPIRE answered \(svid.status)")
        let login = try site.vaultLogin(role: "sample-container-role", jwt: jwt)
        #expect(login.token == nil && login.errors.joined().contains("audience"), "\(login)")
    }

    /// The SPIRE server issues an SVID only for a workload registered on that
    /// node for that user.
    @Test func svidsOnlyForRegisteredNodesAndUsers() throws {
        let site = try LocalSite.require()
        #expect(try site.svid("spiffe://hpcs.local/c/sample-data").token != nil)
        #expect(try site.svid("spiffe://hpcs.local/c/sample-data", user: "root").status == 403, "another user on the node")
        #expect(try site.svid("spiffe://hpcs.local/c/sample-data", node: "not-a-node").token == nil, "a node not allowed")
    }
}
