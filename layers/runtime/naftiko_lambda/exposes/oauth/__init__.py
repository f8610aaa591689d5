"""OAuth 2.1 resource server: check ``Authorization: Bearer <access token>`` for REST and MCP.

The ``oauth2`` authentication of an exposes block (or, for the MCP function, MCP_AUTH=oauth2)
names an authorization server (``authorizationServerUri``, the issuer), this server's
``resource`` (RFC 8707) and ``audience``, the ``scopes`` a token must carry, and how tokens are
checked (``tokenValidation``): ``jwks`` (a signed JWT, the default) or ``introspection``
(RFC 7662). One module per part, each named for what it does:

    resource.py        ResourceServer: what a block (or the deployment) asks of a token
    discovery.py       the issuer's metadata (RFC 8414, OpenID Connect), typed, cached
    keys.py            the issuer's signing keys (JWKS): unusable keys skipped, last good set kept
    jwt_check.py       a JWT checked with PyJWT against those keys: signature, issuer, time
    introspection.py   an opaque token asked of the issuer, answers cached (bounded)
    validator.py       Validator.check: one of the two, then audience and scopes
    challenge.py       the WWW-Authenticate challenge and RFC 9728 metadata document
    fetch.py           one HTTP exchange with the issuer: short, bounded, failures remembered

Everything the authorization server sends is input we did not write: a bad key, odd metadata or
a hanging endpoint turns into a 503 (or a refused token), never a 500 for every caller.
"""

from __future__ import annotations

from .challenge import challenge, protected_resource_metadata
from .resource import ResourceServer
from .validator import Validator

__all__ = ["ResourceServer", "Validator", "challenge", "protected_resource_metadata"]
