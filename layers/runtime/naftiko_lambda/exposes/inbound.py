"""Inbound authentication declared on a ``rest`` or ``mcp`` exposes block: bearer, apikey, basic.

Comparisons are constant-time. Used by both adapters with the request's headers and query.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # types only: kept off the cold path
    from ..capability.model import Auth
    from ..runner.scope import Scope


def _equal(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def is_authorized(auth: Auth, headers: Mapping[str, str], query: Mapping[str, str], scope: Scope) -> bool:
    """True when the request carries the credential the exposes block declares.

    Raises CredentialError when the expected value itself is not configured (a 503, not a 401).
    """

    def expected(field: str) -> str:
        return scope.auth_field(auth, field)

    header = headers.get("authorization", "")
    if auth.type == "bearer":
        scheme, _, token = header.partition(" ")
        return scheme.lower() == "bearer" and bool(token) and _equal(token.strip(), expected("token"))
    if auth.type == "basic":
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic" or not encoded:
            return False
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        # Evaluate both comparisons so timing does not reveal which part was wrong.
        ok_user = _equal(user, expected("username"))
        ok_password = _equal(password, expected("password"))
        return ok_user and ok_password
    if auth.type == "apikey":
        name = scope.auth_key_name(auth)
        given = query.get(name) if auth.placement == "query" else headers.get(name.lower())
        return given is not None and given != "" and _equal(given, expected("value"))
    return False


def challenge(auth: Auth, realm: str = "naftiko") -> str:
    return {"bearer": f'Bearer realm="{realm}"', "basic": f'Basic realm="{realm}"'}.get(auth.type, "ApiKey")
