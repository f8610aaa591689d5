"""build_server(endpoint) -> the SDK's low-level Server: one handler per method, tables as data.

Tools always; resources and prompts handlers only when the endpoint has some, so the server
advertises exactly what it serves (the SDK derives capabilities from the handlers given). Every
list pages PAGE_SIZE entries with opaque cursors bound to the table they page through.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import mcp_types as types
from mcp.server import Server
from mcp.shared.exceptions import MCPError
from mcp_types.version import SUPPORTED_PROTOCOL_VERSIONS

from ... import deadline
from ...errors import IdempotencyError, InvocationError, NaftikoError
from ...observability import current_request_id, logger
from ...runner.callers import current_caller
from . import workers
from .finder import META_NAMES
from .kept import KeptListings
from .results import INTERNAL_ERROR, INVALID_PARAMS, failed, failure, protocol_error, success
from .tools import Endpoint, ToolEntry

if TYPE_CHECKING:  # the runner loads with the first call
    from ...runner.runtime import Runtime

PAGE_SIZE = 50
"""Entries per tools/list, resources/list and prompts/list page."""
REPLAYED_META = "io.naftiko/idempotent-replayed"
"""Set in a tool result's ``_meta`` when it is the stored result of an earlier call with the key."""
T = TypeVar("T")
EMPTY_TOOLS_RESULT = types.ListToolsResult(tools=[]).model_dump(by_alias=True, mode="json", exclude_none=True)
"""The SDK's own defaults of a tools/list result (resultType, cache hints): what a page adds its tools to."""


def _cursor(offset: int, fingerprint: str) -> str:
    return base64.urlsafe_b64encode(f"{fingerprint}:{offset}".encode()).decode().rstrip("=")


def _offset(cursor: str, fingerprint: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        found, _, offset = text.rpartition(":")
        if found == fingerprint and offset.isdigit():
            return int(offset)
    except (ValueError, UnicodeDecodeError):
        pass
    raise MCPError(INVALID_PARAMS, "invalid cursor: start again without one")


class _Pages:
    """One list, paged: cursors name the list they page through, so a stranger's cursor is refused."""

    def __init__(self, kind: str, items: Sequence[T], keys: Sequence[str]) -> None:
        self.items: Sequence[Any] = items
        self.fingerprint = hashlib.sha256("\n".join([kind, *keys]).encode()).hexdigest()[:12]

    def page(self, params: types.PaginatedRequestParams | None) -> tuple[list[Any], str | None]:
        start = _offset(params.cursor, self.fingerprint) if params and params.cursor else 0
        end = start + PAGE_SIZE
        return list(self.items[start:end]), _cursor(end, self.fingerprint) if end < len(self.items) else None


def build_server(endpoint: Endpoint, runtime: Callable[[], Runtime]) -> Server[Any]:
    """``runtime`` gives the runner's Runtime, made on the first call (listing needs none)."""
    table = endpoint.tools
    tools = _Pages("tools", endpoint.listing, list(table))
    empty = dict(EMPTY_TOOLS_RESULT)
    if endpoint.cache_hint is not None:  # the SDK's defaults would stand for a choice of ours
        empty.pop("ttlMs", None)
        empty.pop("cacheScope", None)

    async def on_list_tools(ctx: Any, params: types.PaginatedRequestParams | None) -> dict[str, Any]:
        page, next_cursor = tools.page(params)  # wire JSON, kept per page: the SDK validates it
        listed = {**empty, "tools": page}
        if next_cursor:
            listed["nextCursor"] = next_cursor
        return listed

    async def on_call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        if endpoint.finder is not None and params.name in META_NAMES:
            return await meta(params.name, params.arguments or {})
        return await call(params.name, params.arguments)

    async def call(name: str, arguments: Any) -> types.CallToolResult:
        from ...runner.idempotency import KEY_ARGUMENT  # the call path loads what listing never needs
        from ..inputs import check_inputs

        entry = table.get(name)
        if entry is None:  # denied tools are not in the table: the same answer as a name never served
            raise MCPError(INVALID_PARAMS, f"unknown tool: {name}")
        limit = deadline.current.get()
        try:
            raw = arguments or {}
            if not isinstance(raw, dict):
                raise InvocationError(name, None, "arguments must be an object")
            key = raw.get(KEY_ARGUMENT) if entry.keyed else None
            if key is not None:
                raw = {k: value for k, value in raw.items() if k != KEY_ARGUMENT}
            inputs = check_inputs(entry.operation.inputs, raw, name, from_text=False)
        except NaftikoError as exc:
            return failure(exc)

        def run() -> types.CallToolResult:
            try:
                outcome = runtime().call(entry.capability, entry.operation, inputs, limit)
            except NaftikoError as exc:
                return failure(exc)
            return success(outcome, wrapped=entry.wrapped, object_schema=entry.object_schema, where=_where(entry))

        if key is None:
            return await workers.run_sync(run)
        if not isinstance(key, str):
            return failure(InvocationError(name, KEY_ARGUMENT, "must be a string"))
        return await workers.run_sync(_keyed, runtime(), entry, key, inputs, limit, current_caller.get())

    async def meta(name: str, arguments: Any) -> types.CallToolResult:
        """search_tools and call_tool (search mode, finder.py)."""
        from .finder import SEARCH_TOOLS, call_arguments, result_of, search_arguments

        finder = endpoint.finder
        assert finder is not None
        if not isinstance(arguments, dict):
            return failed({"error": "InvocationError", "message": "arguments must be an object"})
        try:
            if name == SEARCH_TOOLS:
                query, limit = search_arguments(arguments)
            else:
                target, target_arguments = call_arguments(arguments)
        except ValueError as exc:
            argument, _, message = str(exc).partition(": ")
            return failed({"error": "InvocationError", "argument": argument, "message": message})
        if name != SEARCH_TOOLS:
            return await call(target, target_arguments)
        found = result_of(await workers.run_sync(finder.find, query, limit))
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=json.dumps(found, ensure_ascii=False))],
            structured_content=found,
            is_error=False,
        )

    handlers: dict[str, Any] = {"on_list_tools": on_list_tools, "on_call_tool": on_call_tool}
    if endpoint.resources:
        handlers.update(_resource_handlers(endpoint, runtime))
    if endpoint.prompts:
        handlers.update(_prompt_handlers(endpoint))
    if endpoint.prompts or endpoint.resources:
        handlers["on_completion"] = _no_completions
    guarded: dict[str, Any] = {name: _guarded(handler) for name, handler in handlers.items()}
    if endpoint.cache_hint is not None:  # results of revisions without ttlMs/cacheScope leave them out
        from mcp.server.caching import CACHEABLE_METHODS, CacheHint

        ttl_ms, scope = endpoint.cache_hint
        hint = CacheHint(ttl_ms=ttl_ms, scope="public" if scope == "public" else "private")
        guarded["cache_hints"] = dict.fromkeys(CACHEABLE_METHODS, hint)
    server: Server[Any] = Server(endpoint.name, version=endpoint.version, instructions=endpoint.instructions, **guarded)
    pages = -(-len(endpoint.listing) // PAGE_SIZE) or 1
    server.middleware.append(KeptListings(limit=len(SUPPORTED_PROTOCOL_VERSIONS) * pages + 8))
    return server


def _keyed(
    runtime: Runtime,
    entry: ToolEntry,
    key: str,
    inputs: dict[str, Any],
    limit: deadline.Deadline | None,
    caller: str,
) -> types.CallToolResult:
    """A write under its idempotency key: run once; a retry gets the kept result, marked replayed.

    What is kept is the result's data (or the failure's detail), not the whole result: its text
    copy is made again from it, so a result is not stored twice over.
    """
    from ...runner.idempotency import Answer, check_key, fingerprint, settled

    def execute() -> Answer:
        effects: list[str] = []  # what may have changed upstream, if it fails (settled reads it)
        try:
            outcome = runtime.call(entry.capability, entry.operation, inputs, limit, effects)
        except NaftikoError as exc:
            return Answer(500, failure(exc).structured_content, final=settled(exc, effects))
        except Exception as exc:  # a fault of ours, maybe after the write: kept by the same rule
            message = _logged_internal_error("on_call_tool")
            detail = {"error": "InternalError", "status": 500, "message": message}
            return Answer(500, detail, final=settled(exc, effects))
        return Answer(outcome.status, {"data": outcome.data})

    operation = entry.operation
    same = fingerprint(operation.exposes_namespace, operation.name, inputs)
    try:
        check_key(key)
        answer, replayed = runtime.idempotency.run(entry.capability.name, key, same, execute, limit, caller)
    except IdempotencyError as exc:
        return failure(exc)
    if answer.omitted:  # kept without its data: the call ran once and is not run again
        message = "this call already ran with this idempotencyKey; its result was too large to keep"
        result = failed({"error": "ResultNotKept", "status": answer.status, "message": message})
    elif answer.status >= 400 or "data" not in (answer.body or {}):
        result = failed(answer.body or {})
    else:
        from ...runner.outputs import Outcome

        outcome = Outcome(answer.status, answer.body["data"])
        result = success(outcome, wrapped=entry.wrapped, object_schema=entry.object_schema, where=_where(entry))
    if replayed:
        result.meta = {**(result.meta or {}), REPLAYED_META: True}
    return result


def _guarded(handler: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    """A handler whose unexpected failures become JSON-RPC -32603 with a correlation id: the
    caller never sees an internal message or a traceback, the log has the whole story."""

    async def run(ctx: Any, params: Any) -> T:
        try:
            return await handler(ctx, params)
        except MCPError:
            raise
        except Exception:
            raise MCPError(INTERNAL_ERROR, _logged_internal_error(handler.__name__)) from None

    return run


def _logged_internal_error(method: str) -> str:
    """Log the exception being handled with a correlation id; the message the caller gets instead."""
    correlation = current_request_id.get()
    logger().exception("unexpected error", extra={"method": method, "correlation_id": correlation})
    return f"internal error (correlation id {correlation})"


def _resource_handlers(endpoint: Endpoint, runtime: Callable[[], Runtime]) -> dict[str, Any]:
    from ..inputs import check_inputs
    from . import resources as res

    entries = endpoint.resources
    listed = res.listed(entries)
    resources = _Pages("resources", listed, [r.uri for r in listed])
    templates = _Pages("templates", res.templates(entries), [e.resource.uri for e in entries])

    async def on_list_resources(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListResourcesResult:
        page, next_cursor = resources.page(params)
        return types.ListResourcesResult(resources=page, next_cursor=next_cursor)

    async def on_list_resource_templates(
        ctx: Any, params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        page, next_cursor = templates.page(params)
        return types.ListResourceTemplatesResult(resource_templates=page, next_cursor=next_cursor)

    async def on_read_resource(ctx: Any, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        uri = str(params.uri)
        entry, values = res.match(entries, uri)
        resource = entry.resource
        if resource.location is not None:
            return await workers.run_sync(res.read_static, resource, uri)
        try:
            inputs = check_inputs(resource.inputs, values, resource.name, from_text=False)
            outcome = await workers.run_sync(runtime().call, entry.capability, resource, inputs, deadline.current.get())
        except NaftikoError as exc:
            raise protocol_error(exc) from exc
        return res.contents(resource, uri, outcome.data)

    return {
        "on_list_resources": on_list_resources,
        "on_list_resource_templates": on_list_resource_templates,
        "on_read_resource": on_read_resource,
    }


def _prompt_handlers(endpoint: Endpoint) -> dict[str, Any]:
    from . import resources as res

    table = endpoint.prompts
    prompts = _Pages("prompts", [res.prompt_listing(e) for e in table.values()], list(table))

    async def on_list_prompts(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListPromptsResult:
        page, next_cursor = prompts.page(params)
        return types.ListPromptsResult(prompts=page, next_cursor=next_cursor)

    async def on_get_prompt(ctx: Any, params: types.GetPromptRequestParams) -> types.GetPromptResult:
        entry = table.get(params.name)
        if entry is None:
            raise MCPError(INVALID_PARAMS, f"unknown prompt: {params.name}")
        return await workers.run_sync(res.render_prompt, entry.prompt, params.arguments)

    return {"on_list_prompts": on_list_prompts, "on_get_prompt": on_get_prompt}


async def _no_completions(ctx: Any, params: types.CompleteRequestParams) -> types.CompleteResult:
    """completion/complete: the format declares no values to suggest for a prompt argument or a
    resource template's placeholder, so there are none (an empty list, as the protocol allows)."""
    return types.CompleteResult(completion=types.Completion(values=[]))


def _where(entry: ToolEntry) -> str:
    """Where a tool's binary content comes from, for the URI of its embedded blob."""
    return f"{entry.capability.name}/{entry.operation.name}"
