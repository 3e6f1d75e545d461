"""Shared pieces of the local site's simulators (SPIRE, HPCS server).

Only the observable interface the HPCS job uses is simulated. JWT-SVIDs are
ES256-signed, as real SPIRE's are, with a P-256 key only the simulators can
read (sim/jwt-signing.pem); OpenBao, the site's real Vault, validates them
with the public half (sim/jwt-signing.pub). Signing and checking go through
the openssl CLI, so no Python package is needed. State lives in JSON files
under the site root so tests can change it.
"""
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler

SITE_ROOT = os.environ.get("HPCS_SITE_ROOT", "/var/lib/hpcs-local-site")
SIM = os.path.join(SITE_ROOT, "sim")
SIGNING_KEY = os.path.join(SIM, "jwt-signing.pem")
SIGNING_PUB = os.path.join(SIM, "jwt-signing.pub")


def load(name):
    with open(os.path.join(SIM, name)) as handle:
        return json.load(handle)


def save(name, value):
    """Writes sim/NAME atomically (other simulators re-read it on every request)."""
    path = os.path.join(SIM, name)
    with tempfile.NamedTemporaryFile("w", dir=SIM, delete=False) as handle:
        json.dump(value, handle, indent=1)
    os.chmod(handle.name, 0o644)
    os.replace(handle.name, path)


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _der_to_raw(der):
    """An ECDSA signature as DER (openssl's) → JOSE's r||s, 32 bytes each."""
    if der[0] != 0x30:
        raise ValueError("not a DER sequence")
    offset = 2 if der[1] < 0x80 else 3
    parts = []
    for _ in range(2):
        if der[offset] != 0x02:
            raise ValueError("not a DER integer")
        length = der[offset + 1]
        parts.append(int.from_bytes(der[offset + 2:offset + 2 + length], "big"))
        offset += 2 + length
    return b"".join(part.to_bytes(32, "big") for part in parts)


def _raw_to_der(raw):
    def integer(value):
        data = value.to_bytes(32, "big").lstrip(b"\0") or b"\0"
        if data[0] & 0x80:
            data = b"\0" + data
        return bytes([0x02, len(data)]) + data
    body = integer(int.from_bytes(raw[:32], "big")) + integer(int.from_bytes(raw[32:], "big"))
    return bytes([0x30, len(body)]) + body


def sign_jwt(subject, audience, ttl=300):
    header = _b64(json.dumps({"alg": "ES256", "typ": "JWT", "kid": "hpcs-local-site"}).encode())
    now = int(time.time())
    claims = _b64(json.dumps({"sub": subject, "aud": [audience], "iat": now, "exp": now + ttl}).encode())
    body = f"{header}.{claims}"
    der = subprocess.run(["openssl", "dgst", "-sha256", "-sign", SIGNING_KEY], input=body.encode(),
                         capture_output=True, check=True).stdout
    return f"{body}.{_b64(_der_to_raw(der))}"


def verify_jwt(token):
    """The claims of a valid, unexpired ES256 token signed by the site's key, else None."""
    try:
        header, claims, signature = token.split(".")
        if json.loads(_unb64(header)).get("alg") != "ES256":
            return None
        with tempfile.NamedTemporaryFile() as sig:
            sig.write(_raw_to_der(_unb64(signature)))
            sig.flush()
            checked = subprocess.run(["openssl", "dgst", "-sha256", "-verify", SIGNING_PUB, "-signature", sig.name],
                                     input=f"{header}.{claims}".encode(), capture_output=True)
        if checked.returncode != 0:
            return None
        data = json.loads(_unb64(claims))
        return data if data.get("exp", 0) > time.time() else None
    except (ValueError, KeyError, IndexError, json.JSONDecodeError):
        return None


class JSONHandler(BaseHTTPRequestHandler):
    """Replies with JSON; logs to stderr with the simulator's name."""
    name = "sim"

    def reply(self, status, body):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        sys.stderr.write(f"{self.name}: " + fmt % args + "\n")


VAULT_ADDR = os.environ.get("HPCS_SITE_VAULT_ADDR", "http://127.0.0.1:8200")


def vault(method, path, body=None):
    """One call to the site's OpenBao with its root token (the HPCS server's
    own access, as upstream's server has); the JSON answer, or None."""
    import urllib.request
    with open(os.path.join(SIM, "vault-root-token")) as handle:
        token = handle.read().strip()
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{VAULT_ADDR}/v1/{path}", data=data, method=method,
                                     headers={"X-Vault-Token": token, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        text = reply.read()
    return json.loads(text) if text else None


def read_only_policy(name, secret_path):
    """A policy that reads exactly one kv v2 secret (upstream's per-secret policy)."""
    vault("PUT", f"sys/policies/acl/{name}", {"policy": f'path "kv/data/{secret_path}" {{\n  capabilities = ["read"]\n}}\n'})


def jwt_role(name, spiffe_id, policies, ttl="5m"):
    """A JWT role for exactly one workload identity (upstream's roles)."""
    vault("POST", f"auth/jwt/role/{name}", {
        "role_type": "jwt", "user_claim": "sub", "bound_audiences": ["TESTING"], "bound_subject": spiffe_id,
        "token_policies": policies, "token_ttl": ttl, "token_max_ttl": "10m",
    })
