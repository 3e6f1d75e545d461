#!/usr/bin/env python3
"""Vault simulator on 127.0.0.1: exactly the two calls an HPCS job uses.

POST /v1/auth/jwt/login  {"role": R, "jwt": J} -> {"auth": {"client_token": T}}
    refused unless J is a valid SVID whose subject is R's bound spiffeID.
GET  /v1/kv/data/<path>  (X-Vault-Token: T)    -> {"data": {"data": {"key": K}}}
    refused unless T was granted that path.
POST /v1/auth/token/revoke-self  (X-Vault-Token: T) -> 204; T is no longer valid.
Roles and secrets: sim/vault.json (re-read on every request).
"""
import json
import secrets
import sys
from http.server import ThreadingHTTPServer

from sim_common import JSONHandler, load, verify_jwt

TOKENS = {}


class Vault(JSONHandler):
    name = "vault"

    def do_POST(self):
        if self.path == "/v1/auth/token/revoke-self":
            if TOKENS.pop(self.headers.get("X-Vault-Token", ""), None) is None:
                return self.reply(403, {"errors": ["permission denied"]})
            return self.reply(204, None)
        if self.path != "/v1/auth/jwt/login":
            return self.reply(404, {"errors": ["no handler"]})
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            role_name, token = body["role"], body["jwt"]
        except (ValueError, KeyError, TypeError):
            return self.reply(400, {"errors": ["expected {\"role\", \"jwt\"}"]})
        role = load("vault.json")["roles"].get(role_name)
        claims = verify_jwt(token)
        if role is None or claims is None or claims.get("sub") != role["spiffe_id"]:
            return self.reply(403, {"errors": ["permission denied"]})
        client_token = "hvs." + secrets.token_urlsafe(24)
        TOKENS[client_token] = set(role["paths"])
        return self.reply(200, {"auth": {"client_token": client_token, "policies": [role_name]}})

    def do_GET(self):
        prefix = "/v1/kv/data/"
        if not self.path.startswith(prefix):
            return self.reply(404, {"errors": ["no handler"]})
        path = self.path[len(prefix):]
        granted = TOKENS.get(self.headers.get("X-Vault-Token", ""), set())
        secret = load("vault.json")["secrets"].get(path)
        if path not in granted or secret is None:
            return self.reply(403, {"errors": ["permission denied"]})
        return self.reply(200, {"data": {"data": {"key": secret}}})



if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 8200), Vault).serve_forever()
