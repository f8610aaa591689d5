"""The stateless Streamable HTTP endpoint as a small ASGI app around the SDK's session manager.

Routes: ``/`` and ``/mcp`` serve every capability's tools; ``/mcp/{capability}`` serves one.
Only POST reaches the SDK: in stateless mode a GET would open an event stream that never ends
(a buffered Lambda would run to its timeout), so GET and DELETE get 405. Mangum runs the ASGI
lifespan on every invocation and the manager's ``run()`` is single-use, so a fresh stateless
manager is entered per request (~1 ms); see ../shared/NOTES.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from ...capability.model import Capability
from ...errors import CredentialError
from ...invoke import Runtime
from .security import BearerTokens

Scope = dict[str, Any]


async def _reply(send: Any, status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> None:
    data = json.dumps(body).encode()
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": data})


def _error(code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message}}


class McpHttpApp:
    """ASGI app: routing, method and auth rules, then the SDK for the protocol itself."""

    def __init__(
        self,
        capabilities: tuple[Capability, ...],
        runtime: Runtime,
        *,
        tokens: BearerTokens | None,
        security_settings: Any = None,
    ) -> None:
        self.capabilities = {c.name: c for c in capabilities}
        self.runtime = runtime
        self.tokens = tokens  # None: the inbound check is off (MCP_AUTH=none)
        self.security_settings = security_settings
        self.server_for: Callable[[str | None], Any] = cache(self._build_server)

    def _build_server(self, capability: str | None) -> Any:
        from .server import build_server
        from .tools import build_tool_table

        if capability is None:
            chosen = tuple(self.capabilities.values())
            instructions = "Tools of the capabilities: " + ", ".join(f"{c.name} ({c.label})" for c in chosen)
            return build_server("naftiko", build_tool_table(chosen, prefixed=True), self.runtime, instructions)
        one = self.capabilities[capability]
        description = next((m.description for m in one.mcp if m.description), None) or one.description
        return build_server(f"naftiko-{one.name}", build_tool_table((one,), prefixed=False), self.runtime, description)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"].rstrip("/") or "/"
        if path in ("/", "/mcp"):
            target = None
        elif path.startswith("/mcp/") and path[5:] in self.capabilities:
            target = path[5:]
        else:
            await _reply(send, 404, _error(-32600, f"no MCP endpoint at {path}: use /mcp or /mcp/<capability>"))
            return
        if scope["method"] != "POST":
            await _reply(send, 405, _error(-32600, "use POST: this endpoint is stateless"), {"Allow": "POST"})
            return
        if self.tokens is not None:
            headers = dict(scope["headers"])
            authorization = headers.get(b"authorization", b"").decode("latin-1")
            try:
                allowed = self.tokens.check(authorization)
            except CredentialError:
                await _reply(send, 503, _error(-32603, "the MCP token store is not available"))
                return
            if not allowed:
                await _reply(
                    send,
                    401,
                    _error(-32001, "a bearer token is required"),
                    {"WWW-Authenticate": 'Bearer realm="naftiko-mcp"'},
                )
                return
        from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

        manager = StreamableHTTPSessionManager(
            app=self.server_for(target), stateless=True, json_response=True, security_settings=self.security_settings
        )
        async with manager.run():
            await manager.handle_request(scope, receive, send)
