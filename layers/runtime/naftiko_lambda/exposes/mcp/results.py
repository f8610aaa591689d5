"""Outcome | NaftikoError -> CallToolResult (pure).

Failures of the call (bad arguments, upstream errors, missing credentials) are tool results with
``isError: true`` that the model can read and act on; protocol faults stay JSON-RPC errors.
"""

from __future__ import annotations

import json

import mcp_types as types

from ...capability.model import Json
from ...consumes.response import Outcome
from ...errors import CredentialError, InvocationError, NaftikoError, UpstreamError

MAX_TEXT_CHARS = 200_000
"""Longest text copy of a result (characters); the structured content is never cut."""


def _text(value: Json) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= MAX_TEXT_CHARS else text[:MAX_TEXT_CHARS] + "...(truncated)"


def success(outcome: Outcome) -> types.CallToolResult:
    data = outcome.data
    structured = data if isinstance(data, dict) else {"result": data}
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
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=_text(detail))], structured_content=detail, is_error=True
    )
