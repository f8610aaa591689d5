"""The stateless Streamable HTTP endpoint as a small ASGI app around the SDK's session manager.

Routes: ``/`` and ``/mcp`` serve every capability; ``/mcp/{capability}`` one capability (the
union of its ``mcp`` blocks); ``/mcp/{capability}/{namespace}`` one block (tools.py). Only POST
reaches the SDK: in stateless mode a GET would open an event stream that never ends (a buffered
Lambda would run to its timeout), so GET and DELETE get 405. Mangum runs the ASGI lifespan on
every invocation and the manager's ``run()`` is single-use, so a fresh stateless manager is
entered per request (~1 ms); see ../shared/NOTES.md.

Auth: the deployment's bearer check (security.py), and each served block's own
``authentication``; a request carrying a block's declared bearer token passes both.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any
from urllib.parse import parse_qsl

from ...capability.model import Capability, Plan
from ...consumes.bind import make_scope
from ...errors import CredentialError
from ...invoke import Runtime
from ...observability import current_request_id, logger
from ..inbound import challenge, is_authorized
from .security import BearerTokens
from .tools import Endpoint, endpoint_for

Scope = dict[str, Any]
REALM = "naftiko-mcp"


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
        self.tokens = tokens  # None: the deployment's check is off (MCP_AUTH=none)
        self.security_settings = security_settings
        # Endpoint tables and servers are built on first use, then kept for the warm process.
        self.endpoint_for: Callable[[str | None, str | None], Endpoint | None] = cache(self._endpoint)
        self.server_for: Callable[[str | None, str | None], Any] = cache(self._build_server)

    def _endpoint(self, capability: str | None, namespace: str | None) -> Endpoint | None:
        return endpoint_for(self.capabilities.values(), capability=capability, namespace=namespace)

    def _build_server(self, capability: str | None, namespace: str | None) -> Any:
        from .server import build_server

        endpoint = self.endpoint_for(capability, namespace)
        assert endpoint is not None
        return build_server(endpoint, self.runtime)

    def route(self, path: str) -> tuple[str | None, str | None] | None:
        """``/mcp/a/b`` -> ("a", "b"); ``/mcp`` -> (None, None); None when no endpoint is there."""
        path = path.rstrip("/") or "/"
        if path in ("/", "/mcp"):
            return None, None
        parts = path.split("/")
        if len(parts) not in (3, 4) or parts[1] != "mcp" or parts[2] not in self.capabilities:
            return None  # checked before any cache sees it: unknown paths must not grow the caches
        namespace = parts[3] if len(parts) == 4 else None
        if namespace is not None and namespace not in {b.namespace for b in self.capabilities[parts[2]].mcp}:
            return None
        return parts[2], namespace

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        target = self.route(scope["path"])
        if target is None:
            path = scope["path"]
            message = f"no MCP endpoint at {path}: use /mcp, /mcp/<capability> or /mcp/<capability>/<namespace>"
            await _reply(send, 404, _error(-32600, message))
            return
        if scope["method"] != "POST":
            await _reply(send, 405, _error(-32600, "use POST: this endpoint is stateless"), {"Allow": "POST"})
            return
        endpoint = self.endpoint_for(*target)
        assert endpoint is not None
        try:
            denied = self._denied(endpoint, scope)
        except CredentialError as exc:  # fail closed, and say why in the log (never a token)
            logger().error(
                "MCP credentials unusable", extra={"reason": str(exc), "correlation_id": current_request_id.get()}
            )
            await _reply(send, 503, _error(-32603, "the MCP endpoint's credentials are not available"))
            return
        if denied is not None:
            await _reply(send, 401, _error(-32001, "credentials are required"), {"WWW-Authenticate": denied})
            return
        from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

        manager = StreamableHTTPSessionManager(
            app=self.server_for(*target), stateless=True, json_response=True, security_settings=self.security_settings
        )
        async with manager.run():
            await manager.handle_request(scope, receive, send)

    def _denied(self, endpoint: Endpoint, scope: Scope) -> str | None:
        """None when the request may pass, else the WWW-Authenticate challenge to answer with.

        Raises CredentialError when a token store or a block's bound credential cannot be read.
        """
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        for auth, capability in endpoint.auths:
            credentials = self.runtime.credentials_for(capability)
            if not is_authorized(auth, headers, query, make_scope(capability, Plan(), {}, credentials)):
                return challenge(auth, REALM)
        spec_bearer = any(auth.type == "bearer" for auth, _ in endpoint.auths)  # and it passed above
        if self.tokens is not None and not spec_bearer and not self.tokens.check(headers.get("authorization")):
            return f'Bearer realm="{REALM}"'
        return None
