"""ResourceServer: what one ``oauth2`` block (or MCP_AUTH=oauth2) asks of an access token (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ...capability.binds import INTROSPECTION_CLIENT
from ...capability.model import Auth

_COGNITO = re.compile(r"cognito-idp\.[a-z0-9-]+\.amazonaws\.com")
"""The host of an Amazon Cognito user pool's issuer URL."""


@dataclass(frozen=True, slots=True)
class ResourceServer:
    """``issuer`` (the authorization server), this server's ``resource`` and the ``audiences`` a
    token may name, the ``scopes`` it must carry, whether it is introspected, and where the
    introspection client's credentials are read.

    ``cognito``: the deployment says the issuer is Amazon Cognito (MCP_OAUTH_COGNITO), as an
    issuer on a Cognito host is anyway. Cognito access tokens carry no ``aud``: there (and only
    there) a ``client_id`` naming the audience stands in for it, on a token whose ``token_use``
    is ``access`` (``client_id_is_audience``).
    """

    issuer: str
    resource: str | None
    audiences: tuple[str, ...]
    scopes: tuple[str, ...] = ()
    introspection: bool = False
    token_endpoint: str | None = None
    client_variables: tuple[str, str] = INTROSPECTION_CLIENT
    cognito: bool = False

    @classmethod
    def from_auth(cls, auth: Auth) -> ResourceServer:
        issuer = (auth.text("authorizationServerUri") or "").rstrip("/")
        resource = auth.text("resource")
        audience = auth.text("audience")
        return cls(
            issuer=issuer,
            resource=resource,
            audiences=tuple(a for a in (audience, resource) if a),
            scopes=auth.scopes,
            introspection=auth.text("tokenValidation") == "introspection",
            token_endpoint=auth.text("tokenEndpoint"),
        )

    @property
    def client_id_is_audience(self) -> bool:
        return self.cognito or is_cognito(self.issuer)


def is_cognito(issuer: str) -> bool:
    """Whether ``issuer`` is an Amazon Cognito user pool (``https://cognito-idp.<region>.amazonaws.com/<pool>``)."""
    return bool(_COGNITO.fullmatch((urlsplit(issuer).hostname or "").lower()))
