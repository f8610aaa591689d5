"""The one generic REST endpoint: route -> inbound auth -> inputs -> (idempotency) -> run -> response.

Every operation of a capability is served by ``operation_endpoint``: it finds the operation in
the route table (routes.py), checks the block's inbound authentication (inbound.py, oauth.py),
reads the inputs (arguments.py), runs the plan on a worker thread (runner Runtime.call) and maps
the outcome or the error (problems.py). A POST or PATCH carrying ``Idempotency-Key`` runs under
the idempotency guard (runner/idempotency.py): at most once per key, its final answer replayed.

Blocking work goes to a thread with ``asyncio.to_thread`` (which carries the context variables:
the deadline and the request id), not Starlette's ``run_in_threadpool``: that loads anyio's
asyncio backend, ~25 ms of the first request.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ... import deadline
from ...capability.model import Auth, Binary, Capability, Json, Plan
from ...errors import NaftikoError
from ...observability import current_request_id, logger
from ...runner.callers import caller_identity
from ...runner.runtime import Runtime
from ...runner.scope import make_scope
from ..inbound import challenge, is_authorized
from .arguments import collect_inputs, read_body
from .problems import PROBLEM_TYPE, problem, problem_for
from .routes import RestEntry, Router

if TYPE_CHECKING:  # OAuth and the idempotency guard load with the first request that needs them
    from ...runner.idempotency import Answer
    from ..oauth import ResourceServer, Validator

MAX_BODY_BYTES = 6 * 1024 * 1024
"""Largest request body accepted (bytes): Lambda's synchronous invocation payload limit."""
IDEMPOTENCY_HEADER = "idempotency-key"


def operation_endpoint(capability: Capability, runtime: Runtime, router: Router) -> Any:
    credentials = runtime.credentials_for(capability)
    no_plan = make_scope(capability, Plan(), {}, credentials)  # inbound auth templates see binds only
    validators: dict[ResourceServer, Validator] = {}  # one per oauth2 block: key caches live while warm

    def validator(auth: Auth) -> Validator:
        from ..oauth import ResourceServer, Validator

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
        # HEAD is a GET without the body (RFC 9110 9.3.2); OPTIONS says what the path allows (a
        # CORS preflight gets no Access-Control-* headers: browsers from other origins stay out).
        allowed = [*route.methods, *(["HEAD"] if "GET" in route.methods else []), "OPTIONS"]
        if request.method == "OPTIONS":
            return Response(status_code=204, headers={"Allow": ", ".join(allowed)})
        entry = route.methods.get("GET" if request.method == "HEAD" else request.method)
        if entry is None:
            allow = ", ".join(allowed)
            return problem(405, "Method not allowed", f"{request.method} is not allowed here", headers={"Allow": allow})
        if request.method == "HEAD":
            got = await serve(request, entry, path_params)
            return Response(status_code=got.status_code, headers=dict(got.headers))  # its length, no body
        return await serve(request, entry, path_params)

    async def serve(request: Request, entry: RestEntry, path_params: Mapping[str, str]) -> Response:
        name = f"{capability.name}.{entry.operation.name}"
        limit = deadline.current.get()
        try:
            length = request.headers.get("content-length")
            if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
                return problem(413, "Payload too large", f"the body is over {MAX_BODY_BYTES} bytes")
            auth = entry.auth  # each rest block keeps its own inbound authentication
            claims: Mapping[str, Any] | None = None
            if auth is not None and auth.type == "oauth2":
                claims = await asyncio.to_thread(validator(auth).check, request.headers.get("authorization"), limit)
            elif auth is not None and not is_authorized(auth, request.headers, request.query_params, no_plan):
                headers = {"WWW-Authenticate": challenge(auth)}
                return problem(401, "Unauthorized", "missing or wrong credentials", headers=headers)
            body = await read_body(request, name)
            key = request.headers.get(IDEMPOTENCY_HEADER)
            if key is not None:
                from ...runner.idempotency import check_key, fingerprint, honours_header
            if key is not None and honours_header(capability, entry.operation):
                check_key(key)
                # The request, as the operation sees it: every input (path, query, headers, cookies,
                # body) typed and in order. A bad one is a 400 that does not use the key up.
                inputs = collect_inputs(entry.inputs, request, body, path_params, name)
                operation = entry.operation
                method = "GET" if request.method == "HEAD" else request.method  # HEAD is that GET
                same = fingerprint(operation.exposes_namespace, operation.name, method, inputs)

                def execute() -> Answer:
                    return _run(capability, runtime, entry, inputs, limit)

                guard, caller = runtime.idempotency, _caller(request, claims)
                answer, replayed = await asyncio.to_thread(
                    guard.run, capability.name, key, same, execute, limit, caller
                )
                return _answer_response(answer, replayed)
            return await asyncio.to_thread(
                _respond, capability, runtime, entry, request, body, path_params, name, limit
            )
        except NaftikoError as exc:
            return problem_for(exc)
        except Exception:
            return _internal(capability, entry)

    return endpoint


def _respond(
    capability: Capability,
    runtime: Runtime,
    entry: RestEntry,
    request: Request,
    body: Json,
    path_params: Mapping[str, str],
    name: str,
    limit: deadline.Deadline | None,
) -> Response:
    """Run the operation and map its outcome or error to a response (on a worker thread)."""
    try:
        inputs = collect_inputs(entry.inputs, request, body, path_params, name)
        outcome = runtime.call(capability, entry.operation, inputs, limit)
    except NaftikoError as exc:
        return problem_for(exc)
    except Exception:
        return _internal(capability, entry)
    return _outcome_response(outcome.status, outcome.data, media_type=entry.operation.media_type)


BINARY_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"}
"""Bytes an upstream chose are never run as a page of ours, whatever their Content-Type says."""


def _outcome_response(
    status: int, data: Json, headers: Mapping[str, str] | None = None, media_type: str | None = None
) -> Response:
    if data is None and status in (204, 205, 304):
        return Response(status_code=status, headers=headers)
    if isinstance(data, Binary):  # media type: the consumed operation's, the REST responses', the upstream's
        media = data.media_type if data.declared or not media_type else media_type
        return Response(data.data, status_code=status, media_type=media, headers={**BINARY_HEADERS, **(headers or {})})
    return JSONResponse(data, status_code=status, headers=headers)


def _run(
    capability: Capability, runtime: Runtime, entry: RestEntry, inputs: dict[str, Json], limit: deadline.Deadline | None
) -> Answer:
    """Run a keyed write; its answer says whether it is kept for the key (idempotency.settled)."""
    from ...runner.idempotency import Answer, settled

    effects: list[str] = []  # what may have changed upstream, if it fails (settled reads it)
    try:
        outcome = runtime.call(capability, entry.operation, inputs, limit, effects)
    except Exception as exc:
        response = problem_for(exc) if isinstance(exc, NaftikoError) else _internal(capability, entry)
        body = json.loads(bytes(response.body))
        return Answer(response.status_code, body, {"content-type": PROBLEM_TYPE}, final=settled(exc, effects))
    return Answer(outcome.status, outcome.data)


def _internal(capability: Capability, entry: RestEntry) -> Response:
    correlation = current_request_id.get()
    logger().exception(
        "unexpected error",
        extra={"capability": capability.name, "operation": entry.operation.name, "correlation_id": correlation},
    )
    return problem(500, "Internal error", "the request could not be completed", correlation_id=correlation)


def _caller(request: Request, claims: Mapping[str, Any] | None) -> str:
    """Who is calling, for scoping idempotency keys: the API Gateway API key and authorizer
    principal, and the OAuth subject of a block that checks tokens. (A block's static key or
    token is one secret that every caller shares: it names no one.)"""
    context = (request.scope.get("aws.event") or {}).get("requestContext") or {}
    authorizer = context.get("authorizer") or {}
    # HTTP API JWT authorizer: authorizer.jwt.claims; REST API Cognito authorizer: authorizer.claims.
    jwt_claims = (authorizer.get("jwt") or {}).get("claims") or authorizer.get("claims") or {}
    subject = None
    if claims is not None:
        subject = f"{claims.get('iss')}|{claims.get('sub') or claims.get('client_id')}"
    return caller_identity(
        (context.get("identity") or {}).get("apiKeyId"),
        authorizer.get("principalId"),
        jwt_claims.get("sub"),
        subject,
    )


def _answer_response(answer: Answer, replayed: bool) -> Response:
    """The response for a keyed write: the same as without a key, marked when replayed."""
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    if answer.omitted:  # kept without its body: the write ran once; its answer was too large to keep
        return Response(status_code=answer.status, headers={**headers, "Idempotent-Body-Omitted": "true"})
    if answer.headers.get("content-type") == PROBLEM_TYPE:
        return JSONResponse(answer.body, status_code=answer.status, media_type=PROBLEM_TYPE, headers=headers)
    return _outcome_response(answer.status, answer.body, headers)  # a binary answer is kept without its bytes
