"""The WWW-Authenticate challenge of a 401/403 and the RFC 9728 metadata document (pure)."""

from __future__ import annotations

import re
from typing import Any

from ...errors import Unauthorized
from .resource import ResourceServer

_UNSAFE = re.compile(r'[^\x20-\x7e]|["\\]')
"""What may not stand inside a quoted header parameter: non-ASCII, controls, quotes, backslashes."""


def quoted(text: str) -> str:
    """``text`` safe inside a header's quoted string: nothing can end it or break the header."""
    return _UNSAFE.sub("?", text)[:200]


def challenge(error: Unauthorized | None, metadata_url: str | None) -> str:
    """The ``WWW-Authenticate`` value (RFC 6750 section 3, RFC 9728 section 5.1)."""
    parts = []
    if metadata_url:
        parts.append(f'resource_metadata="{quoted(metadata_url)}"')
    if error is not None and error.error:
        parts.append(f'error="{quoted(error.error)}"')
        parts.append(f'error_description="{quoted(error.message)}"')
        if error.scope:
            parts.append(f'scope="{quoted(error.scope)}"')
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
