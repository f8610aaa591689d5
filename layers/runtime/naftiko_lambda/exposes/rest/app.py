"""build_app(capability) -> FastAPI app serving its REST operations under /{capability}.

One catch-all route hands every request to one generic endpoint, which looks the operation up
in the route table (routes.py), reads the inputs, checks inbound auth, runs the blocking upstream
call on a worker thread and maps the outcome. The OpenAPI document comes from the same table
(openapi.py), built on its first request rather than on the cold start.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ...capability.model import Capability
from ...invoke import Runtime
from .endpoint import operation_endpoint
from .problems import problem
from .routes import Router

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def build_app(capability: Capability, runtime: Runtime) -> FastAPI:
    """A FastAPI app for one capability; every path starts with ``/{capability.name}``."""
    prefix = f"/{capability.name}"
    app = FastAPI(title=capability.label, openapi_url=None, docs_url=None, redoc_url=None)
    router = Router(capability)

    @cache
    def document() -> dict[str, Any]:
        from .openapi import build_openapi

        return build_openapi(capability, prefix)

    async def openapi(_: Request) -> JSONResponse:
        return JSONResponse(document())

    async def docs(_: Request) -> Response:
        from fastapi.openapi.docs import get_swagger_ui_html

        return get_swagger_ui_html(openapi_url=f"{prefix}/openapi.json", title=f"{capability.label} - docs")

    app.router.routes.append(Route(f"{prefix}/openapi.json", openapi, methods=["GET"]))
    app.router.routes.append(Route(f"{prefix}/docs", docs, methods=["GET"]))
    if capability.skills:
        app.router.routes.append(Route(f"{prefix}/skills", _skills(capability), methods=["GET"]))
        app.router.routes.append(Route(prefix + "/skills/{name}", _skills(capability), methods=["GET"]))
    endpoint = operation_endpoint(capability, runtime, router)
    app.router.routes.append(Route(prefix + "/{path:path}", endpoint, methods=METHODS))

    async def not_found(_: Request, __: Exception) -> Response:
        return problem(404, "Not found", "no operation at this path")

    app.add_exception_handler(404, not_found)
    return app


def _skills(capability: Capability) -> Any:
    from .skills import catalog, detail

    async def endpoint(request: Request) -> Response:
        name = request.path_params.get("name")
        if name is None:
            return JSONResponse(catalog(capability))
        found = detail(capability, name)
        if found is None:
            return problem(404, "Not found", f"no skill named {name!r}")
        return JSONResponse(found)

    return endpoint
