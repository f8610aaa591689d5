"""Starlette Request -> checked inputs of one REST operation (path, query, header, JSON body)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

from ...capability.model import Json
from ...errors import InvocationError
from ..inputs import Input, coerce

MAX_JSON_DEPTH = 64
"""Deepest JSON body accepted (nesting levels); deeper is refused before any work is done."""


async def read_body(request: Request, operation: str) -> Json:
    """The JSON body, or None when there is none. Raises InvocationError when it is not JSON."""
    raw = await request.body()
    if not raw.strip():
        return None
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if content_type and not (content_type == "application/json" or content_type.endswith("+json")):
        raise InvocationError(operation, "body", f"must be application/json, not {content_type}")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise InvocationError(operation, "body", "is not valid JSON") from None
    if _depth(body) > MAX_JSON_DEPTH:
        raise InvocationError(operation, "body", f"is nested deeper than {MAX_JSON_DEPTH} levels")
    return body


def _depth(node: Any) -> int:
    depth, level = 0, [node]
    while level:
        depth += 1
        level = [
            child
            for item in level
            if isinstance(item, dict | list)
            for child in (item.values() if isinstance(item, dict) else item)
        ]
    return depth - 1


def collect_inputs(
    inputs: tuple[Input, ...], request: Request, body: Json, path_params: Mapping[str, str], operation: str
) -> dict[str, Json]:
    """Read each input from where it lives; check and convert its type; enforce required ones.

    ``body`` inputs take the whole JSON body. Other inputs come from the query string (repeated keys
    make an array); when absent there and the body is a JSON object, from that object's field.
    """
    values: dict[str, Json] = {}
    query = request.query_params
    for item in inputs:
        value: Any = None
        from_text = True
        if item.location == "path":
            value = path_params.get(item.name)
        elif item.location == "body":
            value, from_text = body, False
        elif item.location == "header":
            value = request.headers.get(item.name)
        else:
            found = query.getlist(item.name)
            if found:
                value = found if item.type == "array" and len(found) > 1 else found[0]
            elif isinstance(body, dict) and item.name in body:
                value, from_text = body[item.name], False
        if value is None:
            if item.required:
                raise InvocationError(operation, item.name, "is required")
            continue
        values[item.name] = coerce(item, value, operation, from_text=from_text)
    return values
