"""The issuer's metadata: RFC 8414, falling back to OpenID Connect discovery; typed and cached.

The metadata's ``issuer`` must be a string equal to the configured issuer (RFC 8414 section
3.3): metadata that names another issuer, or none, is not used. Endpoints must be strings.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from ...deadline import Deadline
from ...errors import CredentialError
from ...runner.fetch import Fetcher

METADATA_TTL_S = 3600
"""How long discovered metadata is reused (seconds)."""


class Metadata:
    """The authorization server's metadata for one validator, fetched when first needed."""

    def __init__(self, fetcher: Fetcher, clock: Callable[[], float]) -> None:
        self.fetcher = fetcher
        self.clock = clock
        self._cached: tuple[float, Mapping[str, Any]] | None = None
        self._lock = threading.Lock()

    def endpoint(self, name: str, deadline: Deadline) -> str:
        """The URL the metadata gives for ``name`` (``jwks_uri``, ``introspection_endpoint``).

        Raises CredentialError when the metadata cannot be had, or has no such string.
        """
        found = self._document(deadline).get(name)
        if not isinstance(found, str) or not found:
            raise CredentialError(self.fetcher.issuer, f"the authorization server's metadata has no {name}")
        return found

    def _document(self, deadline: Deadline) -> Mapping[str, Any]:
        now = self.clock()
        with self._lock:
            if self._cached is not None and now - self._cached[0] < METADATA_TTL_S:
                return self._cached[1]
        issuer = self.fetcher.issuer
        parts = urlsplit(issuer)
        # RFC 8414 section 3: the well-known segment goes between the host and the issuer's path.
        candidates = [
            f"{parts.scheme}://{parts.netloc}/.well-known/oauth-authorization-server{parts.path}",
            f"{issuer}/.well-known/openid-configuration",
        ]
        for url in candidates:
            try:
                metadata = self.fetcher.get(url, deadline)
            except CredentialError:
                continue
            named = metadata.get("issuer")
            if isinstance(named, str) and named.rstrip("/") == issuer:
                with self._lock:
                    self._cached = (now, metadata)
                return metadata
        raise CredentialError(issuer, "the authorization server's metadata cannot be read (or names another issuer)")
