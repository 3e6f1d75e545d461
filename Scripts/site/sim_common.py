"""Shared pieces of the local site's simulators (Vault, SPIRE, HPCS server).

Only the observable interface the HPCS job uses is simulated. JWTs are
HS256-signed with a key only the simulators can read; state lives in JSON
files under the site root so tests can change it (revoke, rotate keys).
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler

SITE_ROOT = os.environ.get("HPCS_SITE_ROOT", "/var/lib/hpcs-local-site")
SIM = os.path.join(SITE_ROOT, "sim")


def load(name):
    with open(os.path.join(SIM, name)) as handle:
        return json.load(handle)


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key():
    with open(os.path.join(SIM, "jwt.key"), "rb") as handle:
        return handle.read().strip()


def sign_jwt(subject, audience, ttl=300):
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = _b64(json.dumps({"sub": subject, "aud": [audience], "exp": int(time.time()) + ttl}).encode())
    body = f"{header}.{claims}"
    signature = _b64(hmac.new(_key(), body.encode(), hashlib.sha256).digest())
    return f"{body}.{signature}"


def verify_jwt(token):
    """The claims of a valid, unexpired token, else None."""
    try:
        header, claims, signature = token.split(".")
        expected = _b64(hmac.new(_key(), f"{header}.{claims}".encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(expected, signature):
            return None
        data = json.loads(_unb64(claims))
        return data if data.get("exp", 0) > time.time() else None
    except (ValueError, KeyError, json.JSONDecodeError):
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
