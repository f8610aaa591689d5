"""Mangum configured the same way for both Lambda entries."""

from __future__ import annotations

import asyncio
import os
import warnings
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from mangum import Mangum
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES

from .. import deadline, observability
from ..settings import Settings

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def _request_id(event: dict[str, Any], context: Any) -> str | None:
    found = getattr(context, "aws_request_id", None)
    if found:
        return str(found)
    request_context = event.get("requestContext") if isinstance(event, dict) else None
    return request_context.get("requestId") if isinstance(request_context, dict) else None


def _ensure_loop() -> None:
    """Give this thread an open event loop if it has none. asyncio.get_event_loop() warns when
    there is none (Python 3.12, 3.13) and raises from 3.14: both mean "make one"."""
    with warnings.catch_warnings():  # not thread-safe, but it only hides this one warning
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_event_loop()
        except RuntimeError:
            loop = None
    if loop is None or loop.is_closed():
        asyncio.set_event_loop(asyncio.new_event_loop())


def wrap(app: Any, *, tracing: bool = False, ceiling_s: float = deadline.DEFAULT_CEILING_S) -> LambdaHandler:
    """A Lambda handler around an ASGI app.

    lifespan off: our apps have no startup work, and Mangum would run the lifespan on every
    invocation. problem+json is text: without it Mangum would base64-encode our error bodies.
    Mangum runs each invocation on the thread's current event loop; the handler makes sure there
    is one, so it also works on threads other than Lambda's main one (`serve`, tests).
    """
    _ensure_loop()  # Mangum looks for the thread's loop when it is made, too
    mangum = Mangum(app, lifespan="off", text_mime_types=[*DEFAULT_TEXT_MIME_TYPES, "application/problem+json"])
    observability.tracing_enabled = tracing

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        _ensure_loop()
        # The request id is the correlation id of every log line of this invocation; the deadline
        # bounds every upstream call it makes (deadline.py).
        request_id = observability.current_request_id.set(_request_id(event, context))
        limit = deadline.current.set(deadline.for_invocation(context, ceiling_s))
        try:
            return mangum(event, context)
        finally:  # both belong to this invocation only: never to the next one on this thread
            deadline.current.reset(limit)
            observability.current_request_id.reset(request_id)

    return handler


class _Described(Protocol):
    """A capability, or its summary in the compiled MCP index (mcp/bundle.py)."""

    @property
    def name(self) -> str: ...

    @property
    def unserved(self) -> tuple[str, ...]: ...


def report_unserved(capabilities: Iterable[_Described]) -> None:
    """One warning per operation a capability file could not serve (``validate`` names them too)."""
    for capability in capabilities:
        for message in capability.unserved:
            observability.logger().warning(
                "operation not served", extra={"capability": capability.name, "reason": message}
            )


def lazy_handler(create: Callable[[Settings], LambdaHandler]) -> LambdaHandler:
    """The module-level ``handler`` of a Lambda entry: built from the environment on the first
    invocation (the cold start), then reused by every warm one.

    Under SnapStart it is built at init instead, so that the snapshot holds the loaded specs and
    the built app, and what must not be shared by restored copies is dropped after each restore:
    the HTTP connections, secrets and minted tokens (none exist at init; this makes sure).
    """
    built: list[LambdaHandler] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if not built:
            built.append(create(Settings.from_environ(os.environ)))
        return built[0](event, context)

    if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start":
        from .. import reset_caches

        built.append(create(Settings.from_environ(os.environ)))
        try:  # Lambda's Python runtimes ship the hook registry; outside Lambda nothing restores
            from snapshot_restore_py import register_after_restore  # type: ignore[import-untyped,import-not-found,unused-ignore]
        except ImportError:  # pragma: no cover
            pass
        else:
            register_after_restore(reset_caches)
    return handler
