"""UpstreamResponse -> document: the status checked and the body decoded in its format (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..capability.model import Binary, ConsumedOperation, Json
from ..errors import UpstreamError, UpstreamInvalidResponse
from .formats import decode

ERROR_BODY_CHARS = 4096
"""How much of a non-JSON upstream error body is kept for the caller (characters)."""


@dataclass(frozen=True, slots=True)
class UpstreamResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes
    after_write: bool = False
    """The answer to the GET that followed a write's 303 (or 301/302): the write was acted on,
    whatever this status says."""


def error_body(response: UpstreamResponse) -> Json:
    """The upstream's error body as JSON when it is JSON (JSON-safe, as formats.py decodes it),
    else as (truncated) text."""
    try:
        return decode("json", response.body)
    except ValueError:
        return response.body[:ERROR_BODY_CHARS].decode("utf-8", errors="replace")


def binary_answer(operation: ConsumedOperation, response: UpstreamResponse) -> Binary:
    """The bytes as they came, typed by ``outputMediaType`` or else the upstream's Content-Type."""
    if operation.media_type:
        return Binary(response.body, operation.media_type, declared=True)
    upstream = response.headers.get("content-type", "").strip()
    return Binary(response.body, upstream or "application/octet-stream")


def decode_response(operation: ConsumedOperation, response: UpstreamResponse, name: str) -> Json:
    """The upstream's answer as JSON. Raises UpstreamError for a status >= 400, and
    UpstreamInvalidResponse for a body that is not in the operation's ``outputRawFormat``."""
    if response.status >= 400:
        raise UpstreamError(
            name, f"upstream answered {response.status}", status=response.status, body=error_body(response)
        )
    fmt = operation.output_format
    if fmt == "binary":
        return binary_answer(operation, response)
    content_type = response.headers.get("content-type", "").lower()
    if fmt == "json" and "html" in content_type:
        raise UpstreamInvalidResponse(
            name, "upstream answered HTML where JSON was expected", status=response.status, body=error_body(response)
        )
    try:
        return decode(fmt, response.body)
    except ValueError as exc:
        raise UpstreamInvalidResponse(
            name, f"upstream body is not valid {fmt}", status=response.status, body=error_body(response)
        ) from exc
