"""UpstreamResponse -> Outcome: status check, decode, output mapping (pure)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..capability.model import ExposedOperation, Json, Output
from ..errors import UpstreamError, UpstreamInvalidResponse
from .bind import MISSING, Scope
from .formats import DECODERS

ERROR_BODY_CHARS = 4096
"""How much of a non-JSON upstream error body is kept for the caller (characters)."""


@dataclass(frozen=True, slots=True)
class UpstreamResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an invocation produced: the upstream status and the mapped JSON value."""

    status: int
    data: Json


def error_body(response: UpstreamResponse) -> Json:
    """The upstream's error body as JSON when it is JSON, else as (truncated) text."""
    try:
        return json.loads(response.body)
    except ValueError:
        return response.body[:ERROR_BODY_CHARS].decode("utf-8", errors="replace")


def map_response(operation: ExposedOperation, response: UpstreamResponse, scope: Scope) -> Outcome:
    """Raise UpstreamError for a status >= 400; otherwise decode and map the outputs."""
    name = operation.call.ref
    if response.status >= 400:
        raise UpstreamError(
            name, f"upstream answered {response.status}", status=response.status, body=error_body(response)
        )
    fmt = operation.call.output_format
    content_type = response.headers.get("content-type", "").lower()
    if fmt == "json" and "html" in content_type:
        raise UpstreamInvalidResponse(
            name, "upstream answered HTML where JSON was expected", status=response.status, body=error_body(response)
        )
    try:
        document = DECODERS[fmt](response.body)
    except ValueError as exc:
        raise UpstreamInvalidResponse(
            name, f"upstream body is not valid {fmt}", status=response.status, body=error_body(response)
        ) from exc
    return Outcome(response.status, map_outputs(operation, document, scope))


def map_outputs(operation: ExposedOperation, document: Json, scope: Scope) -> Json:
    outputs: Sequence[Output] = operation.outputs or operation.call.outputs
    if not outputs:
        return document
    if len(outputs) == 1 and (operation.outputs or outputs[0].name is None):
        return map_output(outputs[0], document, scope)
    return {out.name or f"output{i}": map_output(out, document, scope) for i, out in enumerate(outputs)}


def map_output(output: Output, node: Json, scope: Scope) -> Json:
    """Apply one (recursive) output parameter to ``node``."""
    if output.value is not None and output.mapping is None:
        value = scope.value(output.value)
        return None if value is MISSING else value
    base: Any = output.mapping.evaluate(node) if output.mapping is not None else node
    if output.type == "object" and output.properties:
        if base is None:
            return None
        return {key: map_output(sub, base, scope) for key, sub in output.properties}
    if output.type == "array" and output.items is not None:
        if not isinstance(base, list):
            return [] if base is None else [map_output(output.items, base, scope)]
        return [map_output(output.items, item, scope) for item in base]
    return base
