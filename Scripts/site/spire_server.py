#!/usr/bin/env python3
"""HPCS server + SPIRE server simulator on 127.0.0.1, with upstream's answers.

HPCS server (port A):
  POST /api/agents/token?hostname=N
      -> {"success": true, "token": T, "spiffeID": ID}: a join token for the
      agent of compute node N; {"success": false, ...} for a node that is not allowed.
  POST /api/client/register  (no body)
      The client id is sha256(the caller's IP)[:9] (upstream's rule). Writes
      into OpenBao the policy client_<cid> (create/update on
      kv/data/client_<cid>/*) and the JWT role client_<cid> bound to
      spiffe://<td>/c/<cid>/workload; registers that workload under the
      client's agent spiffe://<td>/c/<cid>. -> {success, message, client_id,
      spiffeID, token}: a join token for the client's agent, valid 60 s.
  POST /api/client/create-workloads  {jwt, secret, users, groups, compute_nodes}
      The JWT must be the caller's own client workload's (another client's is
      refused). For each compute node and each user (unix:user:U) or group
      (unix:supplementary_group:G), registers spiffe://<td>/c/<cid>/s/<secret>
      under spiffe://<td>/h/<node>; writes the read-only policy and the JWT
      role client_<cid>-<secret> for it. -> {success, message, clientID,
      spiffeID, compute_nodes_added, secrets_path, user_role}.
SPIRE server (port B):
  POST /jwt {"join_token", "spiffe_id", "audience", "user", "groups"}
      -> {"token": JWT}: an ES256 JWT-SVID, only for a spiffeID registered
      under that agent whose selectors match the workload's user or groups.
Registrations: sim/registrations.json ({"nodes": [...], "entries": [...]}).
"""
import hashlib
import json
import re
import secrets
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from sim_common import JSONHandler, jwt_role, load, read_only_policy, save, sign_jwt, vault, verify_jwt

# join token -> the agent: its spiffeID (what entries name as parent), whether
# it is a client's (on the user's machine), until when the token may join.
JOIN_TOKENS = {}
LOCK = threading.Lock()
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def trust_domain():
    return load("trust_domain.json")["trust_domain"]


def add_entries(new):
    with LOCK:
        registrations = load("registrations.json")
        for entry in new:
            if entry not in registrations["entries"]:
                registrations["entries"].append(entry)
        save("registrations.json", registrations)


class Handler(JSONHandler):
    name = "hpcs"

    def body(self):
        length = int(self.headers.get("Content-Length", "0"))
        return json.loads(self.rfile.read(length)) if length else {}

    def client_id(self):
        return hashlib.sha256(self.client_address[0].encode()).hexdigest()[:9]

    def do_POST(self):
        url = urlparse(self.path)
        try:
            if url.path == "/api/agents/token":
                return self.node_token(parse_qs(url.query).get("hostname", [""])[0])
            if url.path == "/api/client/register":
                return self.register()
            if url.path == "/api/client/create-workloads":
                return self.create_workloads(self.body())
            if url.path == "/jwt":
                return self.jwt(self.body())
        except (ValueError, KeyError, TypeError) as error:
            return self.reply(400, {"success": False, "message": f"bad request: {error}"})
        except OSError as error:
            return self.reply(502, {"success": False, "message": f"Vault: {error}"})
        return self.reply(404, {"error": "no handler"})

    def node_token(self, node):
        self.body()
        if node not in load("registrations.json")["nodes"]:
            return self.reply(403, {"success": False, "error": f"node {node} is not allowed"})
        token = secrets.token_hex(16)
        JOIN_TOKENS[token] = {"parent": f"spiffe://{trust_domain()}/h/{node}", "client": False, "join_by": None}
        return self.reply(200, {"success": True, "token": token,
                                "spiffeID": f"spiffe://{trust_domain()}/spire/agent/join_token/{token}"})

    def register(self):
        self.body()
        cid, td = self.client_id(), trust_domain()
        workload = f"spiffe://{td}/c/{cid}/workload"
        vault("PUT", f"sys/policies/acl/client_{cid}",
              {"policy": f'path "kv/data/client_{cid}/*" {{\n  capabilities = ["create", "update"]\n}}\n'})
        jwt_role(f"client_{cid}", workload, [f"client_{cid}"])
        add_entries([{"spiffe_id": workload, "parent": f"spiffe://{td}/c/{cid}", "selectors": ["hpcs:client-agent"]}])
        token = secrets.token_hex(16)
        JOIN_TOKENS[token] = {"parent": f"spiffe://{td}/c/{cid}", "client": True, "join_by": time.time() + 60}
        return self.reply(200, {"success": True, "message": f"client {cid} registered", "client_id": cid,
                                "spiffeID": f"spiffe://{td}/c/{cid}", "token": token})

    def create_workloads(self, body):
        cid, td = self.client_id(), trust_domain()
        claims = verify_jwt(body["jwt"])
        own = f"spiffe://{td}/c/{cid}/workload"
        if claims is None or claims.get("sub") != own or "TESTING" not in claims.get("aud", []):
            return self.reply(403, {"success": False, "message": f"the JWT is not a valid SVID of {own}"})
        secret, users, groups, nodes = body["secret"], body.get("users") or [], body.get("groups") or [], body["compute_nodes"]
        for name in [secret, *users, *groups, *nodes]:
            if not isinstance(name, str) or not NAME.match(name):
                return self.reply(400, {"success": False, "message": f"not a valid name: {name!r}"})
        if not nodes or not (users or groups):
            return self.reply(400, {"success": False, "message": "name compute_nodes and users or groups"})
        spiffe_id = f"spiffe://{td}/c/{cid}/s/{secret}"
        selectors = [f"unix:user:{user}" for user in users] + [f"unix:supplementary_group:{group}" for group in groups]
        add_entries([{"spiffe_id": spiffe_id, "parent": f"spiffe://{td}/h/{node}", "selectors": [selector]}
                     for node in nodes for selector in selectors])
        with LOCK:
            registrations = load("registrations.json")
            registrations["nodes"] = sorted(set(registrations["nodes"]) | set(nodes))
            save("registrations.json", registrations)
        role = f"client_{cid}-{secret}"
        read_only_policy(role, f"client_{cid}/{secret}")
        jwt_role(role, spiffe_id, [role])
        return self.reply(200, {"success": True, "message": f"workloads for {secret} created", "clientID": cid,
                                "spiffeID": spiffe_id, "compute_nodes_added": nodes,
                                "secrets_path": f"client_{cid}/{secret}", "user_role": role})

    def jwt(self, body):
        agent = JOIN_TOKENS.get(body.get("join_token", ""))
        if agent is None:
            return self.reply(403, {"error": "unknown agent"})
        # A client's join token attests its agent once, within 60 s of registering.
        if agent["join_by"] is not None:
            if time.time() > agent["join_by"]:
                return self.reply(403, {"error": "the join token expired before the agent joined"})
            agent["join_by"] = None
        parent = agent["parent"]
        spiffe_id, audience = body["spiffe_id"], body["audience"]
        workload = {f"unix:user:{body.get('user', '')}"} | {f"unix:supplementary_group:{g}" for g in body.get("groups", [])}
        if agent["client"]:
            workload.add("hpcs:client-agent")
        entries = [e for e in load("registrations.json")["entries"] if e["spiffe_id"] == spiffe_id and e["parent"] == parent]
        if not entries:
            return self.reply(403, {"error": f"{spiffe_id} is not registered for agent {parent}"})
        if not any(set(e["selectors"]) & workload for e in entries):
            return self.reply(403, {"error": f"{spiffe_id} is not registered for this workload ({', '.join(sorted(workload))})"})
        return self.reply(200, {"token": sign_jwt(spiffe_id, audience)})


if __name__ == "__main__":
    hpcs_port, spire_port = int(sys.argv[1]), int(sys.argv[2])
    servers = [ThreadingHTTPServer(("127.0.0.1", port), Handler) for port in (hpcs_port, spire_port)]
    threading.Thread(target=servers[0].serve_forever, daemon=True).start()
    servers[1].serve_forever()
