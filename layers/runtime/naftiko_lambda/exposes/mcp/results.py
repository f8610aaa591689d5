"""Outcome | NaftikoError -> CallToolResult (pure).

Failures of the call (bad arguments, upstream errors, missing credentials) are tool results with
``isError: true`` that the model can read and act on; protocol faults stay JSON-RPC errors.
"""

from __future__ import annotations

import json

import mcp_types as types

from ...capability.model import Json
from ...errors import CredentialError, InvocationError, NaftikoError, UpstreamError
from ...runner.outputs import Outcome

MAX_TEXT_CHARS = 200_000
"""Longest text copy of a result (characters); the structured content is never cut."""


def _text(value: Json) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= MAX_TEXT_CHARS else text[:MAX_TEXT_CHARS] + "...(truncated)"


def success(outcome: Outcome, *, wrapped: bool = False, object_schema: bool = False) -> types.CallToolResult:
    """The result as text and as structured content that fits the tool's output schema.

    ``wrapped``: the schema says ``{"result": ...}``. ``object_schema``: the schema is an object
    whose properties are all optional, so a missing (null) result is sent as ``{}``. With no
    schema, a non-object result is wrapped as ``{"result": ...}``.
    """
    data = outcome.data
    if isinstance(data, dict) and not wrapped:
        structured = data
    elif object_schema and data is None:
        structured = {}
    else:
        structured = {"result": data}
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=_text(data))], structured_content=structured, is_error=False
    )


def failure(exc: NaftikoError) -> types.CallToolResult:
    detail: dict[str, Json] = {"error": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, InvocationError) and exc.param:
        detail["argument"] = exc.param
    if isinstance(exc, CredentialError):
        detail["credential"] = exc.key
    if isinstance(exc, UpstreamError) and exc.status is not None:
        detail["status"] = exc.status
        detail["body"] = exc.body
    if exc.step is not None:
        detail["step"] = exc.step
    return failed(detail)


def failed(detail: dict[str, Json]) -> types.CallToolResult:
    """A failure result from its detail: the detail as structured content and as text."""
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=_text(detail))], structured_content=detail, is_error=True
    )
