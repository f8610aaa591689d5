"""OAuth 1.0a signatures with RSA-SHA256, as Mastercard's APIs require them (one-legged: no token).

Each attempt of a request gets a fresh nonce and timestamp, and a body hash of the exact bytes it
sends (``oauth_body_hash``, base64 of the SHA-256 of the body, the empty one for a GET: Mastercard
requires it on every request). The signature base string and the header's encoding are
oauthlib's (RFC 5849 sections 3.4.1 and 3.5.1); the RSA signature is ``cryptography``'s, with the
key loaded once (keys.py). oauthlib and cryptography load with the first signed request.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from . import Signer

SIGNATURE_METHOD = "RSA-SHA256"


def oauth1_signer(
    consumer_key: str,
    private_key: Any,
    clock: Callable[[], float] = time.time,
    nonces: Callable[[], str] = lambda: secrets.token_hex(16),
) -> Signer:
    """A signer (signing/__init__.py) for ``consumer_key`` with ``private_key`` (an RSAPrivateKey)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from oauthlib.oauth1.rfc5849 import signature, utils

    def sign(method: str, url: str, body: bytes | None) -> tuple[str, str]:
        oauth = [
            ("oauth_consumer_key", consumer_key),
            ("oauth_nonce", nonces()),
            ("oauth_timestamp", str(int(clock()))),
            ("oauth_signature_method", SIGNATURE_METHOD),
            ("oauth_version", "1.0"),
            ("oauth_body_hash", base64.b64encode(hashlib.sha256(body or b"").digest()).decode()),
        ]
        query = signature.collect_parameters(uri_query=urlsplit(url).query, exclude_oauth_signature=False)
        normalized = signature.normalize_parameters([*query, *oauth])
        base = signature.signature_base_string(method.upper(), signature.base_string_uri(url), normalized)
        signed = private_key.sign(base.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
        oauth.append(("oauth_signature", base64.b64encode(signed).decode()))
        return "Authorization", "OAuth " + ",".join(f'{k}="{utils.escape(v)}"' for k, v in oauth)

    return sign
