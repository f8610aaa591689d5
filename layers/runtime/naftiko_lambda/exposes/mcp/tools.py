"""Exposed MCP tools, resources and prompts -> the tables one MCP endpoint serves (pure).

Endpoints and naming:

- ``/mcp/{capability}/{namespace}``: one ``mcp`` exposes block, its own names.
- ``/mcp/{capability}``: the union of the capability's blocks, its own names; a name two blocks
  share is served once (the same tool collapses; otherwise the first block's, and ``validate``
  warns).
- ``/`` and ``/mcp``: every capability, names prefixed ``<capability>__``. Blocks that declare
  their own inbound ``authentication`` are served only at their capability's endpoints.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # types only: kept off the cold path
    from ...capability.model import Auth, Capability, ExposedOperation, McpExposes, McpPrompt, McpResource
    from .finder import Finder
    from .policy import ToolPolicy

SEPARATOR = "__"
KEY_DESCRIPTION = (
    "Optional. A unique name for this call (a UUID). Repeat it when retrying the same call:"
    " the write then happens at most once and the retry gets the first result."
)


@dataclass(frozen=True, slots=True)
class ToolEntry:
    tool: dict[str, Any]  # what tools/list shows (wire JSON: listed_tool)
    capability: Capability  # what tools/call runs ...
    operation: ExposedOperation  # ... through the runner
    wrapped: bool = False  # structured content is {"result": ...}
    object_schema: bool = False
    keyed: bool = False  # a write that takes an optional idempotencyKey (runner/idempotency.py)


@dataclass(frozen=True, slots=True)
class ResourceEntry:
    resource: McpResource
    capability: Capability


@dataclass(frozen=True, slots=True)
class PromptEntry:
    name: str
    prompt: McpPrompt
    capability: Capability


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Everything one MCP endpoint serves, and the block authentications a request must meet."""

    name: str
    instructions: str | None
    tools: Mapping[str, ToolEntry]  # what tools/call runs, by name
    listing: Sequence[dict[str, Any]]  # what tools/list shows, in order (wire JSON; catalog.py builds it per page)
    resources: tuple[ResourceEntry, ...] = ()
    prompts: Mapping[str, PromptEntry] = field(default_factory=dict)
    auths: tuple[tuple[Auth, Capability], ...] = ()
    version: str = "1.0.0"  # serverInfo.version: the capability's info.version when it has one
    cache_hint: tuple[int, str] | None = None  # (ttlMs, cacheScope) of its list results (beta4, MCP 2026-07-28)
    finder: Finder | None = None  # search mode: ``listing`` is the meta-tools, ``tools`` still every tool


def tool_listing(capability: Capability, operation: ExposedOperation) -> dict[str, Any]:
    """What tools/list shows of a tool, less its name, as JSON (the compiled bundle stores it).

    A tool without a description is described by its name, which depends on the endpoint:
    ``description`` is then None here and listed_tool() fills it in.
    """
    from ...runner.idempotency import KEY_ARGUMENT, MAX_KEY_CHARS, takes_key  # compiled: not on a cold start
    from ..schemas import input_schema, tool_output_schema

    hints = operation.hints
    call = operation.call
    arguments = input_schema(operation.inputs)
    if takes_key(capability, operation):
        key = {"type": "string", "minLength": 1, "maxLength": MAX_KEY_CHARS, "description": KEY_DESCRIPTION}
        arguments["properties"][KEY_ARGUMENT] = key
    return {
        "title": operation.label or None,
        "description": operation.description or (call.description if call else "") or None,
        "inputSchema": arguments,
        "outputSchema": tool_output_schema(operation.plan)[0],
        "annotations": {
            "title": operation.label or None,
            "readOnlyHint": hints.read_only,
            "destructiveHint": hints.destructive,
            "idempotentHint": hints.idempotent,
            "openWorldHint": hints.open_world,
        },
    }


def listed_tool(name: str, listing: Mapping[str, Any]) -> dict[str, Any]:
    """The tool ``name`` as tools/list shows it (wire JSON), from its tool_listing().

    Handed to the SDK as JSON, not as a ``types.Tool``: the SDK validates and dumps a result
    against its protocol version's surface anyway, and a model would be dumped once more first.
    """
    return {"name": name, **listing, "description": listing["description"] or name}


def tool_entry(capability: Capability, operation: ExposedOperation, name: str) -> ToolEntry:
    from ...runner.idempotency import takes_key
    from ..schemas import tool_output_schema

    listing = tool_listing(capability, operation)
    wrapped = tool_output_schema(operation.plan)[1]
    object_schema = listing["outputSchema"] is not None and not wrapped
    keyed = takes_key(capability, operation)
    return ToolEntry(listed_tool(name, listing), capability, operation, wrapped, object_schema, keyed)


def endpoint_for(
    capability: Capability, namespace: str | None = None, policy: ToolPolicy | None = None, *, search: bool = False
) -> Endpoint | None:
    """What ``/mcp/{capability}[/{namespace}]`` serves; None when the capability has no such block.
    ``policy``: which tools the caller may see (policy.py); the others are not there. ``search``:
    list search_tools and call_tool instead of the tools (finder.py).

    The all-capabilities endpoint is catalog.aggregate_endpoint: it lists tools without models.
    """
    blocks = [b for b in capability.mcp if namespace is None or b.namespace == namespace]
    if namespace is not None and not blocks:
        return None
    description = next((b.description for b in blocks if b.description), None) or capability.description or None
    suffix = f"-{namespace}" if namespace else ""
    name = f"naftiko-{capability.name}{suffix}"
    tools: dict[str, ToolEntry] = {}
    auths: list[tuple[Auth, Capability]] = []
    for block in blocks:
        if block.auth is not None:
            auths.append((block.auth, capability))
        for operation in block.tools:
            if operation.name in tools:  # the first block's tool wins (capability/check.py warns)
                continue
            if policy is not None and not allowed(policy, capability, operation):
                continue
            tools[operation.name] = tool_entry(capability, operation, operation.name)
    resources, prompts = extras([(capability, blocks)], prefixed=False)
    listing = tuple(entry.tool for entry in tools.values())
    hinted = next((b for b in blocks if b.ttl_ms is not None or b.cache_scope is not None), None)
    hint = (hinted.ttl_ms or 0, hinted.cache_scope or "private") if hinted is not None else None
    version = capability.version or "1.0.0"
    finder = None
    if search:
        from .finder import META_TOOLS, Finder
        from .search import SearchIndex, build_index, tool_fields

        index = SearchIndex(build_index((n, tool_fields(capability, e.operation)) for n, e in tools.items()))
        finder = Finder(index.search, lambda n: tools[n].tool, tools.__contains__)
        listing = META_TOOLS
    return Endpoint(name, description, tools, listing, resources, prompts, tuple(auths), version, hint, finder)


def allowed(policy: ToolPolicy, capability: Capability, operation: ExposedOperation) -> bool:
    tags = (*capability.tags, *operation.tags)
    return policy.allows(capability.name, operation.name, read_only=operation.hints.read_only, tags=tags)


def extras(
    picks: Iterable[tuple[Capability, Iterable[McpExposes]]], *, prefixed: bool
) -> tuple[tuple[ResourceEntry, ...], dict[str, PromptEntry]]:
    """The resources (the first of a URI wins) and prompts (named ``<capability>__<prompt>`` when
    ``prefixed``) of the picked blocks, in order."""
    resources: dict[str, ResourceEntry] = {}
    prompts: dict[str, PromptEntry] = {}
    for capability, blocks in picks:
        prefix = f"{capability.name}{SEPARATOR}" if prefixed else ""
        for block in blocks:
            for resource in block.resources:
                resources.setdefault(resource.uri, ResourceEntry(resource, capability))
            for prompt in block.prompts:
                prompts.setdefault(prefix + prompt.name, PromptEntry(prefix + prompt.name, prompt, capability))
    return tuple(resources.values()), prompts
