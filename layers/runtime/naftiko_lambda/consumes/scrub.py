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
import json
from collections.abc import Iterable
from dataclasses import replace
from typing import Any
from urllib.parse import quote, quote_plus

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
    forms = {raw, quote(value, safe="").encode(), quote_plus(value).encode(), json.dumps(value)[1:-1].encode()}
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

    def clean(node: Any) -> Any:
        if isinstance(node, str):
            for form in forms:
                if form in node:
                    node = node.replace(form, MASK)
            return node
        if isinstance(node, dict):
            return {clean(k): clean(v) for k, v in node.items()}
        if isinstance(node, list):
            return [clean(item) for item in node]
        return node

    return clean(value)  # decoded documents are at most formats.MAX_DEPTH deep


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
