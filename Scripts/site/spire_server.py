#!/usr/bin/env python3
"""HPCS server + SPIRE server simulator on 127.0.0.1.

HPCS server (port A): POST /api/agents/token?hostname=N
    -> {"success": true, "token": T, "spiffeID": ID}: a join token for compute
    node N (the agent's node attestation); {"success": false, ...} for a node
    that is not allowed.
SPIRE server (port B): POST /jwt {"join_token", "spiffe_id", "audience"}
    -> {"token": JWT}, only for spiffeIDs registered for that node in
    sim/registrations.json (re-read on every request).
"""
import json
import secrets
import sys
import threading
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from sim_common import JSONHandler, load, sign_jwt

JOIN_TOKENS = {}


class Handler(JSONHandler):
    name = "spire"

    def do_POST(self):
        url = urlparse(self.path)
        if url.path == "/api/agents/token":
            return self.join_token(parse_qs(url.query).get("hostname", [""])[0])
        if url.path != "/jwt":
            return self.reply(404, {"error": "no handler"})
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            node = JOIN_TOKENS[body["join_token"]]
            spiffe_id, audience = body["spiffe_id"], body["audience"]
        except (ValueError, KeyError, TypeError):
            return self.reply(403, {"error": "unknown agent"})
        if spiffe_id not in load("registrations.json").get(node, []):
            return self.reply(403, {"error": f"{spiffe_id} is not registered for node {node}"})
        return self.reply(200, {"token": sign_jwt(spiffe_id, audience)})

    def join_token(self, node):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if node not in load("registrations.json"):
            return self.reply(403, {"success": False, "error": f"node {node} is not allowed"})
        token = secrets.token_hex(16)
        JOIN_TOKENS[token] = node
        trust_domain = load("trust_domain.json")["trust_domain"]
        return self.reply(200, {"success": True, "token": token,
                                "spiffeID": f"spiffe://{trust_domain}/spire/agent/join_token/{token}"})



if __name__ == "__main__":
    hpcs_port, spire_port = int(sys.argv[1]), int(sys.argv[2])
    servers = [ThreadingHTTPServer(("127.0.0.1", port), Handler) for port in (hpcs_port, spire_port)]
    threading.Thread(target=servers[0].serve_forever, daemon=True).start()
    servers[1].serve_forever()
