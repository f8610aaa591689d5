"""The issuer's signing keys (its JWKS), as PyJWT keys, refreshed with care.

A key set is input we did not write: one key PyJWT cannot use (an x5c-only RSA key, a P-192
curve, an RSA key marked ``alg: HS256``, a bad modulus) is skipped and logged once, never the
end of every token; ``keys`` that is not a list counts as no keys. The last good set is kept
when a refresh fails or brings nothing usable. A token signed with an unknown ``kid`` refreshes
the set at most once per KEY_REFRESH_S.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ...deadline import Deadline
from ...errors import CredentialError
from ...observability import logger
from ...runner.fetch import Fetcher
from .discovery import METADATA_TTL_S, Metadata

KEY_REFRESH_S = 60
"""Least time between two key-set fetches caused by unknown key ids (seconds)."""
ALGORITHMS = {
    "RS256": ("RSA", None),
    "RS384": ("RSA", None),
    "RS512": ("RSA", None),
    "PS256": ("RSA", None),
    "ES256": ("EC", "secp256r1"),
    "ES384": ("EC", "secp384r1"),
}
"""Accepted signature algorithms (RFC 7518 asymmetric ones) -> (key type, EC curve); nothing else,
never ``none`` or HMAC (a public key must not pass for a shared secret)."""


@dataclass(frozen=True, slots=True)
class Key:
    kid: str
    key_type: str  # "RSA" | "EC"
    curve: str | None  # the EC curve's name
    key: Any  # what PyJWT verifies with


class KeySet:
    def __init__(self, fetcher: Fetcher, metadata: Metadata, clock: Callable[[], float]) -> None:
        self.fetcher = fetcher
        self.metadata = metadata
        self.clock = clock
        self._keys: tuple[float, dict[str, Key]] | None = None
        self._last_refresh = -1e9  # the last fetch an unknown key id caused
        self._skipped: set[str] = set()  # keys already logged as unusable
        self._lock = threading.Lock()

    def key_for(self, kid: Any, algorithm: str, deadline: Deadline) -> Key | None:
        """The key a token names (or the only key, when it names none) that fits ``algorithm``."""
        keys = self._current(deadline, refresh=False)
        found = _pick(keys, kid)
        if found is None and kid is not None:
            found = _pick(self._current(deadline, refresh=True), kid)  # maybe rotated
        if found is None:
            return None
        key_type, curve = ALGORITHMS[algorithm]
        return found if found.key_type == key_type and (curve is None or found.curve == curve) else None

    def _current(self, deadline: Deadline, *, refresh: bool) -> dict[str, Key]:
        now = self.clock()
        with self._lock:
            cached = self._keys
            if cached is not None and not refresh and now - cached[0] < METADATA_TTL_S:
                return cached[1]
            if refresh and cached is not None and now - self._last_refresh < KEY_REFRESH_S:
                return cached[1]
            if refresh:
                self._last_refresh = now
        try:
            document = self.fetcher.get(self.metadata.endpoint("jwks_uri", deadline), deadline)
        except CredentialError:
            if cached is not None:
                return cached[1]  # the last good set, until the issuer answers again
            raise
        keys = self._parse(document)
        if not keys and cached is not None:
            return cached[1]
        if not keys:  # no token can be checked: the server's fault, not the caller's
            raise CredentialError(self.fetcher.issuer, "the authorization server publishes no usable signing key")
        with self._lock:
            self._keys = (now, keys)
        return keys

    def _parse(self, document: Mapping[str, Any]) -> dict[str, Key]:
        from jwt import PyJWK

        raw = document.get("keys")
        keys: dict[str, Key] = {}
        for index, data in enumerate(raw if isinstance(raw, list) else []):
            if not isinstance(data, dict) or data.get("use", "sig") != "sig":
                continue
            kid = str(data.get("kid", index))
            if data.get("alg") is not None and data.get("alg") not in ALGORITHMS:
                self._skip(kid, f"algorithm {str(data.get('alg'))[:20]!r} is not accepted")
                continue
            try:
                jwk = PyJWK(data)
                curve = getattr(getattr(jwk.key, "curve", None), "name", None)
            except Exception as exc:  # PyJWT and cryptography raise many kinds for a bad key: skip it
                self._skip(kid, type(exc).__name__)
                continue
            if jwk.key_type not in ("RSA", "EC"):
                self._skip(kid, f"key type {jwk.key_type!r} is not accepted")
                continue
            keys[kid] = Key(kid, jwk.key_type, curve, jwk.key)
        return keys

    def _skip(self, kid: str, why: str) -> None:
        if kid not in self._skipped:
            self._skipped.add(kid)
            logger().warning(
                "an authorization server key is unusable: skipped",
                extra={"issuer": self.fetcher.issuer, "kid": kid[:64], "reason": why},
            )


def _pick(keys: Mapping[str, Key], kid: Any) -> Key | None:
    if kid is None:
        return next(iter(keys.values())) if len(keys) == 1 else None
    return keys.get(str(kid))
