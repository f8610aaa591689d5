"""tools/list answers kept per warm process, as the SDK shaped them: a server middleware."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any


class KeptListings:
    """The SDK's tools/list answers, kept: a page is validated and shaped for the wire once per
    warm process and protocol version, then served as it was (the SDK redoes both on every
    request: ~1.5 ms for 50 tools, half a warm tools/list).

    A request is answered from here only when its version and cursor were answered before and
    its ``_meta`` (the client's info, on 2026-era requests) is one the SDK accepted with them;
    anything else goes through the SDK as usual, so every request served from here is one the
    SDK checked once. Bounded: ``limit`` pages (a cursor with an odd offset is still a valid
    cursor), MAX_METAS ``_meta`` hashes per page, none over MAX_META_CHARS; past that, requests
    simply go through the SDK.
    """

    MAX_METAS = 8
    MAX_META_CHARS = 4096

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.kept: dict[tuple[str, str | None], tuple[dict[str, Any], set[str]]] = {}

    async def __call__(self, ctx: Any, call_next: Callable[[Any], Awaitable[Any]]) -> Any:
        params = ctx.params or {}
        if ctx.method != "tools/list" or ctx.request_id is None or not isinstance(params, Mapping):
            return await call_next(ctx)
        cursor = params.get("cursor")
        if set(params) - {"cursor", "_meta"} or not isinstance(cursor, str | None):
            return await call_next(ctx)
        try:
            text = json.dumps(params.get("_meta"), sort_keys=True)
        except (TypeError, ValueError):
            return await call_next(ctx)
        if len(text) > self.MAX_META_CHARS:  # a client's info is small: this one goes through the SDK
            return await call_next(ctx)
        meta = hashlib.sha256(text.encode()).hexdigest()
        key = (ctx.protocol_version, cursor)
        found = self.kept.get(key)
        if found is not None and meta in found[1]:
            return dict(found[0])  # the pipeline copies too: nothing downstream reaches the kept page
        result = await call_next(ctx)  # raises for a refused request: nothing is kept
        if isinstance(result, dict):
            if found is None and len(self.kept) < self.limit:
                found = self.kept[key] = (result, set())
            if found is not None and len(found[1]) < self.MAX_METAS:
                found[1].add(meta)
        return result
