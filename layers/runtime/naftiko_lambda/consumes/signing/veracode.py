"""VERACODE-HMAC-SHA-256 request signatures, as Veracode's APIs require them.

The vendor's algorithm, in the standard library's hmac: the key is derived from the API key
(hex) through the nonce, the timestamp (milliseconds) and a fixed version string, and signs
``id=<id>&host=<host>&url=<path?query>&method=<METHOD>`` of the request as sent (the body is not
signed). A credential's region prefix (``vera01ei-``) is not part of the key. Written here rather
than taken from ``veracode-api-signing``: that package pulls httpie, pip and setuptools into the
layer, and puts the API key into its error messages.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from hashlib import sha256

from ...errors import CredentialError
from . import Signer

VERSION = b"vcode_request_version_1"


def veracode_signer(
    api_id: str,
    api_key: str,
    clock: Callable[[], float] = time.time,
    nonces: Callable[[], str] = lambda: secrets.token_hex(16),
) -> Signer:
    """A signer (signing/__init__.py). Raises CredentialError when the key is not hex."""
    api_id, api_key = api_id.rsplit("-", 1)[-1], api_key.rsplit("-", 1)[-1]
    try:
        key = bytes.fromhex(api_key)
    except ValueError:
        raise CredentialError("apiKey", "the Veracode API key must be hexadecimal (as Veracode issues it)") from None

    def sign(method: str, url: str, body: bytes | None) -> tuple[str, str]:
        from urllib3.util import parse_url

        target = parse_url(url)  # what urllib3 puts on the request line
        timestamp, nonce = str(int(clock() * 1000)), nonces()
        data = (
            f"id={api_id.lower()}&host={(target.host or '').lower()}&url={target.request_uri}&method={method.upper()}"
        )
        derived = hmac.new(key, bytes.fromhex(nonce), sha256).digest()
        for part in (timestamp.encode(), VERSION):
            derived = hmac.new(derived, part, sha256).digest()
        signature = hmac.new(derived, data.encode(), sha256).hexdigest()
        return "Authorization", f"VERACODE-HMAC-SHA-256 id={api_id},ts={timestamp},nonce={nonce},sig={signature}"

    return sign
