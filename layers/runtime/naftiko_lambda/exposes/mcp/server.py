"""build_server(tool table) -> the SDK's low-level Server: one list handler, one call handler."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import Any

import mcp_types as types
from anyio import to_thread
from mcp.server import Server
from mcp.shared.exceptions import MCPError

from ...errors import InvocationError, NaftikoError
from ...invoke import Runtime
from ..inputs import check_inputs
from .results import failure, success
from .tools import ToolEntry

PAGE_SIZE = 50
"""Tools per tools/list page."""
INVALID_PARAMS = -32602


def _cursor(offset: int, fingerprint: str) -> str:
    return base64.urlsafe_b64encode(f"{fingerprint}:{offset}".encode()).decode().rstrip("=")


def _offset(cursor: str, fingerprint: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        found, _, offset = text.rpartition(":")
        if found == fingerprint and offset.isdigit():
            return int(offset)
    except (ValueError, UnicodeDecodeError):
        pass
    raise MCPError(INVALID_PARAMS, "invalid cursor: start again without one")


def build_server(
    name: str, table: Mapping[str, ToolEntry], runtime: Runtime, instructions: str | None = None
) -> Server[Any]:
    tools = [entry.tool for entry in table.values()]
    # Cursors name the table they page through, so a cursor from another deployment is refused.
    fingerprint = hashlib.sha256("\n".join(table).encode()).hexdigest()[:12]

    async def on_list_tools(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        start = _offset(params.cursor, fingerprint) if params and params.cursor else 0
        end = start + PAGE_SIZE
        next_cursor = _cursor(end, fingerprint) if end < len(tools) else None
        return types.ListToolsResult(tools=tools[start:end], next_cursor=next_cursor)

    async def on_call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        entry = table.get(params.name)
        if entry is None:
            raise MCPError(INVALID_PARAMS, f"unknown tool: {params.name}")
        try:
            raw = params.arguments or {}
            if not isinstance(raw, dict):
                raise InvocationError(params.name, None, "arguments must be an object")
            inputs = check_inputs(entry.inputs, raw, params.name, from_text=False)
            outcome = await to_thread.run_sync(runtime.call, entry.capability, entry.operation, inputs)
        except NaftikoError as exc:
            return failure(exc)
        return success(outcome)

    return Server(
        name, version="1.0.0", instructions=instructions, on_list_tools=on_list_tools, on_call_tool=on_call_tool
    )
