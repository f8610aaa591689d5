"""Signed upstream requests: an Authorization header computed from each attempt's method, URL and
body (consumes/transport.py calls the signer once per attempt: retries and redirects get a fresh
nonce and a signature of what they send).

- oauth1.py: OAuth 1.0a with RSA-SHA256 and a SHA-256 body hash, as Mastercard's APIs require;
- veracode.py: VERACODE-HMAC-SHA-256, as Veracode's APIs require;
- keys.py: the RSA signing key from a bound value (PEM, or a .p12 with its password), loaded once.
"""

from __future__ import annotations

from collections.abc import Callable

Signer = Callable[[str, str, bytes | None], tuple[str, str]]
"""(method, url, body) -> (header name, header value) for one attempt of a request."""

__all__ = ["Signer"]
