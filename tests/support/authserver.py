"""A real OAuth 2.1 authorization server on 127.0.0.1 for tests: keys made here, metadata,
JWKS, a client-credentials token endpoint and an RFC 7662 introspection endpoint.

It counts what it is asked (``jwks_fetches``, ``mints``, ``introspections``) and signs tokens
with ``sign()``; ``rotate()`` adds a key as an authorization server does before using it.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

CLIENT_ID = "naftiko-client"
CLIENT_SECRET = "client-secret-0123456789"


def _rsa() -> Any:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class AuthServer:
    def __init__(self, *, oidc_only: bool = False, expires_in: int = 3600) -> None:
        self.keys: dict[str, Any] = {"rsa-1": _rsa(), "ec-1": ec.generate_private_key(ec.SECP256R1())}
        self.published = {"rsa-1", "ec-1"}
        self.oidc_only = oidc_only
        self.expires_in = expires_in
        self.jwks_fetches = 0
        self.mints = 0
        self.introspections = 0
        self.active: set[str] = set()
        self.down = False
        self.token_status = 200
        self.jwt_tokens = False  # issue signed JWTs (aud = the requested resource) instead of opaque tokens
        self.jwks_delay_s = 0.0  # how long the JWKS endpoint takes to answer (a hanging issuer)
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if (
                    self.path == "/.well-known/oauth-authorization-server" and not server.oidc_only
                ) or self.path == "/.well-known/openid-configuration":
                    self._json(200, server.metadata())
                elif self.path == "/jwks":
                    with server._lock:
                        server.jwks_fetches += 1
                    if server.jwks_delay_s:
                        threading.Event().wait(server.jwks_delay_s)
                    self._json(200, server.jwks())
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                basic = self.headers.get("Authorization", "")
                pair = base64.b64decode(basic[6:]).decode() if basic.startswith("Basic ") else ""
                client_ok = pair == f"{CLIENT_ID}:{CLIENT_SECRET}" or (
                    form.get("client_id") == CLIENT_ID and form.get("client_secret") == CLIENT_SECRET
                )
                if self.path == "/token":
                    if not client_ok:
                        self._json(401, {"error": "invalid_client"})
                        return
                    with server._lock:
                        server.mints += 1
                        number = server.mints
                    if server.token_status != 200:
                        self._json(server.token_status, {"error": "server_error"})
                        return
                    token = f"minted-{number}"
                    if server.jwt_tokens:
                        claims = {"aud": form.get("resource"), "scope": form.get("scope") or "", "client_id": CLIENT_ID}
                        token = server.sign({k: v for k, v in claims.items() if v is not None})
                    answer = {"access_token": token, "expires_in": server.expires_in, "token_type": "Bearer"}
                    self._json(200, answer)
                elif self.path == "/introspect":
                    with server._lock:
                        server.introspections += 1
                    if not client_ok:
                        self._json(401, {"error": "invalid_client"})
                        return
                    token = form.get("token", "")
                    if token in server.active:
                        self._json(
                            200,
                            {
                                "active": True,
                                "iss": server.url,
                                "aud": "https://mcp.example",
                                "scope": "tools:read",
                                "exp": time.time() + 600,
                            },
                        )
                    else:
                        self._json(200, {"active": False})
                else:
                    self._json(404, {"error": "not_found"})

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def __enter__(self) -> AuthServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "authorization_endpoint": self.url + "/authorize",  # required by RFC 8414; unused here
            "response_types_supported": ["code"],
            "grant_types_supported": ["client_credentials"],
            "jwks_uri": self.url + "/jwks",
            "token_endpoint": self.url + "/token",
            "introspection_endpoint": self.url + "/introspect",
        }

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid in sorted(self.published):
            key = self.keys[kid]
            algorithm = jwt.algorithms.RSAAlgorithm if kid.startswith("rsa") else jwt.algorithms.ECAlgorithm
            public = json.loads(algorithm.to_jwk(key.public_key()))
            keys.append({**public, "kid": kid, "use": "sig"})
        return {"keys": keys}

    def rotate(self, kid: str) -> None:
        """A new key, published from now on."""
        self.keys[kid] = _rsa()
        self.published.add(kid)

    def sign(self, claims: dict[str, Any], *, kid: str = "rsa-1", algorithm: str = "RS256", **headers: Any) -> str:
        now = int(time.time())
        body = {"iss": self.url, "iat": now, "exp": now + 300, **claims}
        return jwt.encode(body, self.keys[kid], algorithm=algorithm, headers={"kid": kid, **headers})

    def public_pem(self, kid: str = "rsa-1") -> bytes:
        from cryptography.hazmat.primitives import serialization

        return (
            self.keys[kid]
            .public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
