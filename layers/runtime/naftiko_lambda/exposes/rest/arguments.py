"""Starlette Request -> checked inputs of one REST operation (path, query, header, JSON body)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

from ...capability.model import Input, Json
from ...errors import InvocationError
from ..inputs import check_value

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

    - ``path``, ``header``, ``cookie``: from there;
    - ``query``: the query string (repeated keys make an array), else the body object's field;
    - ``body``: its JSONPath in the body when it has one (``value: $.user.id``); else the body
      object's field of its name; else the query string; else, for an object or array input
      (or one named ``body``), the whole body.
    """
    values: dict[str, Json] = {}
    for item in inputs:
        if item.static is not None:  # not the caller's to give: the runner fills it
            continue
        value, from_text = _read(item, request, body, path_params)
        if value is None:
            if item.required:
                raise InvocationError(operation, item.name, "is required")
            continue
        values[item.name] = check_value(item, value, operation, from_text=from_text)
    return values


def _read(item: Input, request: Request, body: Json, path_params: Mapping[str, str]) -> tuple[Any, bool]:
    """(raw value or None, whether it is URL text that still needs converting)."""
    if item.location == "path":
        return path_params.get(item.name), True
    if item.location == "header":
        return request.headers.get(item.name), True
    if item.location == "cookie":
        return request.cookies.get(item.name), True
    if item.location == "body" and item.body_path is not None:
        return (item.body_path.evaluate(body) if body is not None else None), False
    if item.location == "body" and isinstance(body, dict) and item.name in body:
        return body[item.name], False
    found = request.query_params.getlist(item.name)
    if found:
        return (found if item.type == "array" and len(found) > 1 else found[0]), True
    if item.location == "query" and isinstance(body, dict) and item.name in body:
        return body[item.name], False
    whole = item.type in ("object", "array") or item.name.lower() == "body"
    if item.location == "body" and whole and body is not None:
        return body, False
    return None, True
