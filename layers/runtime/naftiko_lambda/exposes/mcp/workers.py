"""Blocking work of the MCP endpoint (auth checks, upstream calls, files) on threads that live
as long as the warm process.

anyio's ``to_thread`` keeps its worker threads per root task, and under Mangum every invocation
is a new root task: each request that handed work to a thread started a new one (~1-2 ms of a
warm tools/list). One pool per process, created on first use; its threads are reused by every
invocation and, in `serve`, by every worker loop.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import anyio

T = TypeVar("T")
MAX_WORKERS = 40
"""Threads at most (anyio's default limit): `serve` runs 16 Lambda 'instances' in one process."""

_POOL: ThreadPoolExecutor | None = None  # the process's worker threads; made on first use, never reset


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(MAX_WORKERS, thread_name_prefix="naftiko-mcp")
    return _POOL


async def run_sync(function: Callable[..., T], *args: object) -> T:
    """``function(*args)`` on a pool thread, with this task's context variables (the deadline, the
    request id). Like anyio's ``to_thread.run_sync``, a cancelled caller still waits for it."""
    context = contextvars.copy_context()
    future = asyncio.get_running_loop().run_in_executor(_pool(), functools.partial(context.run, function, *args))
    with anyio.CancelScope(shield=True):
        result = await future
    return result
