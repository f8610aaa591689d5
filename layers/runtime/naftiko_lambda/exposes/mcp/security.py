"""Inbound bearer check for the MCP endpoint: on by default, constant-time comparison.

Accepted tokens come from MCP_BEARER_TOKENS (comma-separated; local runs) or from the Secrets
Manager secret MCP_TOKENS_SECRET names (JSON ``{"token": "..."}`` as the stack generates it, or
``{"tokens": ["...", "..."]}`` during a rotation), read through Powertools
with a TTL cache. MCP_AUTH=none turns the check off (document why where you do it).
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass, field

from ...errors import CredentialError

TOKENS_TTL_S = 300
"""How long fetched tokens are reused before Secrets Manager is asked again (seconds)."""


@dataclass
class BearerTokens:
    tokens: tuple[str, ...] = ()
    secret_id: str | None = None
    _cached: tuple[str, ...] | None = field(default=None, repr=False)

    def accepted(self) -> tuple[str, ...]:
        if self.tokens:
            return self.tokens
        if not self.secret_id:
            return ()
        from aws_lambda_powertools.utilities import parameters

        from ...credentials import secrets_provider

        try:
            raw = secrets_provider().get(self.secret_id, max_age=TOKENS_TTL_S)
            document = json.loads(raw) if isinstance(raw, str) else raw
        except (parameters.exceptions.GetParameterError, ValueError) as exc:
            raise CredentialError("MCP_TOKENS_SECRET", "the MCP token secret cannot be read") from exc
        if not isinstance(document, dict):
            return ()
        found = [*(document.get("tokens") or ()), document.get("token")]
        return tuple(t for t in found if isinstance(t, str) and t)

    def check(self, authorization: str | None) -> bool:
        """True when ``Authorization: Bearer <token>`` names an accepted token."""
        if not authorization:
            return False
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return False
        ok = False
        for accepted in self.accepted():  # compare with every token: timing says nothing
            ok |= hmac.compare_digest(token.encode(), accepted.encode())
        return ok
