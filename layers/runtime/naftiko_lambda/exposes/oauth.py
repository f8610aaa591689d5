"""OAuth 2.1 resource server: check ``Authorization: Bearer <access token>`` for REST and MCP.

The ``oauth2`` authentication of an exposes block (or, for the MCP function, MCP_AUTH=oauth2)
names an authorization server (``authorizationServerUri``, the issuer), this server's
``resource`` (RFC 8707) and ``audience``, the ``scopes`` a token must carry, and how tokens are
checked (``tokenValidation``):

- ``jwks`` (default): the issuer's metadata is discovered at ``/.well-known/oauth-authorization-
  server`` (RFC 8414), falling back to ``/.well-known/openid-configuration``; its ``jwks_uri``
  gives the keys. A token is a JWT signed with an allowed asymmetric algorithm (never ``none``,
  never HMAC: a public key can not be mistaken for a shared secret); ``iss`` is the issuer;
  ``exp``/``nbf`` hold with LEEWAY_S; ``aud`` names the audience or the resource (an Amazon
  Cognito access token has no ``aud``: its ``client_id`` may name the audience instead).
- ``introspection``: the issuer's RFC 7662 endpoint says whether the token is active, asked with
  this server's own client credentials; answers are cached by a hash of the token until ``exp``.

PyJWT (with ``cryptography``) checks signatures and claims: no hand-written crypto here.
Metadata and keys are cached per warm process for METADATA_TTL_S; a token signed with an unknown
``kid`` refreshes the keys at most once per KEY_REFRESH_S. HTTP goes through the transport, so
every fetch stays inside the invocation's deadline.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from ..capability.model import Auth
from ..consumes.request import UpstreamRequest, check_upstream_url
from ..deadline import Deadline, now_or_default
from ..errors import CredentialError, NaftikoError, Unauthorized

ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "PS256")
"""Signature algorithms accepted (RFC 7518 asymmetric ones); everything else is refused."""
KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC"}
LEEWAY_S = 60
"""Clock skew allowed on exp/nbf (seconds)."""
METADATA_TTL_S = 3600
"""How long discovered metadata and keys are reused (seconds)."""
KEY_REFRESH_S = 60
"""Least time between two key-set fetches caused by unknown key ids (seconds)."""


@dataclass(frozen=True, slots=True)
class ResourceServer:
    """What an oauth2 block (or MCP_AUTH=oauth2) asks of a token."""

    issuer: str
    resource: str | None
    audiences: tuple[str, ...]
    scopes: tuple[str, ...] = ()
    introspection: bool = False
    token_endpoint: str | None = None
    client_variables: tuple[str, str] = ("OAUTH_CLIENT_ID", "OAUTH_CLIENT_SECRET")

    @classmethod
    def from_auth(cls, auth: Auth) -> ResourceServer:
        issuer = auth.text("authorizationServerUri") or ""
        resource = auth.text("resource")
        audience = auth.text("audience")
        return cls(
            issuer=issuer.rstrip("/"),
            resource=resource,
            audiences=tuple(a for a in (audience, resource) if a),
            scopes=auth.scopes,
            introspection=auth.text("tokenValidation") == "introspection",
            token_endpoint=auth.text("tokenEndpoint"),
        )

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ResourceServer:
        """MCP_AUTH=oauth2: MCP_OAUTH_ISSUER, MCP_OAUTH_AUDIENCE, MCP_OAUTH_SCOPES (comma list),
        MCP_OAUTH_RESOURCE, MCP_OAUTH_VALIDATION (jwks | introspection)."""
        issuer = environ.get("MCP_OAUTH_ISSUER", "").rstrip("/")
        audience = environ.get("MCP_OAUTH_AUDIENCE") or None
        resource = environ.get("MCP_OAUTH_RESOURCE") or None
        scopes = tuple(s.strip() for s in environ.get("MCP_OAUTH_SCOPES", "").split(",") if s.strip())
        return cls(
            issuer=issuer,
            resource=resource,
            audiences=tuple(a for a in (audience, resource) if a),
            scopes=scopes,
            introspection=environ.get("MCP_OAUTH_VALIDATION", "jwks") == "introspection",
            client_variables=("MCP_OAUTH_CLIENT_ID", "MCP_OAUTH_CLIENT_SECRET"),
        )


@dataclass
class Validator:
    """Checks tokens for one ResourceServer; holds its caches (one Validator per warm process)."""

    server: ResourceServer
    transport: Any
    credentials: Callable[[str], str] = lambda key: ""  # bind variable -> value (introspection client)
    clock: Callable[[], float] = time.time
    _metadata: tuple[float, Mapping[str, Any]] | None = field(default=None, repr=False)
    _keys: tuple[float, dict[str, Any]] | None = field(default=None, repr=False)
    _last_refresh: float = field(default=-1e9, repr=False)  # the last fetch an unknown key id caused
    _introspected: dict[str, tuple[float, dict[str, Any]]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def check(self, authorization: str | None, deadline: Deadline | None = None) -> dict[str, Any]:
        """The token's claims when it is good for this server.

        Raises:
            Unauthorized: no token (401), a bad one (401 invalid_token), a missing scope (403).
            CredentialError: the authorization server cannot be asked (503).
        """
        deadline = deadline or now_or_default()
        if not self.server.issuer:
            raise CredentialError("MCP_OAUTH_ISSUER", "no authorization server is configured for OAuth")
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("an access token is required")
        claims = self._introspect(token, deadline) if self.server.introspection else self._verify(token, deadline)
        self._check_audience(claims)
        granted = _scopes(claims)
        missing = [s for s in self.server.scopes if s not in granted]
        if missing:
            raise Unauthorized(
                f"the token lacks the scope {' '.join(missing)}",
                status=403,
                error="insufficient_scope",
                scope=" ".join(self.server.scopes),
            )
        return claims

    # -- JWT ---------------------------------------------------------------------------------
    def _verify(self, token: str, deadline: Deadline) -> dict[str, Any]:
        import jwt

        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise _invalid("the token is not a JWT") from None
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:
            raise _invalid(f"the token's algorithm {algorithm!r} is not accepted")
        key = self._key(header.get("kid"), str(algorithm), deadline)
        try:
            return dict(
                jwt.decode(
                    token,
                    key,
                    algorithms=[str(algorithm)],
                    issuer=self.server.issuer,
                    leeway=LEEWAY_S,
                    options={"require": ["exp", "iss"], "verify_aud": False},
                )
            )
        except jwt.ExpiredSignatureError:
            raise _invalid("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise _invalid("the token is not valid yet") from None
        except jwt.InvalidIssuerError:
            raise _invalid("the token's issuer is not this server's authorization server") from None
        except jwt.PyJWTError as exc:
            raise _invalid(f"the token is invalid ({type(exc).__name__})") from None

    def _key(self, kid: Any, algorithm: str, deadline: Deadline) -> Any:
        keys = self._key_set(deadline, refresh=False)
        found = keys.get(str(kid)) if kid is not None else (next(iter(keys.values())) if len(keys) == 1 else None)
        if found is None:
            keys = self._key_set(deadline, refresh=True)  # maybe rotated; at most once per KEY_REFRESH_S
            found = keys.get(str(kid)) if kid is not None else None
        if found is None:
            raise _invalid("the token is signed with an unknown key")
        if found.key_type != KEY_TYPES[algorithm[:2]]:
            raise _invalid("the token's algorithm does not fit its key")
        return found.key

    def _key_set(self, deadline: Deadline, *, refresh: bool) -> dict[str, Any]:
        from jwt import PyJWK, PyJWKError

        now = self.clock()
        with self._lock:
            cached = self._keys
            if cached is not None and now - cached[0] < METADATA_TTL_S and not refresh:
                return cached[1]
            if refresh:
                if now - self._last_refresh < KEY_REFRESH_S and cached is not None:
                    return cached[1]
                self._last_refresh = now
        uri = self._discover(deadline).get("jwks_uri")
        if not isinstance(uri, str):
            raise CredentialError(self.server.issuer, "the authorization server's metadata has no jwks_uri")
        document = self._get_json(uri, deadline)
        keys: dict[str, Any] = {}
        for index, data in enumerate(document.get("keys", []) if isinstance(document, dict) else []):
            if not isinstance(data, dict) or data.get("use", "sig") != "sig":
                continue
            try:
                jwk = PyJWK(data)
            except PyJWKError:
                continue  # a key type this server does not accept (oct, ...): never used
            keys[str(data.get("kid", index))] = jwk
        with self._lock:
            self._keys = (now, keys)
        return keys

    def _discover(self, deadline: Deadline) -> Mapping[str, Any]:
        now = self.clock()
        with self._lock:
            if self._metadata is not None and now - self._metadata[0] < METADATA_TTL_S:
                return self._metadata[1]
        issuer = self.server.issuer
        parts = urlsplit(issuer)
        # RFC 8414 section 3: the well-known segment goes between the host and the issuer's path.
        candidates = [
            f"{parts.scheme}://{parts.netloc}/.well-known/oauth-authorization-server{parts.path}",
            f"{issuer}/.well-known/openid-configuration",
        ]
        for url in candidates:
            try:
                metadata = self._get_json(url, deadline)
            except CredentialError:
                continue
            if isinstance(metadata, dict) and metadata.get("issuer", issuer).rstrip("/") == issuer:
                with self._lock:
                    self._metadata = (now, metadata)
                return metadata
        raise CredentialError(issuer, "the authorization server's metadata cannot be read")

    # -- introspection -----------------------------------------------------------------------
    def _introspect(self, token: str, deadline: Deadline) -> dict[str, Any]:
        digest = hashlib.sha256(token.encode()).hexdigest()
        now = self.clock()
        with self._lock:
            cached = self._introspected.get(digest)
        if cached is not None and cached[0] > now:
            return cached[1]
        endpoint = self._discover(deadline).get("introspection_endpoint")
        if not isinstance(endpoint, str):
            raise CredentialError(
                self.server.issuer, "the authorization server's metadata has no introspection_endpoint"
            )
        client_id, client_secret = (self.credentials(name) for name in self.server.client_variables)
        pair = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        request = UpstreamRequest(
            "POST",
            check_upstream_url(endpoint),
            (
                ("Authorization", f"Basic {pair}"),
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Accept", "application/json"),
            ),
            urlencode({"token": token, "token_type_hint": "access_token"}).encode(),
        )
        answer = self._send_json(request, deadline)
        if not isinstance(answer, dict) or answer.get("active") is not True:
            raise _invalid("the token is not active")
        if answer.get("iss") and str(answer["iss"]).rstrip("/") != self.server.issuer:
            raise _invalid("the token's issuer is not this server's authorization server")
        expires = float(answer["exp"]) if isinstance(answer.get("exp"), int | float) else now + 60
        if expires <= now:
            raise _invalid("the token has expired")
        with self._lock:
            self._introspected[digest] = (expires, answer)
        return answer

    # -- shared ------------------------------------------------------------------------------
    def _check_audience(self, claims: Mapping[str, Any]) -> None:
        if not self.server.audiences:
            return
        audience = claims.get("aud")
        named = [audience] if isinstance(audience, str) else list(audience) if isinstance(audience, list) else []
        if audience is None and claims.get("client_id") is not None:
            named = [claims["client_id"]]  # Amazon Cognito access tokens carry client_id, not aud
        if not any(a in self.server.audiences for a in named):
            raise _invalid("the token is not meant for this server (aud)")

    def _get_json(self, url: str, deadline: Deadline) -> Any:
        try:
            target = check_upstream_url(url)
        except ValueError:
            raise CredentialError(self.server.issuer, f"{url} is not an https:// URL") from None
        return self._send_json(UpstreamRequest("GET", target, (("Accept", "application/json"),)), deadline)

    def _send_json(self, request: UpstreamRequest, deadline: Deadline) -> Any:
        try:
            response = self.transport.send(request, "oauth", deadline)
        except NaftikoError as exc:
            raise CredentialError(self.server.issuer, "the authorization server cannot be reached") from exc
        if response.status != 200:
            raise CredentialError(self.server.issuer, f"the authorization server answered {response.status}")
        try:
            return json.loads(response.body)
        except ValueError:
            raise CredentialError(self.server.issuer, "the authorization server's answer is not JSON") from None


def _invalid(message: str) -> Unauthorized:
    return Unauthorized(message, error="invalid_token")


def _scopes(claims: Mapping[str, Any]) -> set[str]:
    granted: set[str] = set()
    for name in ("scope", "scp"):
        value = claims.get(name)
        if isinstance(value, str):
            granted |= set(value.split())
        elif isinstance(value, list):
            granted |= {str(v) for v in value}
    return granted


def challenge(error: Unauthorized | None, metadata_url: str | None) -> str:
    """The ``WWW-Authenticate`` value of a 401/403 (RFC 6750 section 3, RFC 9728 section 5.1)."""
    parts = []
    if metadata_url:
        parts.append(f'resource_metadata="{metadata_url}"')
    if error is not None and error.error:
        parts.append(f'error="{error.error}"')
        parts.append(f'error_description="{error.message}"')
        if error.scope:
            parts.append(f'scope="{error.scope}"')
    return "Bearer " + ", ".join(parts) if parts else "Bearer"


def protected_resource_metadata(server: ResourceServer, resource: str) -> dict[str, Any]:
    """RFC 9728 Protected Resource Metadata for ``resource``."""
    document: dict[str, Any] = {
        "resource": server.resource or resource,
        "authorization_servers": [server.issuer],
        "bearer_methods_supported": ["header"],
    }
    if server.scopes:
        document["scopes_supported"] = list(server.scopes)
    return document
