"""Issue 12: OAuth both ways, against a real authorization server on loopback (tests/support/authserver.py).

Inbound: the MCP function as an OAuth 2.1 resource server (deployment level and from the spec),
REST too; RFC 9728 metadata; every way a token can be wrong. Outbound: upstream tokens minted
from client credentials, cached to their expiry, re-minted after a 401, minted once under load.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from naftiko_lambda.consumes import tokens

from ..support.authserver import CLIENT_ID, CLIENT_SECRET, AuthServer, _rsa
from ..support.deployment import Deployment, write_spec
from ..support.upstream import Reply, UpstreamServer

RESOURCE = "https://mcp.example"
LIST = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}

TOOLS = """
naftiko: 1.0.0-alpha2
capability:
  consumes:
  - type: http
    namespace: up
    baseUri: https://up.example.com
    resources:
    - {name: r, path: /things, operations: [{name: list, method: GET}]}
  exposes:
  - type: mcp
    namespace: tools
    port: 1
    tools:
    - {name: list-things, description: things, call: up.list}
"""


@pytest.fixture
def auth() -> Iterator[AuthServer]:
    with AuthServer() as server:
        server.keys["rsa-ghost"] = _rsa()  # a key the server signs with but never publishes
        yield server


def _deployment(tmp_path: Path, upstream: UpstreamServer, auth: AuthServer, **environ: str) -> Deployment:
    folder = tmp_path / "capabilities"
    write_spec(folder, "things.yaml", TOOLS)
    settings = {
        "MCP_AUTH": "oauth2",
        "MCP_OAUTH_ISSUER": auth.url,
        "MCP_OAUTH_AUDIENCE": RESOURCE,
        "MCP_OAUTH_SCOPES": "tools:read",
        **environ,
    }
    return Deployment(folder, upstream.url, settings)


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def _forge_hs256(claims: dict[str, Any], secret: bytes, kid: str = "rsa-1") -> str:
    """An HS256 token keyed with the RSA *public* key: the classic algorithm-confusion attack."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    head = part({"alg": "HS256", "typ": "JWT", "kid": kid})
    body = part(claims)
    signature = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


GOOD = {"aud": RESOURCE, "scope": "tools:read tools:write"}


@pytest.mark.parametrize("mode", ["auto", "legacy"])
def test_the_official_client_calls_a_tool_with_an_access_token(
    tmp_path: Path, upstream: UpstreamServer, auth: AuthServer, mode: str
) -> None:
    deployment = _deployment(tmp_path, upstream, auth)
    upstream.reply(Reply(200, [{"id": 1}]))

    async def scenario(client: Client) -> Any:
        listed = await client.list_tools()
        return [t.name for t in listed.tools], await client.call_tool("things__list-things", {})

    names, result = deployment.mcp(scenario, mode=mode, token=auth.sign(GOOD))
    assert names == ["things__list-things"] and not result.is_error
    assert upstream.last.target == "/things"


def test_the_official_client_discovers_the_authorization_server_and_mints_its_token(
    tmp_path: Path, upstream: UpstreamServer, auth: AuthServer
) -> None:
    """RFC 9728 end to end: 401 -> resource_metadata -> the issuer's metadata -> client credentials
    token -> the call, all by the SDK's own OAuth client (ClientCredentialsOAuthProvider)."""
    from mcp.client.auth.extensions.client_credentials import ClientCredentialsOAuthProvider

    from ..support.mcp_lambda import FUNCTION_URL

    auth.jwt_tokens = True
    deployment = _deployment(tmp_path, upstream, auth, MCP_OAUTH_AUDIENCE=FUNCTION_URL + "/mcp")
    upstream.reply(Reply(200, [{"id": 1}]))

    class Tokens:  # the SDK's TokenStorage, in memory
        tokens: Any = None
        info: Any = None

        async def get_tokens(self) -> Any:
            return self.tokens

        async def set_tokens(self, tokens: Any) -> None:
            self.tokens = tokens

        async def get_client_info(self) -> Any:
            return self.info

        async def set_client_info(self, info: Any) -> None:
            self.info = info

    provider = ClientCredentialsOAuthProvider(
        server_url=FUNCTION_URL + "/mcp",
        storage=Tokens(),
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        scope="tools:read",
        issuer=auth.url,
    )
    result = deployment.mcp_with_auth(provider, "things__list-things")
    assert not result.is_error and upstream.last.target == "/things"
    assert auth.mints == 1


def test_an_ec_key_and_a_cognito_style_token_are_accepted(
    tmp_path: Path, upstream: UpstreamServer, auth: AuthServer
) -> None:
    # Issue 19 item 5: client_id stands in for aud only where the deployment says the issuer is Cognito.
    deployment = _deployment(
        tmp_path, upstream, auth, MCP_OAUTH_AUDIENCE="cognito-app-client", MCP_OAUTH_COGNITO="true"
    )
    cognito = {"client_id": "cognito-app-client", "token_use": "access", "scope": "tools:read"}  # no aud
    assert deployment.post_mcp("/mcp", LIST, _bearer(auth.sign(cognito, kid="ec-1", algorithm="ES256"))).status == 200


def test_every_wrong_token_is_refused_with_the_right_challenge(
    tmp_path: Path, upstream: UpstreamServer, auth: AuthServer
) -> None:
    deployment = _deployment(tmp_path, upstream, auth)
    function_url = "https://abcdefghijklmnopqrstuvwxyz123456.lambda-url.us-east-1.on.aws"
    missing = deployment.post_mcp("/mcp", LIST, {})
    assert missing.status == 401
    assert missing.headers["www-authenticate"] == (
        f'Bearer resource_metadata="{function_url}/.well-known/oauth-protected-resource/mcp"'
    )
    none_token = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    none_token += (
        "."
        + base64.urlsafe_b64encode(json.dumps({**GOOD, "iss": auth.url, "exp": 9e9}).encode()).rstrip(b"=").decode()
        + "."
    )
    cases = {
        "expired": auth.sign({**GOOD, "exp": 1_000_000}),
        "wrong audience": auth.sign({**GOOD, "aud": "https://someone-else.example"}),
        "wrong issuer": auth.sign({**GOOD, "iss": "https://evil.example"}),
        "alg none": none_token,
        "HS256 keyed with the public key": _forge_hs256({**GOOD, "iss": auth.url, "exp": 9e9}, auth.public_pem()),
        "garbage": "not-a-jwt",
        "unknown key (never published)": auth.sign(GOOD, kid="rsa-ghost"),
    }
    for name, token in cases.items():
        answer = deployment.post_mcp("/mcp", LIST, _bearer(token))
        assert answer.status == 401, name
        challenge = answer.headers["www-authenticate"]
        assert challenge.startswith("Bearer resource_metadata=") and 'error="invalid_token"' in challenge, (
            name,
            challenge,
        )
    scopeless = deployment.post_mcp("/mcp", LIST, _bearer(auth.sign({**GOOD, "scope": "other"})))
    assert scopeless.status == 403
    assert 'error="insufficient_scope"' in scopeless.headers["www-authenticate"]
    assert 'scope="tools:read"' in scopeless.headers["www-authenticate"]


def test_an_unknown_key_refreshes_the_key_set_once(tmp_path: Path, upstream: UpstreamServer, auth: AuthServer) -> None:
    """Within one warm process: an unknown kid refetches the keys once; another within a minute does not."""
    from naftiko_lambda.consumes.transport import Urllib3Transport
    from naftiko_lambda.errors import Unauthorized
    from naftiko_lambda.exposes.oauth import ResourceServer, Validator

    validator = Validator(ResourceServer(auth.url, None, (RESOURCE,)), Urllib3Transport())
    validator.check("Bearer " + auth.sign(GOOD))
    fetched = auth.jwks_fetches
    auth.rotate("rsa-3")
    validator.check("Bearer " + auth.sign(GOOD, kid="rsa-3"))  # unknown: one refresh finds it
    assert auth.jwks_fetches == fetched + 1
    with pytest.raises(Unauthorized, match="unknown key"):
        validator.check("Bearer " + auth.sign(GOOD, kid="rsa-ghost"))
    assert auth.jwks_fetches == fetched + 1  # no second fetch within the minute


def test_protected_resource_metadata_for_every_endpoint(
    tmp_path: Path, upstream: UpstreamServer, auth: AuthServer
) -> None:
    deployment = _deployment(tmp_path, upstream, auth)
    for path in ("", "/mcp", "/mcp/things", "/mcp/things/tools"):
        document = deployment.get_mcp("/.well-known/oauth-protected-resource" + path)
        assert document.status == 200, path
        assert document.json == {
            "resource": "https://abcdefghijklmnopqrstuvwxyz123456.lambda-url.us-east-1.on.aws" + (path or "/mcp"),
            "authorization_servers": [auth.url],
            "bearer_methods_supported": ["header"],
            "scopes_supported": ["tools:read"],
        }
    assert deployment.get_mcp("/.well-known/oauth-protected-resource/mcp/nope").status == 404


def test_the_oidc_metadata_is_the_fallback(tmp_path: Path, upstream: UpstreamServer) -> None:
    with AuthServer(oidc_only=True) as auth:  # Amazon Cognito publishes only openid-configuration
        deployment = _deployment(tmp_path, upstream, auth)
        assert deployment.post_mcp("/mcp", LIST, _bearer(auth.sign(GOOD))).status == 200


SPEC_OAUTH = """
naftiko: 1.0.0-alpha2
binds:
- namespace: env
  keys: {OAUTH_CLIENT_ID: OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET: OAUTH_CLIENT_SECRET}
capability:
  consumes:
  - type: http
    namespace: up
    baseUri: https://up.example.com
    resources:
    - {name: r, path: /things, operations: [{name: list, method: GET}]}
  exposes:
  - type: mcp
    namespace: guarded
    port: 1
    authentication:
      type: oauth2
      authorizationServerUri: "AUTH"
      resource: "https://mcp.example"
      scopes: [tools:read]
      tokenValidation: VALIDATION
    tools:
    - {name: list-things, description: things, call: up.list}
  - type: rest
    namespace: api
    port: 2
    authentication:
      type: oauth2
      authorizationServerUri: "AUTH"
      resource: "https://mcp.example"
      scopes: [tools:read]
      tokenEndpoint: "AUTH/token"
      tokenValidation: VALIDATION
    resources:
    - {path: /things, operations: [{method: GET, name: list, call: up.list}]}
"""


def _spec_deployment(tmp_path: Path, upstream: UpstreamServer, auth: AuthServer, validation: str) -> Deployment:
    folder = tmp_path / "capabilities"
    write_spec(folder, "spec.yaml", SPEC_OAUTH.replace("AUTH", auth.url).replace("VALIDATION", validation))
    return Deployment(folder, upstream.url, {"OAUTH_CLIENT_ID": CLIENT_ID, "OAUTH_CLIENT_SECRET": CLIENT_SECRET})


def test_an_oauth2_block_guards_its_mcp_and_rest_endpoints(
    tmp_path: Path, upstream: UpstreamServer, auth: AuthServer
) -> None:
    deployment = _spec_deployment(tmp_path, upstream, auth, "jwks")
    upstream.reply(Reply(200, []))
    token = auth.sign(GOOD)
    # the access token stands for the deployment's static token on the block's endpoint
    assert deployment.post_mcp("/mcp/spec/guarded", LIST, _bearer(token)).status == 200
    assert deployment.post_mcp("/mcp/spec/guarded", LIST, {}).status == 401
    assert deployment.rest("spec", "GET", "/things").status == 401
    refused = deployment.rest(
        "spec", "GET", "/things", headers={"Authorization": "Bearer " + auth.sign({"aud": RESOURCE})}
    )
    assert refused.status == 403 and 'error="insufficient_scope"' in refused.headers["www-authenticate"]
    assert deployment.rest("spec", "GET", "/things", headers={"Authorization": f"Bearer {token}"}).status == 200
    schemes = deployment.rest("spec", "GET", "/openapi.json").json["components"]["securitySchemes"]
    assert schemes["api"] == {
        "type": "oauth2",
        "flows": {"clientCredentials": {"tokenUrl": auth.url + "/token", "scopes": {"tools:read": "tools:read"}}},
    }


def test_introspection_active_and_inactive_tokens(tmp_path: Path, upstream: UpstreamServer, auth: AuthServer) -> None:
    deployment = _spec_deployment(tmp_path, upstream, auth, "introspection")
    auth.active.add("opaque-good")

    async def twice(client: Client) -> None:
        await client.list_tools()
        await client.list_tools()

    deployment.mcp(twice, path="/mcp/spec/guarded", token="opaque-good")
    assert auth.introspections == 1  # the second answer came from the cache (until exp)
    assert deployment.post_mcp("/mcp/spec/guarded", LIST, _bearer("opaque-revoked")).status == 401


# -- outbound: client-credentials tokens for upstreams -------------------------------------------

OUTBOUND = """
naftiko: 1.0.0-alpha2
binds:
- namespace: env
  keys: {M3TER_API_KEY: M3TER_API_KEY}
capability:
  consumes:
  - type: http
    namespace: m3ter
    baseUri: https://api.m3ter.com
    authentication: {type: bearer, token: "{{M3TER_API_KEY}}"}
    resources:
    - {name: r, path: /bills, operations: [{name: list, method: GET}, {name: create, method: POST}]}
  exposes:
  - type: rest
    namespace: api
    port: 1
    resources:
    - {path: /bills, operations: [{method: GET, name: list, call: m3ter.list}, {method: POST, name: create, call: m3ter.create}]}
"""


def _source(auth: AuthServer, **extra: str) -> str:
    return json.dumps(
        {"oauth2": {"tokenUrl": auth.url + "/token", "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, **extra}}
    )


def _outbound(tmp_path: Path, upstream: UpstreamServer, auth: AuthServer, **extra: str) -> Deployment:
    folder = tmp_path / "capabilities"
    write_spec(folder, "bills.yaml", OUTBOUND)
    return Deployment(folder, upstream.url, {"M3TER_API_KEY": _source(auth, **extra)})


def test_tokens_are_minted_once_per_expiry(
    tmp_path: Path, upstream: UpstreamServer, auth: AuthServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(tokens, "clock", lambda: now[0])
    auth.expires_in = 100
    deployment = _outbound(tmp_path, upstream, auth)
    upstream.reply(Reply(200, []))
    for _ in range(3):  # three expiries, several calls in each
        for _ in range(4):
            assert deployment.rest("bills", "GET", "/bills").status == 200
        now[0] += 100
    assert auth.mints == 3
    assert [r.headers["Authorization"] for r in upstream.received[::4]] == [
        "Bearer minted-1",
        "Bearer minted-2",
        "Bearer minted-3",
    ]


def test_an_upstream_401_forces_one_re_mint(tmp_path: Path, upstream: UpstreamServer, auth: AuthServer) -> None:
    deployment = _outbound(tmp_path, upstream, auth, clientAuth="body")
    upstream.reply(Reply(401, {"message": "expired"}), Reply(200, []))
    assert deployment.rest("bills", "GET", "/bills").status == 200
    assert auth.mints == 2
    assert [r.headers["Authorization"] for r in upstream.received] == ["Bearer minted-1", "Bearer minted-2"]
    upstream.received.clear()
    upstream.reply(Reply(401, {"message": "expired"}))
    assert deployment.rest("bills", "POST", "/bills", body={"a": 1}).status == 502
    assert [r.method for r in upstream.received] == ["POST"]  # a write is never re-sent


def test_concurrent_first_calls_mint_once(tmp_path: Path, upstream: UpstreamServer, auth: AuthServer) -> None:
    from naftiko_lambda.credentials import CredentialSource
    from naftiko_lambda.runner.seams import LazyTransport

    source = CredentialSource({"M3TER_API_KEY": _source(auth)}, transport=LazyTransport())
    start = threading.Barrier(8)
    got: list[str] = []

    def first_call() -> None:
        start.wait()
        got.append(source.get("M3TER_API_KEY").reveal())

    threads = [threading.Thread(target=first_call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert auth.mints == 1 and got == ["minted-1"] * 8


def test_a_token_endpoint_that_fails_is_a_503_naming_the_bind_key(
    tmp_path: Path, upstream: UpstreamServer, auth: AuthServer
) -> None:
    deployment = _outbound(tmp_path, upstream, auth)
    auth.token_status = 500
    failed = deployment.rest("bills", "GET", "/bills")
    assert failed.status == 503 and failed.json["credential"] == "M3TER_API_KEY"
    assert "token endpoint answered 500" in failed.json["detail"]
    assert CLIENT_SECRET not in json.dumps(failed.json)
    folder = tmp_path / "down"
    write_spec(folder, "bills.yaml", OUTBOUND)
    down = Deployment(
        folder,
        upstream.url,
        {
            "M3TER_API_KEY": json.dumps(
                {"oauth2": {"tokenUrl": "http://127.0.0.1:9/token", "clientId": "a", "clientSecret": "b"}}
            )
        },
    )
    answer = down.rest("bills", "GET", "/bills")
    assert answer.status == 503 and "cannot be reached" in answer.json["detail"]
    assert upstream.received == []
