"""build_app(capability) -> the ASGI app serving its REST operations under /{capability}.

A plain ASGI callable over Starlette's Request and Response, not a framework app: it has five
routes, and importing FastAPI cost ~210 ms of a ~340 ms cold start while it served only as a
Starlette container and for the docs page. The routes, GET (and HEAD) only for the first four:

    /{capability}/openapi.json       the OpenAPI document (servers from the request, see gateway.py)
    /{capability}/docs, .../docs/    the Swagger UI page; .../docs/<file> its assets (docs.py)
    /{capability}/skills[/{name}]    the skills catalog, when the capability has skill blocks
    /{capability}/...                everything else: the one operation endpoint (endpoint.py)

Anything outside ``/{capability}``, and any path with a line feed, is a 404 problem. The operation endpoint looks the operation up
in the route table (routes.py), reads the inputs, checks inbound auth, runs the blocking upstream
call on a worker thread and maps the outcome. The OpenAPI document comes from the same table
(openapi.py), built on its first request rather than on the cold start.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ...capability.model import Capability
from ...observability import current_request_id, logger
from ...runner.runtime import Runtime
from .endpoint import operation_endpoint
from .gateway import server_url, stage_prefix
from .problems import problem
from .routes import Router

READS = frozenset({"GET", "HEAD"})


class RestApp:
    """The ASGI app of one capability; every path it serves starts with ``/{capability.name}``."""

    def __init__(self, capability: Capability, runtime: Runtime, *, api_key_required: bool = False) -> None:
        self.capability = capability
        self.prefix = f"/{capability.name}"
        self.api_key_required = api_key_required
        self.endpoint = operation_endpoint(capability, runtime, Router(capability))
        self._document: tuple[bytes, bytes] | None = None  # built on the first request for it

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":  # Mangum runs with lifespan off: nothing else arrives
            return
        stage = stage_prefix(scope)
        path = scope["path"]
        if stage and (path == stage or path.startswith(stage + "/")):  # an HTTP API named stage: not ours
            scope = {**scope, "path": path[len(stage) :] or "/"}
        request = Request(scope, receive)
        try:
            response = await self._dispatch(request)
        except Exception:  # the endpoint answers its own errors; this covers the fixed routes
            correlation = current_request_id.get()
            extra = {"capability": self.capability.name, "correlation_id": correlation}
            logger().exception("unexpected error", extra=extra)
            response = problem(500, "Internal error", "the request could not be completed", correlation_id=correlation)
        await response(scope, receive, send)

    async def _dispatch(self, request: Request) -> Response:
        path: str = request.scope["path"]
        # A line feed in a path matches no route (as Starlette's path patterns, which stop at one, did).
        if (path != self.prefix and not path.startswith(self.prefix + "/")) or "\n" in path:
            return problem(404, "Not found", "no operation at this path")
        rest = path[len(self.prefix) :]
        if request.method in READS:
            if rest == "/openapi.json":
                return self._openapi(request)
            if rest in ("/docs", "/docs/"):
                return self._docs_page(trailing_slash=rest.endswith("/"))
            if rest.startswith("/docs/"):
                found = self._docs_asset(rest[len("/docs/") :])
                if found is not None:
                    return found
            if self.capability.skills and (rest == "/skills" or rest.startswith("/skills/")):
                name = rest[len("/skills/") :] if rest != "/skills" else None
                if name is None or (name and "/" not in name):
                    return self._skills(name)
        response: Response = await self.endpoint(request)
        return response

    def _openapi(self, request: Request) -> Response:
        """The document, rendered once; its ``servers`` (which depend on the request) spliced in."""
        if self._document is None:
            from .openapi import build_openapi

            document = build_openapi(self.capability, self.prefix, api_key_required=self.api_key_required)
            body = _render(document)
            head = _render({"openapi": document["openapi"]})[:-1] + b","
            assert body.startswith(head)  # "openapi" is the document's first key
            self._document = (head, body[len(head) :])
        head, tail = self._document
        servers = _render([{"url": server_url(request.scope)}])
        return Response(head + b'"servers":' + servers + b"," + tail, media_type="application/json")

    def _docs_page(self, *, trailing_slash: bool) -> Response:
        from .docs import page

        found = page(self.capability.label, trailing_slash=trailing_slash)
        headers = {
            "Content-Security-Policy": found.content_security_policy,
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
        }
        return Response(found.html, media_type="text/html; charset=utf-8", headers=headers)

    def _docs_asset(self, name: str) -> Response | None:
        from .docs import ASSET_MAX_AGE_S, asset

        found = asset(name)
        if found is None:
            return None
        headers = {
            "Cache-Control": f"public, max-age={ASSET_MAX_AGE_S}, immutable",
            "X-Content-Type-Options": "nosniff",
        }
        return Response(found.body, media_type=found.content_type, headers=headers)

    def _skills(self, name: str | None) -> Response:
        from .skills import catalog, detail

        if name is None:
            return JSONResponse(catalog(self.capability))
        found = detail(self.capability, name)
        if found is None:
            return problem(404, "Not found", f"no skill named {name!r}")
        return JSONResponse(found)


def _render(value: Any) -> bytes:
    """JSON as Starlette's JSONResponse writes it."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def build_app(capability: Capability, runtime: Runtime, *, api_key_required: bool = False) -> RestApp:
    """The ASGI app for one capability. ``api_key_required``: the gateway in front demands an
    ``x-api-key`` (REST_API_KEY_REQUIRED), so the OpenAPI document declares it on every operation."""
    return RestApp(capability, runtime, api_key_required=api_key_required)
