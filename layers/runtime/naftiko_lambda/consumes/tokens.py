"""Upstream access tokens minted from OAuth 2.0 client credentials (RFC 6749 section 4.4).

A bind key's value (in the capability's secret, or the environment as JSON) may be a token source
instead of a token::

    {"oauth2": {"tokenUrl": "https://api.m3ter.com/oauth/token", "clientId": "...",
                "clientSecret": "...", "scope": "...", "audience": "...", "clientAuth": "basic"}}

The runtime exchanges it for an access token, which templates then see as the key's value. A
token is reused until shortly before ``expires_in`` (EXPIRY_MARGIN), shared by every invocation
of the warm process, minted once when first calls arrive together, and minted afresh when the
credential source is refreshed after an upstream 401. Token endpoint failures are
CredentialErrors naming the bind key (a 503), never the secret. Tokens live only in Secrets.

Module-level state: ``_MINTED`` (source -> token and expiry) and its locks, cleared by ``reset()``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from ..errors import CredentialError, NaftikoError
from .request import UpstreamRequest, check_upstream_url

EXPIRY_MARGIN = 0.1
"""A token is renewed when less than this share of its lifetime is left (at most 60 s before)."""
DEFAULT_LIFETIME_S = 300
"""Lifetime assumed when the token endpoint gives no ``expires_in`` (seconds)."""


@dataclass(frozen=True, slots=True)
class ClientCredentials:
    """A token source: where to ask, as whom, for what."""

    token_url: str
    client_id: str
    client_secret: str
    scope: str | None = None
    audience: str | None = None
    client_auth: str = "basic"  # "basic" (HTTP Basic) or "body" (client_id/client_secret in the form)

    @property
    def cache_key(self) -> str:
        parts = (self.token_url, self.client_id, self.scope or "", self.audience or "")
        return hashlib.sha256("\x00".join(parts).encode()).hexdigest()

    def __repr__(self) -> str:  # never the secret
        return f"ClientCredentials(token_url={self.token_url!r}, client_id={self.client_id!r})"


def token_source(value: Any, key: str) -> ClientCredentials | None:
    """The token source a bind key's value describes, or None when the value is a plain token.

    Raises CredentialError (naming ``key``) for an ``oauth2`` source that is incomplete.
    """
    if isinstance(value, str):
        if not value.lstrip().startswith("{"):
            return None
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if not isinstance(value, Mapping) or not isinstance(value.get("oauth2"), Mapping):
        return None
    raw = value["oauth2"]
    missing = [f for f in ("tokenUrl", "clientId", "clientSecret") if not isinstance(raw.get(f), str) or not raw[f]]
    if missing:
        raise CredentialError(key, f"the oauth2 token source lacks {', '.join(missing)}")
    client_auth = raw.get("clientAuth", "basic")
    if client_auth not in ("basic", "body"):
        raise CredentialError(key, "the oauth2 token source's clientAuth must be basic or body")
    try:
        url = check_upstream_url(raw["tokenUrl"])
    except ValueError as exc:
        raise CredentialError(key, f"the oauth2 tokenUrl {exc}") from None
    return ClientCredentials(
        url, raw["clientId"], raw["clientSecret"], raw.get("scope"), raw.get("audience"), client_auth
    )


def token_request(source: ClientCredentials) -> UpstreamRequest:
    """The client-credentials grant request (pure)."""
    form = {"grant_type": "client_credentials"}
    if source.scope:
        form["scope"] = source.scope
    if source.audience:
        form["audience"] = source.audience
    headers = [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")]
    if source.client_auth == "basic":
        pair = f"{source.client_id}:{source.client_secret}".encode()
        headers.append(("Authorization", "Basic " + base64.b64encode(pair).decode()))
    else:
        form |= {"client_id": source.client_id, "client_secret": source.client_secret}
    return UpstreamRequest("POST", source.token_url, tuple(headers), urlencode(form).encode())


def read_token(status: int, body: bytes, key: str) -> tuple[str, float]:
    """(access token, lifetime in seconds) from the token endpoint's answer (pure)."""
    if status != 200:
        raise CredentialError(key, f"the oauth2 token endpoint answered {status}")
    try:
        answer = json.loads(body)
    except ValueError:
        raise CredentialError(key, "the oauth2 token endpoint's answer is not JSON") from None
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token:
        raise CredentialError(key, "the oauth2 token endpoint's answer has no access_token")
    lifetime = answer.get("expires_in")
    return token, float(lifetime) if isinstance(lifetime, int | float) and lifetime > 0 else DEFAULT_LIFETIME_S


clock: Callable[[], float] = time.monotonic
"""The clock expiries are measured on (tests step it through expiries instead of sleeping)."""
_MINTED: dict[str, tuple[str, float]] = {}
"""Source cache key -> (access token, time.monotonic() when it is to be renewed)."""
_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def mint(
    source: ClientCredentials,
    key: str,
    send: Callable[[UpstreamRequest], Any],
    *,
    force: bool = False,
) -> str:
    """A current access token for ``source``: the cached one, or a new one from the endpoint.

    ``send`` sends one request (the transport, bound to the invocation's deadline). Concurrent
    callers of one source wait for the one mint in progress.
    """
    cache_key = source.cache_key
    with _LOCKS_GUARD:
        lock = _LOCKS.setdefault(cache_key, threading.Lock())
    with lock:
        cached = _MINTED.get(cache_key)
        now = clock()
        if cached is not None and not force and now < cached[1]:
            return cached[0]
        try:
            response = send(token_request(source))
        except NaftikoError as exc:
            raise CredentialError(key, "the oauth2 token endpoint cannot be reached") from exc
        token, lifetime = read_token(response.status, response.body, key)
        _MINTED[cache_key] = (token, now + lifetime - min(60.0, lifetime * EXPIRY_MARGIN))
        return token


def forget(source: ClientCredentials) -> None:
    """Drop the cached token of ``source`` (its next use mints a new one)."""
    _MINTED.pop(source.cache_key, None)


def reset() -> None:
    """Drop every cached token (tests; a warm process keeps them until they near expiry)."""
    _MINTED.clear()
