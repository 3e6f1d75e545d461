import Foundation

/// The site's real Vault (OpenBao) and the HPCS server simulator, as the
/// tests talk to them: HTTP through curl, administration through `bao`
/// with the site's root token (the tests run as root beside the site).
extension LocalSite {
    public var vaultAddress: String { self["HPCS_SITE_VAULT_ADDR"] }
    public var hpcsServerURL: String { self["HPCS_SITE_HPCS_URL"] }

    /// `bao ARGS` as the site's administrator.
    public func bao(_ arguments: [String], stdin: Data? = nil) throws -> ToolResult {
        let token = try String(contentsOfFile: self["HPCS_SITE_VAULT_ROOT_TOKEN_FILE"], encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return try Tool.run("/usr/bin/env", ["BAO_ADDR=\(vaultAddress)", "BAO_TOKEN=\(token)", self["HPCS_SITE_BAO"]] + arguments, stdin: stdin)
    }

    /// An HTTP call: the status code and the JSON body (empty when none).
    public func http(_ method: String, _ url: String, json body: Any? = nil, headers: [String] = []) throws -> (status: Int, body: [String: Any]) {
        var arguments = ["-sS", "-X", method, "-o", "-", "-w", "\n%{http_code}", url]
        for header in headers { arguments += ["-H", header] }
        var input: Data?
        if let body {
            input = try JSONSerialization.data(withJSONObject: body)
            arguments += ["-H", "Content-Type: application/json", "--data-binary", "@-"]
        }
        let text = try Tool.run("/usr/bin/curl", arguments, stdin: input).out
        let split = text.lastIndex(of: "\n").map { (String(text[..<$0]), String(text[text.index(after: $0)...])) } ?? ("", text)
        let object = (try? JSONSerialization.jsonObject(with: Data(split.0.utf8))) as? [String: Any] ?? [:]
        return (Int(split.1) ?? 0, object)
    }

    /// A JWT-SVID from the site's SPIRE server, as the agent of `node` asks
    /// for it on behalf of a workload of `user` (a fresh join token each time).
    public func svid(_ spiffeID: String, audience: String = "TESTING", node: String? = nil, user: String? = nil) throws -> (status: Int, token: String?) {
        let join = try http("POST", hpcsServerURL + "/api/agents/token?hostname=\(node ?? self.node)")
        guard let joinToken = join.body["token"] as? String else { return (join.status, nil) }
        return try svid(spiffeID, joinToken: joinToken, audience: audience, user: user ?? self.user)
    }

    /// A JWT-SVID through the agent that `joinToken` attested.
    public func svid(_ spiffeID: String, joinToken: String, audience: String = "TESTING", user: String) throws -> (status: Int, token: String?) {
        let answer = try http("POST", self["HPCS_SITE_SPIRE_URL"] + "/jwt", json: [
            "join_token": joinToken, "spiffe_id": spiffeID, "audience": audience, "user": user, "groups": [String](),
        ])
        return (answer.status, answer.body["token"] as? String)
    }

    /// Vault's JWT login: the status, the client token, Vault's errors.
    public func vaultLogin(role: String, jwt: String) throws -> (status: Int, token: String?, errors: [String]) {
        let answer = try http("POST", vaultAddress + "/v1/auth/jwt/login", json: ["role": role, "jwt": jwt])
        return (answer.status, (answer.body["auth"] as? [String: Any])?["client_token"] as? String, answer.body["errors"] as? [String] ?? [])
    }

    /// Every client token Vault issued at a JWT login to `role`, from its audit log.
    public func vaultTokens(issuedFor role: String) throws -> [String] {
        let text = try String(contentsOfFile: self["HPCS_SITE_VAULT_AUDIT_LOG"], encoding: .utf8)
        return text.split(separator: "\n").compactMap { line -> String? in
            guard let entry = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                  entry["type"] as? String == "response",
                  let request = entry["request"] as? [String: Any], request["path"] as? String == "auth/jwt/login",
                  let auth = entry["auth"] as? [String: Any], let metadata = auth["metadata"] as? [String: Any],
                  metadata["role"] as? String == role else { return nil }
            return auth["client_token"] as? String
        }
    }
}
