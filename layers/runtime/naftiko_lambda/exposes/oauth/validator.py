"""Validator.check: is this bearer token good for this resource server? One per warm process.

A JWT (keys.py, jwt_check.py) or an introspected token (introspection.py), then the audience
(``aud`` names the audience or the resource; on Amazon Cognito, ``client_id`` instead) and the
scopes. The caches (metadata, keys, introspection answers) live as long as the Validator.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from ...deadline import Deadline, now_or_default
from ...errors import CredentialError, Unauthorized
from ...runner.fetch import Fetcher
from .discovery import Metadata
from .introspection import Introspector
from .jwt_check import invalid, verify
from .keys import KeySet
from .resource import ResourceServer


def _no_client(key: str) -> str:
    raise CredentialError(key, "no introspection client is configured")


class Validator:
    def __init__(
        self,
        server: ResourceServer,
        transport: Any,
        credentials: Callable[[str], str] = _no_client,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.server = server
        fetcher = Fetcher(transport, server.issuer, clock)
        self.metadata = Metadata(fetcher, clock)
        self.keys = KeySet(fetcher, self.metadata, clock)

        def client() -> tuple[str, str]:
            client_id, secret = server.client_variables
            return credentials(client_id), credentials(secret)

        self.introspector = Introspector(fetcher, self.metadata, client, clock)

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
        if self.server.introspection:
            claims = self.introspector.check(token, deadline)
        else:
            claims = verify(token, self.server.issuer, self.keys, deadline)
        self._check_audience(claims)
        granted = scopes_of(claims)
        missing = [s for s in self.server.scopes if s not in granted]
        if missing:
            raise Unauthorized(
                f"the token lacks the scope {' '.join(missing)}",
                status=403,
                error="insufficient_scope",
                scope=" ".join(self.server.scopes),
            )
        return claims

    def _check_audience(self, claims: Mapping[str, Any]) -> None:
        if not self.server.audiences:
            return
        audience = claims.get("aud")
        named = [audience] if isinstance(audience, str) else list(audience) if isinstance(audience, list) else []
        if audience is None and self.server.client_id_is_audience and claims.get("token_use") == "access":
            named = [claims.get("client_id")]  # Amazon Cognito access tokens carry client_id, not aud
        if not any(isinstance(a, str) and a in self.server.audiences for a in named):
            raise invalid("the token is not meant for this server (aud)")


def scopes_of(claims: Mapping[str, Any]) -> set[str]:
    """The scopes a token grants (``scope`` as text, or ``scp`` as a list)."""
    granted: set[str] = set()
    for name in ("scope", "scp"):
        value = claims.get(name)
        if isinstance(value, str):
            granted |= set(value.split())
        elif isinstance(value, list):
            granted |= {str(v) for v in value}
    return granted
