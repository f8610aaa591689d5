"""UpstreamResponse -> document -> mapped output: status check, decode, output parameters (pure)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..capability.model import ConsumedOperation, Json, Output
from ..errors import UpstreamError, UpstreamInvalidResponse
from .bind import MISSING, Scope, as_text
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


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an invocation produced: a status (the upstream's, for a single call) and the JSON value."""

    status: int
    data: Json


def error_body(response: UpstreamResponse) -> Json:
    """The upstream's error body as JSON when it is JSON (JSON-safe, as formats.py decodes it),
    else as (truncated) text."""
    try:
        return decode("json", response.body)
    except ValueError:
        return response.body[:ERROR_BODY_CHARS].decode("utf-8", errors="replace")


def decode_response(operation: ConsumedOperation, response: UpstreamResponse, name: str) -> Json:
    """The upstream's answer as JSON. Raises UpstreamError for a status >= 400, and
    UpstreamInvalidResponse for a body that is not in the operation's ``outputRawFormat``."""
    if response.status >= 400:
        raise UpstreamError(
            name, f"upstream answered {response.status}", status=response.status, body=error_body(response)
        )
    fmt = operation.output_format
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


def map_outputs(outputs: Sequence[Output], document: Json, scope: Scope) -> Json:
    """A flat call's result: its output parameters applied to the upstream document.

    No outputs: the document as it came. One unnamed output: its value. Otherwise an object
    keyed by each output's name.
    """
    if not outputs:
        return document
    if len(outputs) == 1 and outputs[0].name is None:
        return map_output(outputs[0], document, scope)
    return {out.name or f"output{i}": map_output(out, document, scope) for i, out in enumerate(outputs)}


def map_output(output: Output, node: Json, scope: Scope) -> Json:
    """Apply one (recursive) output parameter to ``node``; typed scalars take their declared type."""
    if output.value is not None and output.mapping is None:
        value = scope.value(output.value)
        return None if value is MISSING else coerce(output.type, value)
    base: Any = output.mapping.evaluate(node) if output.mapping is not None else node
    if output.type == "object" and output.properties:
        if not isinstance(base, Mapping):
            return None
        return {key: map_output(sub, base, scope) for key, sub in output.properties}
    if output.type == "array" and output.items is not None:
        if base is None:
            return []
        items = base if isinstance(base, list) else [base]
        return [map_output(output.items, item, scope) for item in items]
    return coerce(output.type, base)


_TRUE, _FALSE = frozenset({"true", "1", "yes"}), frozenset({"false", "0", "no"})


def coerce(kind: str, value: Json) -> Json:
    """``value`` as the declared scalar ``kind`` when that loses nothing, else None.

    So a result always fits its published output schema (whose scalars are nullable):
    ``"42"`` becomes 42 for a number, 42 becomes ``"42"`` for a string, ``"abc"`` for a number
    becomes None. Objects and arrays without declared shape pass through as they are.
    """
    if value is None:
        return None
    if kind == "string":
        return value if isinstance(value, str) else as_text(value)
    if kind in ("number", "integer"):
        if isinstance(value, bool):
            return None
        if isinstance(value, str):
            try:
                value = float(value) if kind == "number" else int(value)
            except ValueError:
                return None
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if kind == "integer":
            return int(value) if isinstance(value, int | float) and float(value).is_integer() else None
        return value if isinstance(value, int | float) else None
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        return True if text in _TRUE else False if text in _FALSE else None
    return value  # object / array without declared shape: an untyped passthrough
