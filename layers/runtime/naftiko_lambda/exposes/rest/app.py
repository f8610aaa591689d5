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
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ... import deadline
from ...capability.model import Auth, Capability, Plan
from ...consumes.bind import make_scope
from ...errors import NaftikoError, Unauthorized
from ...invoke import Runtime
from ...observability import current_request_id, logger
from ..inbound import challenge, is_authorized
from ..oauth import ResourceServer, Validator
from ..oauth import challenge as oauth_challenge
from .arguments import collect_inputs, read_body
from .problems import problem, problem_for
from .routes import Router

MAX_BODY_BYTES = 6 * 1024 * 1024
"""Largest request body accepted (bytes): Lambda's synchronous invocation payload limit."""
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
    app.router.routes.append(Route(prefix + "/{path:path}", _endpoint(capability, runtime, router), methods=METHODS))

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


def _endpoint(capability: Capability, runtime: Runtime, router: Router) -> Any:
    credentials = runtime.credentials_for(capability)
    no_plan = make_scope(capability, Plan(), {}, credentials)  # inbound auth templates see binds only
    validators: dict[ResourceServer, Validator] = {}  # one per oauth2 block: key caches live while warm

    def validator(auth: Auth) -> Validator:
        server = ResourceServer.from_auth(auth)
        found = validators.get(server)
        if found is None:

            def read(key: str) -> str:
                return str(credentials.get(key).reveal())

            found = validators.setdefault(server, Validator(server, runtime.transport, read))
        return found

    prefix_length = len(capability.name) + 1

    async def endpoint(request: Request) -> Response:
        found = router.match(request.scope["path"][prefix_length:])
        if found is None:
            return problem(404, "Not found", "no operation at this path")
        route, path_params = found
        entry = route.methods.get(request.method)
        if entry is None:
            allow = ", ".join(route.methods)
            return problem(405, "Method not allowed", f"{request.method} is not allowed here", headers={"Allow": allow})
        operation = entry.operation
        name = f"{capability.name}.{operation.name}"
        try:
            length = request.headers.get("content-length")
            if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
                return problem(413, "Payload too large", f"the body is over {MAX_BODY_BYTES} bytes")
            auth = entry.auth  # each rest block keeps its own inbound authentication
            if auth is not None and auth.type == "oauth2":
                check = validator(auth).check
                await run_in_threadpool(check, request.headers.get("authorization"), deadline.current.get())
            elif auth is not None and not is_authorized(auth, request.headers, request.query_params, no_plan):
                headers = {"WWW-Authenticate": challenge(auth)}
                return problem(401, "Unauthorized", "missing or wrong credentials", headers=headers)
            body = await read_body(request, name)
            inputs = collect_inputs(entry.inputs, request, body, path_params, name)
            outcome = await run_in_threadpool(runtime.call, capability, operation, inputs, deadline.current.get())
        except Unauthorized as exc:
            header = {"WWW-Authenticate": oauth_challenge(exc, None)}
            title = "Forbidden" if exc.status == 403 else "Unauthorized"
            return problem(exc.status, title, exc.message, headers=header)
        except NaftikoError as exc:
            return problem_for(exc)
        except Exception:
            correlation = current_request_id.get()
            logger().exception(
                "unexpected error",
                extra={"capability": capability.name, "operation": operation.name, "correlation_id": correlation},
            )
            return problem(500, "Internal error", "the request could not be completed", correlation_id=correlation)
        if outcome.data is None and outcome.status in (204, 205, 304):
            return Response(status_code=outcome.status)
        return JSONResponse(outcome.data, status_code=outcome.status)

    return endpoint
