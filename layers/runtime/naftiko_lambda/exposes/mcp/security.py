"""Inbound bearer check for the MCP endpoint: on by default, fails closed, constant-time comparison.

Accepted tokens come from MCP_BEARER_TOKENS (comma-separated) or from the Secrets Manager secret
MCP_TOKENS_SECRET names: JSON ``{"token": "..."}`` as the stack generates it, or
``{"tokens": ["...", "..."]}`` during a rotation, read through Powertools with a TTL cache.
Tokens for read-only callers (policy.py: they see and call readOnly tools only) are listed as
``"readOnlyTokens": [...]`` beside them, or in MCP_READ_ONLY_BEARER_TOKENS.
Every token is at least MIN_TOKEN_CHARS long. Any other shape (a string where a list belongs,
a short token, no token at all) is a configuration error: every request is answered 503 and
one log line says why; it is never read as "accept these characters". MCP_AUTH=none turns the
check off (document why where you do it).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...errors import CredentialError

TOKENS_TTL_S = 300
"""How long fetched tokens are reused before Secrets Manager is asked again (seconds)."""
MIN_TOKEN_CHARS = 32
"""Shortest accepted bearer token (characters): long enough that guessing is hopeless."""


Accepted = tuple[tuple[str, ...], tuple[str, ...]]
"""(tokens that may call every tool, tokens that may call readOnly tools only)."""


def parse_tokens(document: Any, where: str, *, min_chars: int = MIN_TOKEN_CHARS) -> Accepted:
    """The tokens of a secret document (``{"token": s}`` or ``{"tokens": [s, ...]}``, and
    optionally ``"readOnlyTokens": [s, ...]``).

    Raises CredentialError naming ``where`` and what is wrong (never a token).
    """
    if not isinstance(document, dict) or not ({"token", "tokens", "readOnlyTokens"} & set(document)):
        raise CredentialError(where, 'must be a JSON object with "token" (a string) or "tokens" (a list of strings)')
    tokens: list[Any] = []
    if "tokens" in document:
        if not isinstance(document["tokens"], list):
            raise CredentialError(where, '"tokens" must be a list of strings, not a single string')
        tokens += document["tokens"]
    if "token" in document:
        tokens.append(document["token"])
    read_only = document.get("readOnlyTokens", [])
    if not isinstance(read_only, list):
        raise CredentialError(where, '"readOnlyTokens" must be a list of strings')
    full = check_tokens(tokens, where, min_chars=min_chars) if tokens else ()
    limited = check_tokens(read_only, where, min_chars=min_chars) if read_only else ()
    if not full and not limited:
        raise CredentialError(where, "holds no token")
    return full, limited


def check_tokens(tokens: Sequence[Any], where: str, *, min_chars: int = MIN_TOKEN_CHARS) -> tuple[str, ...]:
    if not tokens:
        raise CredentialError(where, "holds no token")
    for position, token in enumerate(tokens, 1):
        if not isinstance(token, str) or len(token) < min_chars:
            raise CredentialError(where, f"token {position} is not a string of at least {min_chars} characters")
    return tuple(tokens)


@dataclass
class BearerTokens:
    """The accepted tokens: given (``tokens``), or read from ``secret_id``; ``error`` when the
    configuration is unusable (then every check raises CredentialError: a 503)."""

    tokens: tuple[str, ...] = ()
    secret_id: str | None = None
    error: CredentialError | None = None
    read_only_tokens: tuple[str, ...] = ()

    @classmethod
    def from_setting(
        cls,
        listed: str | None,
        secret_id: str | None,
        *,
        min_chars: int = MIN_TOKEN_CHARS,
        read_only: str | None = None,
    ) -> BearerTokens:
        """From MCP_BEARER_TOKENS (comma-separated; MCP_READ_ONLY_BEARER_TOKENS beside it) or
        MCP_TOKENS_SECRET; neither is an error."""
        if (listed and listed.strip()) or (read_only and read_only.strip()):
            try:
                full: tuple[str, ...] = ()
                limited: tuple[str, ...] = ()
                if listed and listed.strip():
                    full = check_tokens(
                        [t.strip() for t in listed.split(",")], "MCP_BEARER_TOKENS", min_chars=min_chars
                    )
                if read_only and read_only.strip():
                    where = "MCP_READ_ONLY_BEARER_TOKENS"
                    limited = check_tokens([t.strip() for t in read_only.split(",")], where, min_chars=min_chars)
            except CredentialError as exc:
                return cls(error=exc)
            return cls(tokens=full, read_only_tokens=limited)
        if secret_id:
            return cls(secret_id=secret_id)
        return cls(
            error=CredentialError(
                "MCP_BEARER_TOKENS",
                "no MCP token is configured: set MCP_BEARER_TOKENS (under sam local, with --env-vars) or MCP_AUTH=none",
            )
        )

    @property
    def static(self) -> bool:
        """True when checking a token needs no I/O (given tokens, or a configuration error)."""
        return self.secret_id is None or self.error is not None

    def accepted(self) -> Accepted:
        if self.error is not None:
            raise self.error
        if self.secret_id is None:
            return self.tokens, self.read_only_tokens
        from aws_lambda_powertools.utilities import parameters

        from ...credentials import secrets_provider

        try:
            raw = secrets_provider().get(self.secret_id, max_age=TOKENS_TTL_S)
            document = json.loads(raw) if isinstance(raw, str) else raw
        except (parameters.exceptions.GetParameterError, ValueError) as exc:
            raise CredentialError("MCP_TOKENS_SECRET", "the MCP token secret cannot be read") from exc
        return parse_tokens(document, "MCP_TOKENS_SECRET")

    def check(self, authorization: str | None) -> bool:
        """True when ``Authorization: Bearer <token>`` names an accepted token (of either kind).

        Raises CredentialError when the accepted tokens cannot be known (misconfigured, unreadable).
        """
        return self.access(authorization) is not None

    def access(self, authorization: str | None) -> str | None:
        """``"write"`` for a token that may call every tool, ``"read"`` for a read-only token,
        None for no accepted token.

        Raises CredentialError when the accepted tokens cannot be known (misconfigured, unreadable).
        """
        full, limited = self.accepted()
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        found = None
        for kind, candidates in (("write", full), ("read", limited)):
            for candidate in candidates:  # compare with every token: timing says nothing
                if hmac.compare_digest(token.encode(), candidate.encode()) and found is None:
                    found = kind
        return found
