"""Independent verifiers of signed requests, and a loopback upstream that checks them.

Written from the schemes' own texts, sharing nothing with consumes/signing/ (which builds its base
string with oauthlib): OAuth 1.0a (RFC 5849 3.4.1 base string, 3.4.3 RSA, here with SHA-256,
3.5.1 header, 3.6 encoding) with the body hash draft (draft-eaton-oauth-bodyhash, SHA-256, on
every request, as Mastercard requires); and Veracode's VERACODE-HMAC-SHA-256 as its signers
implement it. ``SigningUpstream`` answers 401 to a request whose signature does not verify, whose
timestamp is stale, or whose nonce it has seen before (a replay).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import quote, unquote, unquote_plus, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

_PARAM = re.compile(r'\s*([A-Za-z0-9_.~%-]+)="([^"]*)"\s*(?:,|$)')
_VERACODE = re.compile(
    r"^VERACODE-HMAC-SHA-256 id=(?P<id>[0-9A-Fa-f]+),ts=(?P<ts>[0-9]+),nonce=(?P<nonce>[0-9A-Fa-f]+),sig=(?P<sig>[0-9a-f]{64})$"
)


class Rejected(Exception):
    pass


def _pct(text: str) -> str:
    return quote(text.encode("utf-8"), safe="-._~")


def oauth1_parameters(authorization: str) -> dict[str, str]:
    """``OAuth k="v",...`` -> {k: v} percent-decoded (RFC 5849 3.5.1)."""
    scheme, _, rest = authorization.strip().partition(" ")
    if scheme != "OAuth":
        raise Rejected("not an OAuth Authorization header")
    pairs, position, rest = [], 0, rest.strip()
    while position < len(rest):
        found = _PARAM.match(rest, position)
        if not found:
            raise Rejected("malformed Authorization header")
        pairs.append((unquote(found[1]), unquote(found[2])))
        position = found.end()
    names = [n for n, _ in pairs]
    if len(names) != len(set(names)):
        raise Rejected("a parameter is given twice")
    return dict(pairs)


def oauth1_base_string(method: str, url: str, oauth: dict[str, str]) -> str:
    parts = urlsplit(url)
    scheme, host, port = parts.scheme.lower(), (parts.hostname or "").lower(), parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    query = [
        tuple(unquote_plus(x) for x in (i.partition("=")[0], i.partition("=")[2])) for i in parts.query.split("&") if i
    ]
    params = sorted(
        [(_pct(n), _pct(v)) for n, v in query]
        + [(_pct(n), _pct(v)) for n, v in oauth.items() if n != "oauth_signature"]
    )
    normalized = "&".join(f"{n}={v}" for n, v in params)
    return "&".join([method.upper(), _pct(f"{scheme}://{netloc}{parts.path or '/'}"), _pct(normalized)])


def verify_oauth1(method: str, url: str, authorization: str, body: bytes, public_key: Any, consumer_key: str) -> str:
    """The nonce of a validly signed request; Rejected otherwise."""
    oauth = oauth1_parameters(authorization)
    for name in (
        "oauth_consumer_key",
        "oauth_nonce",
        "oauth_timestamp",
        "oauth_signature_method",
        "oauth_signature",
        "oauth_body_hash",
    ):
        if name not in oauth:
            raise Rejected(f"{name} is missing")
    if oauth["oauth_signature_method"] != "RSA-SHA256" or oauth.get("oauth_version", "1.0") != "1.0":
        raise Rejected("not RSA-SHA256 OAuth 1.0")
    if oauth["oauth_consumer_key"] != consumer_key:
        raise Rejected("unknown consumer key")
    if abs(time.time() - int(oauth["oauth_timestamp"])) > 300:
        raise Rejected("stale timestamp")
    if oauth["oauth_body_hash"] != base64.b64encode(hashlib.sha256(body).digest()).decode():
        raise Rejected("oauth_body_hash is not the SHA-256 of the body")
    try:
        signature = base64.b64decode(oauth["oauth_signature"], validate=True)
        public_key.verify(
            signature, oauth1_base_string(method, url, oauth).encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    except (InvalidSignature, ValueError):
        raise Rejected("the signature does not verify") from None
    return oauth["oauth_nonce"]


def veracode_signature(api_id: str, api_key: str, host: str, request_uri: str, method: str, ts: str, nonce: str) -> str:
    api_id, api_key = api_id.rsplit("-", 1)[-1], api_key.rsplit("-", 1)[-1]
    data = f"id={api_id.lower()}&host={host.lower()}&url={request_uri}&method={method.upper()}"
    key = hmac.new(bytes.fromhex(api_key), bytes.fromhex(nonce), hashlib.sha256).digest()
    key = hmac.new(key, ts.encode(), hashlib.sha256).digest()
    key = hmac.new(key, b"vcode_request_version_1", hashlib.sha256).digest()
    return hmac.new(key, data.encode(), hashlib.sha256).hexdigest()


def verify_veracode(method: str, host: str, request_uri: str, authorization: str, api_id: str, api_key: str) -> str:
    """The nonce of a validly signed request; Rejected otherwise."""
    found = _VERACODE.match(authorization)
    if not found or found["id"] != api_id.rsplit("-", 1)[-1]:
        raise Rejected("not this id's VERACODE-HMAC-SHA-256 header")
    if abs(time.time() * 1000 - int(found["ts"])) > 300_000:
        raise Rejected("stale timestamp")
    want = veracode_signature(api_id, api_key, host, request_uri, method, found["ts"], found["nonce"])
    if not hmac.compare_digest(want, found["sig"]):
        raise Rejected("the signature does not verify")
    return found["nonce"]


class SigningUpstream:
    """A Reply action (support/upstream.py) that verifies each request's signature and nonce:
    200 with ``answer`` when it holds, 401 with the reason otherwise. ``verify(handler, body)``
    returns the nonce."""

    def __init__(self, verify: Any, answer: Any = None, status: int = 200) -> None:
        self.verify = verify
        self.answer = {"ok": True} if answer is None else answer
        self.status = status
        self.nonces: list[str] = []
        self.rejections: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, handler: BaseHTTPRequestHandler) -> None:
        body = getattr(handler, "request_body", b"")
        try:
            nonce = self.verify(handler, body)
            with self._lock:
                if nonce in self.nonces:
                    raise Rejected("the nonce was seen before: a replay")
                self.nonces.append(nonce)
            status, answer = self.status, self.answer
        except Rejected as exc:
            with self._lock:
                self.rejections.append(str(exc))
            status, answer = 401, {"error": str(exc)}
        data = json.dumps(answer).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
