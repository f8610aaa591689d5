"""Issue 19 item 5: what an authorization server sends is input we did not write. One bad key or
odd metadata must not break every token, a hanging issuer must not hold every request, a JWT
header must not break a challenge. Each test failed before its fix."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from naftiko_lambda.consumes.transport import Urllib3Transport
from naftiko_lambda.errors import CredentialError, Unauthorized
from naftiko_lambda.exposes.oauth import ResourceServer, Validator

from ..support.authserver import CLIENT_ID, CLIENT_SECRET, AuthServer
from ..support.deployment import Deployment, write_spec
from ..support.reliability import record
from ..support.upstream import Reply, UpstreamServer

RESOURCE = "https://mcp.example"
LIST = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
GOOD = {"aud": RESOURCE, "scope": "tools:read"}
SPEC = """
naftiko: 1.0.0-alpha2
capability:
  consumes:
  - type: http
    namespace: up
    baseUri: https://up.example.com
    resources:
    - {name: r, path: /things, operations: [{name: list, method: GET}]}
  exposes:
  - type: rest
    namespace: api
    port: 2
    authentication: {type: oauth2, authorizationServerUri: "AUTH", resource: "https://mcp.example"}
    resources:
    - {path: /things, operations: [{method: GET, name: list, call: up.list}]}
  - type: mcp
    namespace: tools
    port: 1
    tools:
    - {name: list-things, description: things, call: up.list}
"""


@pytest.fixture
def auth() -> Iterator[AuthServer]:
    with AuthServer() as server:
        yield server


def _deployment(tmp_path: Path, upstream: UpstreamServer, auth: AuthServer) -> Deployment:
    folder = tmp_path / "capabilities"
    write_spec(folder, "spec.yaml", SPEC.replace("AUTH", auth.url))
    settings = {"MCP_AUTH": "oauth2", "MCP_OAUTH_ISSUER": auth.url, "MCP_OAUTH_AUDIENCE": RESOURCE}
    upstream.reply(Reply(200, []))
    return Deployment(folder, upstream.url, settings)


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def _b64(value: int) -> str:
    return base64.urlsafe_b64encode(value.to_bytes((value.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()


def _bad_keys(auth: AuthServer) -> list[dict[str, Any]]:
    rsa = json.loads(json.dumps(auth.jwks()["keys"][1]))  # the RSA key's public parts
    try:
        p192 = ec.generate_private_key(ec.SECP192R1()).public_key().public_numbers()
        x, y = _b64(p192.x), _b64(p192.y)
    except Exception:  # an OpenSSL without P-192: coordinates of no curve will do
        x, y = _b64(3 << 180), _b64(5 << 180)
    return [
        {"kty": "RSA", "kid": "x5c-only", "use": "sig", "x5c": ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]},
        {"kty": "EC", "kid": "p-192", "use": "sig", "crv": "P-192", "x": x, "y": y},
        {**rsa, "kid": "rsa-as-hs256", "alg": "HS256"},
        {"kty": "RSA", "kid": "bad-modulus", "use": "sig", "n": "!!not-base64!!", "e": "AQAB"},
        "not a key",
    ]


def test_one_bad_key_among_good_ones_breaks_no_token(
    tmp_path: Path, upstream: UpstreamServer, auth: AuthServer
) -> None:
    """PyJWT's InvalidKeyError for any one key escaped as a 500 for every token."""
    deployment = _deployment(tmp_path, upstream, auth)
    published = {"keys": [*_bad_keys(auth), *auth.jwks()["keys"]]}
    auth.jwks = lambda: published  # type: ignore[method-assign]
    assert deployment.post_mcp("/mcp", LIST, _bearer(auth.sign(GOOD))).status == 200
    headers = {"Authorization": "Bearer " + auth.sign(GOOD)}
    assert deployment.rest("spec", "GET", "/things", headers=headers).status == 200
    forged = deployment.post_mcp("/mcp", LIST, _bearer(auth.sign(GOOD, kid="ec-1", algorithm="ES256") + "x"))
    assert forged.status == 401  # a bad signature is still refused
    record(
        "security",
        "JWKS with an x5c-only, a P-192, an HS256-marked and a bad-modulus key among good ones",
        3,
        "good tokens 200, forged 401",
    )


@pytest.mark.parametrize(
    "name, metadata, jwks",
    [
        ("a non-string issuer", {"issuer": 42}, None),
        ("no issuer at all", {"issuer": None}, None),
        ("keys: null", {}, {"keys": None}),
        ("keys that are a string", {}, {"keys": "nope"}),
        ("a JWKS that is a list", {}, [1, 2]),
    ],
)
def test_odd_metadata_is_a_json_rpc_503_not_a_crash(
    tmp_path: Path, upstream: UpstreamServer, auth: AuthServer, name: str, metadata: dict[str, Any], jwks: Any
) -> None:
    """A non-string issuer or `keys: null` raised AttributeError: MCP answered plain text 500."""
    deployment = _deployment(tmp_path, upstream, auth)
    base = auth.metadata
    auth.metadata = lambda: {k: v for k, v in {**base(), **metadata}.items() if v is not None}  # type: ignore[method-assign]
    if jwks is not None:
        auth.jwks = lambda: jwks  # type: ignore[method-assign]
    response = deployment.post_mcp("/mcp", LIST, _bearer(auth.sign(GOOD)))
    assert response.status == 503 and response.json["error"]["code"] == -32603, response.json
    rest = deployment.rest("spec", "GET", "/things", headers={"Authorization": "Bearer " + auth.sign(GOOD)})
    assert rest.status == 503 and rest.json["title"] == "Credential not available"
    record("security", f"authorization server metadata with {name}", 2, "MCP JSON-RPC 503, REST 503 problem")


def test_a_hanging_jwks_holds_one_request_briefly_and_the_next_not_at_all(
    tmp_path: Path, upstream: UpstreamServer, auth: AuthServer
) -> None:
    """A JWKS that never answered held each request for the 20 s read timeout."""
    deployment = _deployment(tmp_path, upstream, auth)
    auth.jwks_delay_s = 8.0
    token = _bearer(auth.sign(GOOD))
    started = time.monotonic()
    first = deployment.post_mcp("/mcp", LIST, token)
    first_s = time.monotonic() - started
    assert first.status == 503 and first.json["error"]["code"] == -32603
    assert first_s < 7, first_s  # at most the fetch bound (5 s), not the read timeout
    validator = Validator(ResourceServer(auth.url, None, (RESOURCE,)), Urllib3Transport())
    with pytest.raises(CredentialError):
        validator.check(token["authorization"])
    started = time.monotonic()
    with pytest.raises(CredentialError):
        validator.check(token["authorization"])  # the failure is remembered: not asked again yet
    assert time.monotonic() - started < 1
    record("security", "a JWKS endpoint that hangs", 3, f"503 after {first_s:.1f} s; the next request at once")


def test_a_jwt_header_of_any_text_gets_a_clean_challenge(
    tmp_path: Path, upstream: UpstreamServer, auth: AuthServer
) -> None:
    """A non-Latin-1 `alg` gave an unauthenticated REST 500 and could inject into WWW-Authenticate."""
    deployment = _deployment(tmp_path, upstream, auth)

    def part(value: Any) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    for alg in ("RS256€", 'RS256", error="spoofed', "RS256\r\nX-Injected: 1", ["RS256"]):
        token = f"{part({'alg': alg, 'kid': 'rsa-1'})}.{part(GOOD)}.c2ln"
        rest = deployment.rest("spec", "GET", "/things", headers={"Authorization": f"Bearer {token}"})
        challenge = rest.headers["www-authenticate"]
        assert rest.status == 401, rest.json
        assert "spoofed" not in challenge and "X-Injected" not in challenge and "€" not in challenge
        mcp = deployment.post_mcp("/mcp", LIST, _bearer(token))
        assert mcp.status == 401 and mcp.json["error"]["code"] == -32001
    record("security", "JWT headers with non-Latin-1, quoted and CRLF algorithms", 8, "401 with a clean challenge")


def test_a_client_id_is_no_audience_unless_the_issuer_is_cognito(
    tmp_path: Path, upstream: UpstreamServer, auth: AuthServer
) -> None:
    deployment = _deployment(tmp_path, upstream, auth)
    cognito_style = {"client_id": RESOURCE, "token_use": "access", "scope": "tools:read"}  # no aud
    assert deployment.post_mcp("/mcp", LIST, _bearer(auth.sign(cognito_style))).status == 401
    record("security", "a token naming the audience only as client_id, issuer not Cognito", 1, "401 invalid_token")


def test_a_revoked_introspected_token_is_accepted_for_a_minute_at_most(auth: AuthServer) -> None:
    """Answers were kept until the token's exp (600 s here): a revoked token stayed good that long."""
    now = [1_000_000.0]
    server = ResourceServer(auth.url, None, (RESOURCE,), introspection=True)
    secrets = {"OAUTH_CLIENT_ID": CLIENT_ID, "OAUTH_CLIENT_SECRET": CLIENT_SECRET}
    validator = Validator(server, Urllib3Transport(), secrets.__getitem__, clock=lambda: now[0])
    auth.active.add("opaque-1")
    validator.check("Bearer opaque-1")
    auth.active.discard("opaque-1")  # revoked at the issuer
    now[0] += 30
    validator.check("Bearer opaque-1")  # still within the cache time
    now[0] += 31
    with pytest.raises(Unauthorized, match="not active"):
        validator.check("Bearer opaque-1")
    record("security", "a token revoked at the issuer (introspection)", 1, "refused 61 s later (cache at most 60 s)")
