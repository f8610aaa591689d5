"""Who is calling: what scopes idempotency keys to one caller (pure).

The adapters say who a request comes from (an API key id, an OAuth subject, the bearer token
presented); ``caller_identity`` makes a stable, opaque name of it, never stored as it was given.
"""

from __future__ import annotations

import contextvars
import hashlib

current_caller: contextvars.ContextVar[str] = contextvars.ContextVar("idempotency_caller", default="")
"""Who the MCP request being served comes from (set by the HTTP layer once it is authorised)."""


def caller_identity(*parts: str | None) -> str:
    """A stable, opaque name for who is calling, from what identifies them (never stored as is)."""
    given = [p for p in parts if p]
    return hashlib.sha256("\n".join(given).encode()).hexdigest()[:32] if given else ""
