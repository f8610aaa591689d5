"""NaftikoError -> RFC 9457 problem+json response, in one table (``problem_for``): every error of
the tree a REST request can meet, with its status, title and the headers it needs."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from ...errors import (
    CredentialError,
    IdempotencyError,
    InvocationError,
    NaftikoError,
    Unauthorized,
    UpstreamError,
    UpstreamTimeout,
)

PROBLEM_TYPE = "application/problem+json"
IDEMPOTENCY_TITLES = {
    400: "Bad idempotency key",
    409: "Request in progress",
    422: "Idempotency key reused",
    503: "Idempotency store unavailable",
}


def problem(status: int, title: str, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    body.update((k, v) for k, v in extra.items() if v is not None)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_TYPE, headers=headers)


def problem_for(exc: NaftikoError) -> JSONResponse:
    """The one mapping of the error tree to HTTP (see README, "Errors"); ``step`` names the
    orchestration step that failed, when one did."""
    step = exc.step
    if isinstance(exc, Unauthorized):
        from ..oauth import challenge

        title = "Forbidden" if exc.status == 403 else "Unauthorized"
        return problem(exc.status, title, exc.message, headers={"WWW-Authenticate": challenge(exc, None)})
    if isinstance(exc, IdempotencyError):
        retry = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        return problem(exc.status, IDEMPOTENCY_TITLES[exc.status], exc.message, headers=retry)
    if isinstance(exc, InvocationError):
        return problem(400, "Bad request", str(exc), parameter=exc.param, step=step)
    if isinstance(exc, CredentialError):
        # Names the key so an operator can fix it; never the value.
        return problem(503, "Credential not available", str(exc), credential=exc.key, step=step)
    if isinstance(exc, UpstreamTimeout):
        return problem(504, "Upstream timeout", str(exc), step=step)
    if isinstance(exc, UpstreamError):
        upstream = {"status": exc.status, "body": exc.body} if exc.status is not None else None
        if exc.status in (401, 403):
            # The upstream refused *our* credentials: a gateway fault, not "your key is wrong".
            return problem(502, "Upstream refused our credentials", str(exc), upstream=upstream, step=step)
        if exc.status is not None and 400 <= exc.status < 500 and type(exc) is UpstreamError:
            return problem(exc.status, "Upstream rejected the request", str(exc), upstream=upstream, step=step)
        return problem(502, "Bad gateway", str(exc), upstream=upstream, step=step)
    return problem(500, "Internal error", "the request could not be completed")
