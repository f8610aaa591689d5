r"""Our credentials out of an upstream's answer (pure).

An upstream that echoes the request (a 401 that repeats the ``Authorization`` it got, a debug
endpoint) would hand our secrets to the caller in problem+json ``upstream.body``, in MCP
``structuredContent`` or in a mapped result. Every secret value a call used is recorded while
the request is built (``Recording``) and removed from the answer's body and headers, in each form
it may come back in: as is, percent-encoded, base64, JSON-escaped, and the whole Authorization
value (which covers Basic's base64 of ``user:password``). A JSON answer may also spell a secret
with escapes the bytes do not show (``\/``, ``\u002b``, every character as ``\uXXXX``), so the
decoded document is scrubbed too (``scrub_value``): what the caller sees is what is checked.
"""

from __future__ import annotations

import base64
import contextlib
import html
import json
import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any
from urllib.parse import quote, quote_plus, unquote

from .request import UpstreamRequest
from .response import UpstreamResponse

MASK = "***"
MIN_SECRET_CHARS = 4
"""Shorter values are not masked: they would mangle ordinary text and reveal little."""


class Recording:
    """Credentials that remember every value they hand out (for one call)."""

    def __init__(self, credentials: Any) -> None:
        self._credentials = credentials
        self.values: list[str] = []

    def get(self, key: str) -> Any:
        secret = self._credentials.get(key)
        self.values.append(str(secret.reveal()))
        return secret


def secrets_of(request: UpstreamRequest, recorded: Iterable[str] = ()) -> list[str]:
    """The values to mask: what the credentials handed out, and the request's Authorization."""
    found = list(recorded)
    for key, value in request.headers:
        if key.lower() == "authorization":
            found.append(value)
            found.append(value.partition(" ")[2])
    if request.digest_auth:
        found.extend(request.digest_auth)
    return found


def _forms(value: str) -> set[bytes]:
    raw = value.encode()
    escaped = {quote(value, safe=""), quote(value), quote_plus(value)}
    escaped |= {_lower_escapes(e) for e in escaped}
    forms = {raw, json.dumps(value)[1:-1].encode(), *(e.encode() for e in escaped)}
    for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        forms |= {encoded, encoded.rstrip(b"=")}
    return {f for f in forms if len(f) >= MIN_SECRET_CHARS}


def _text_forms(secrets: Iterable[str]) -> list[str]:
    forms = {f.decode(errors="replace") for s in secrets if len(s) >= MIN_SECRET_CHARS for f in _forms(s)}
    return sorted(forms, key=len, reverse=True)


def scrub_value(value: Any, secrets: Iterable[str]) -> Any:
    """A decoded answer (JSON values) with every form of every secret masked in its strings and keys."""
    forms = _text_forms(secrets)
    if not forms:
        return value

    plain = [s for s in secrets if len(s) >= MIN_SECRET_CHARS]

    def clean(node: Any) -> Any:
        if isinstance(node, str):
            for form in forms:
                if form in node:
                    node = node.replace(form, MASK)
            hidden = ("&" in node or "%" in node or "\\" in node) and any(s in _unescaped(node) for s in plain)
            if hidden:
                return MASK  # spelled some other way (entities, escapes): the whole text goes
            return node
        if isinstance(node, dict):
            return {clean(k): clean(v) for k, v in node.items()}
        if isinstance(node, list):
            return [clean(item) for item in node]
        return node

    return clean(value)  # decoded documents are at most formats.MAX_DEPTH deep


def _lower_escapes(text: str) -> str:
    """``%2F`` -> ``%2f``: percent-escapes in lower case, as some encoders write them."""
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), text)


def _unescaped(text: str) -> str:
    """The text with what commonly hides characters undone: HTML entities, percent-escapes and
    JSON/backslash ``\\uXXXX`` escapes (each a no-op on text that has none)."""
    found = unquote(html.unescape(text))
    if "\\u" in found or "\\x" in found:
        with contextlib.suppress(UnicodeDecodeError, ValueError):
            found = found.encode("latin-1", "backslashreplace").decode("unicode_escape")
    return found


def scrub(response: UpstreamResponse, secrets: Iterable[str]) -> UpstreamResponse:
    """The response with every form of every secret replaced by ``***`` (longest forms first)."""
    forms = sorted({f for s in secrets if len(s) >= MIN_SECRET_CHARS for f in _forms(s)}, key=len, reverse=True)
    if not forms:
        return response
    body = response.body
    headers = dict(response.headers)
    for form in forms:
        body = body.replace(form, MASK.encode())
        text = form.decode(errors="replace")
        headers = {k: v.replace(text, MASK) for k, v in headers.items()}
    return replace(response, body=body, headers=headers)
