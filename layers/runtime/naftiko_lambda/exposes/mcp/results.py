"""Outcome | NaftikoError -> what the MCP endpoint answers, in one table (pure).

Failures of a tool call (bad arguments, upstream errors, missing credentials, an idempotency
key that cannot be honoured) are tool results with ``isError: true`` that the model can read
and act on (``failure``); the same errors of a resource read are JSON-RPC errors
(``protocol_error``), and those met before the protocol, checking the caller, are HTTP answers
(``rejection``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import mcp_types as types
from mcp.shared.exceptions import MCPError

from ...errors import CredentialError, IdempotencyError, InvocationError, NaftikoError, Unauthorized, UpstreamError

if TYPE_CHECKING:  # types only: kept off the cold path
    from ...capability.model import Binary, Json
    from ...runner.outputs import Outcome

INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
UNAUTHORIZED = -32001
MAX_TEXT_CHARS = 200_000
"""Longest text copy of a result (characters); the structured content is never cut."""


def _text(value: Json) -> str:
    """The text copy of a result: a text result as it is, anything else as JSON."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= MAX_TEXT_CHARS else text[:MAX_TEXT_CHARS] + "...(truncated)"


def binary_content(data: Binary, where: str) -> types.ImageContent | types.AudioContent | types.EmbeddedResource:
    """A binary answer as MCP content: an image, audio, or else an embedded blob resource named
    by a URI of its own (``naftiko://transient/<where>/<uuid>``: it is not a resource to read)."""
    import base64
    import uuid

    blob = base64.b64encode(data.data).decode("ascii")
    if data.media_type.startswith("image/"):
        return types.ImageContent(type="image", data=blob, mime_type=data.media_type)
    if data.media_type.startswith("audio/"):
        return types.AudioContent(type="audio", data=blob, mime_type=data.media_type)
    uri = f"naftiko://transient/{where}/{uuid.uuid4()}"
    resource = types.BlobResourceContents(uri=uri, mime_type=data.media_type, blob=blob)
    return types.EmbeddedResource(type="resource", resource=resource)


def success(
    outcome: Outcome, *, wrapped: bool = False, object_schema: bool = False, where: str = "tool"
) -> types.CallToolResult:
    """The result as text and as structured content that fits the tool's output schema.

    ``wrapped``: the schema says ``{"result": ...}``. ``object_schema``: the schema is an object
    whose properties are all optional, so a missing (null) result is sent as ``{}``. With no
    schema, a non-object result is wrapped as ``{"result": ...}``.
    """
    from ...capability.model import Binary  # loaded already: a tool ran

    data = outcome.data
    if isinstance(data, Binary):  # bytes: content of their kind, no structured copy (no output schema)
        return types.CallToolResult(content=[binary_content(data, where)], is_error=False)
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
    if isinstance(exc, IdempotencyError):
        detail["status"] = exc.status
        if exc.retry_after:
            detail["retryAfterSeconds"] = exc.retry_after
    if exc.step is not None:
        detail["step"] = exc.step
    return failed(detail)


def failed(detail: dict[str, Json]) -> types.CallToolResult:
    """A failure result from its detail: the detail as structured content and as text."""
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=_text(detail))], structured_content=detail, is_error=True
    )


def protocol_error(exc: NaftikoError) -> MCPError:
    """A resource read's failure as a JSON-RPC error: bad input -32602, anything else -32603
    (with the upstream's status and body)."""
    if isinstance(exc, InvocationError):
        return MCPError(INVALID_PARAMS, str(exc))
    data = {"status": exc.status, "body": exc.body} if isinstance(exc, UpstreamError) else None
    return MCPError(INTERNAL_ERROR, str(exc), data)


def rejection(exc: NaftikoError, metadata_url: str) -> tuple[int, dict[str, Json], dict[str, str]]:
    """(HTTP status, JSON-RPC error body, headers) for a caller refused before the protocol:
    a missing or refused token (with its challenge), or credentials we cannot read (503)."""
    if isinstance(exc, Unauthorized):
        from ..oauth import challenge

        return exc.status, rpc_error(UNAUTHORIZED, exc.message), {"WWW-Authenticate": challenge(exc, metadata_url)}
    return 503, rpc_error(INTERNAL_ERROR, "the MCP endpoint's credentials are not available"), {}


def rpc_error(code: int, message: str) -> dict[str, Json]:
    """A JSON-RPC error message with no id (it answers a request that never reached the protocol)."""
    return {"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message}}
