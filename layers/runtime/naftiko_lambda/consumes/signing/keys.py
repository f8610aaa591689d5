"""A signing key from a bound value -> an RSA private key object, loaded once per process.

Mastercard hands out a PKCS#12 (``.p12``) keystore; the runtime reads a PEM private key (PKCS#8
``BEGIN PRIVATE KEY`` or PKCS#1 ``BEGIN RSA PRIVATE KEY``) from the bind, or the keystore itself
(base64) with its password in a second bind. Turning the keystore into PEM once:

    openssl pkcs12 -in key.p12 -nocerts -nodes -passin pass:"$KEYSTORE_PASSWORD" | openssl pkey -out key.pem

(``-legacy`` after ``pkcs12`` for the older RC2 keystores). A key text with ``\\n`` written as two
characters, as environment variables often carry it, is read as the PEM it spells. Errors name the
bind and say what is wrong, never the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
from typing import Any

from ...errors import CredentialError

CONVERT = (
    'turn a Mastercard .p12 into one with: openssl pkcs12 -in key.p12 -nocerts -nodes -passin pass:"$PASSWORD" '
    "| openssl pkey -out key.pem"
)
_CACHE: dict[str, Any] = {}
_LOCK = threading.Lock()
MAX_CACHED = 16


def signing_key(text: str, where: str, password: str | None = None) -> Any:
    """The RSA private key ``text`` holds (an ``RSAPrivateKey``), cached by a hash of the text.

    Raises:
        CredentialError: ``where`` (the bind) holds no RSA private key, or its password is wrong.
    """
    digest = hashlib.sha256(f"{password or ''}\0{text}".encode()).hexdigest()
    found = _CACHE.get(digest)
    if found is None:
        found = _load(text, where, password)
        with _LOCK:
            if len(_CACHE) >= MAX_CACHED:
                _CACHE.clear()  # a rotated key leaves the old one behind: never more than a few
            _CACHE[digest] = found
    return found


def _load(text: str, where: str, password: str | None) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    secret = password.encode() if password else None
    pem = text.strip().replace("\\n", "\n")
    try:
        if "-----BEGIN" in pem:
            if "ENCRYPTED" in pem and secret is None:
                raise CredentialError(where, f"holds an encrypted private key and no password is bound: {CONVERT}")
            key = serialization.load_pem_private_key(pem.encode(), password=secret)
        else:
            key = _keystore(pem, where, secret)
    except CredentialError:
        raise
    except (ValueError, TypeError):
        why = "its password is wrong or" if secret else "it is"
        message = f"is not a usable private key ({why} not PEM PKCS#8 or PKCS#1): {CONVERT}"
        raise CredentialError(where, message) from None  # the parser's message may quote the key
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CredentialError(where, f"holds a {type(key).__name__.removeprefix('_')}, not an RSA private key")
    return key


def _keystore(text: str, where: str, secret: bytes | None) -> Any:
    """A base64 PKCS#12 keystore (what a .p12 file is, as text), with its password."""
    from cryptography.hazmat.primitives.serialization import pkcs12

    try:
        data = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        data = b""
    if len(data) < 64 or data[0] != 0x30:  # a keystore is a DER SEQUENCE of some size
        raise CredentialError(where, f"is neither a PEM private key nor a base64 .p12 keystore: {CONVERT}")
    if secret is None:
        raise CredentialError(where, "looks like a .p12 keystore: bind its password too (signingKeyPassword)")
    try:
        key, _certificate, _chain = pkcs12.load_key_and_certificates(data, secret)
    except ValueError:
        raise CredentialError(where, "the .p12 keystore cannot be opened: is its password right?") from None
    if key is None:
        raise CredentialError(where, "the .p12 keystore holds no private key")
    return key


def reset() -> None:
    _CACHE.clear()
