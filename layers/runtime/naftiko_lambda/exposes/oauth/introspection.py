"""Opaque access tokens asked of the issuer (RFC 7662), with this server's client credentials.

Answers are cached by a hash of the token for at most CACHE_S, never past the token's ``exp``:
so a token revoked at the issuer is still accepted for at most CACHE_S seconds. The cache holds
at most MAX_CACHED tokens (expired ones go first, then the oldest).
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Callable, Mapping
from typing import Any

from ...deadline import Deadline
from ...runner.fetch import Fetcher, IssuerAnswered
from .discovery import Metadata
from .jwt_check import invalid

CACHE_S = 60
"""Longest an introspection answer is reused (seconds): how long a revoked token stays accepted."""
MAX_CACHED = 10_000
"""Most tokens whose answers are kept."""


class Introspector:
    def __init__(
        self,
        fetcher: Fetcher,
        metadata: Metadata,
        client: Callable[[], tuple[str, str]],
        clock: Callable[[], float],
    ) -> None:
        self.fetcher = fetcher
        self.metadata = metadata
        self.client = client  # (client id, client secret), read when first needed
        self.clock = clock
        self._answers: dict[str, tuple[float, dict[str, Any]]] = {}  # token hash -> (until, answer)
        self._lock = threading.Lock()

    def check(self, token: str, deadline: Deadline) -> dict[str, Any]:
        """The active token's claims. Raises Unauthorized (invalid_token) or CredentialError."""
        digest = hashlib.sha256(token.encode()).hexdigest()
        now = self.clock()
        with self._lock:
            cached = self._answers.get(digest)
        if cached is not None and cached[0] > now:
            return cached[1]
        endpoint = self.metadata.endpoint("introspection_endpoint", deadline)
        client_id, client_secret = self.client()
        pair = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        form = {"token": token, "token_type_hint": "access_token"}
        try:
            answer = self.fetcher.post_form(endpoint, form, (("Authorization", f"Basic {pair}"),), deadline)
        except IssuerAnswered as exc:
            if 400 <= exc.status < 500 and exc.status not in (401, 403):  # about the token, not about us
                raise invalid("the authorization server refused the token") from None
            raise
        if answer.get("active") is not True:
            raise invalid("the token is not active")
        issued_by = answer.get("iss")
        if issued_by is not None and (not isinstance(issued_by, str) or issued_by.rstrip("/") != self.fetcher.issuer):
            raise invalid("the token's issuer is not this server's authorization server")
        expiry = answer.get("exp")
        expires = float(expiry) if isinstance(expiry, int | float) and not isinstance(expiry, bool) else now + CACHE_S
        if expires <= now:
            raise invalid("the token has expired")
        claims = dict(answer)
        self._keep(digest, min(expires, now + CACHE_S), claims, now)
        return claims

    def _keep(self, digest: str, until: float, claims: Mapping[str, Any], now: float) -> None:
        with self._lock:
            if len(self._answers) >= MAX_CACHED:
                for key in [k for k, (t, _) in self._answers.items() if t <= now]:
                    del self._answers[key]
                while len(self._answers) >= MAX_CACHED:
                    del self._answers[next(iter(self._answers))]  # the oldest kept
            self._answers[digest] = (until, dict(claims))
