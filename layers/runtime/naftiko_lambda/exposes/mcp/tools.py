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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import mcp_types as types

from ...capability.model import Auth, Capability, ExposedOperation, McpExposes, McpPrompt, McpResource
from ..idempotency import KEY_ARGUMENT, MAX_KEY_CHARS, takes_key
from ..schemas import input_schema, tool_output_schema

SEPARATOR = "__"
KEY_PROPERTY = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_KEY_CHARS,
    "description": "Optional. A unique name for this call (a UUID). Repeat it when retrying the same call:"
    " the write then happens at most once and the retry gets the first result.",
}


@dataclass(frozen=True, slots=True)
class ToolEntry:
    tool: types.Tool  # what tools/list shows
    capability: Capability  # what tools/call runs ...
    operation: ExposedOperation  # ... through invoke.run
    wrapped: bool = False  # structured content is {"result": ...}
    object_schema: bool = False
    keyed: bool = False  # a write that takes an optional idempotencyKey (../idempotency.py)


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
    tools: Mapping[str, ToolEntry]
    resources: tuple[ResourceEntry, ...] = ()
    prompts: Mapping[str, PromptEntry] = field(default_factory=dict)
    auths: tuple[tuple[Auth, Capability], ...] = ()


def tool_entry(capability: Capability, operation: ExposedOperation, name: str) -> ToolEntry:
    hints = operation.hints
    call = operation.call
    output_schema, wrapped = tool_output_schema(operation.plan)
    arguments = input_schema(operation.inputs)
    keyed = takes_key(capability, operation)
    if keyed:
        arguments["properties"][KEY_ARGUMENT] = KEY_PROPERTY
    tool = types.Tool(
        name=name,
        title=operation.label or None,
        description=operation.description or (call.description if call else "") or name,
        input_schema=arguments,
        output_schema=output_schema,
        annotations=types.ToolAnnotations(
            title=operation.label or None,
            read_only_hint=hints.read_only,
            destructive_hint=hints.destructive,
            idempotent_hint=hints.idempotent,
            open_world_hint=hints.open_world,
        ),
    )
    return ToolEntry(tool, capability, operation, wrapped, output_schema is not None and not wrapped, keyed)


def endpoint_for(
    capabilities: Iterable[Capability], *, capability: str | None = None, namespace: str | None = None
) -> Endpoint | None:
    """What the endpoint for (capability, namespace) serves; None when there is no such endpoint."""
    chosen = list(capabilities)
    if capability is None:  # /mcp: every capability, prefixed names, unguarded blocks only
        picks = [(c, [b for b in c.mcp if b.auth is None]) for c in chosen]
        names = ", ".join(f"{c.name} ({c.label})" for c in chosen)
        return _endpoint("naftiko", f"Tools of the capabilities: {names}", picks, prefixed=True)
    found = next((c for c in chosen if c.name == capability), None)
    if found is None:
        return None
    blocks = [b for b in found.mcp if namespace is None or b.namespace == namespace]
    if namespace is not None and not blocks:
        return None
    description = next((b.description for b in blocks if b.description), None) or found.description or None
    suffix = f"-{namespace}" if namespace else ""
    return _endpoint(f"naftiko-{found.name}{suffix}", description, [(found, blocks)], prefixed=False)


def _endpoint(
    name: str, instructions: str | None, picks: list[tuple[Capability, list[McpExposes]]], *, prefixed: bool
) -> Endpoint:
    tools: dict[str, ToolEntry] = {}
    resources: dict[str, ResourceEntry] = {}
    prompts: dict[str, PromptEntry] = {}
    auths: list[tuple[Auth, Capability]] = []
    for capability, blocks in picks:
        prefix = f"{capability.name}{SEPARATOR}" if prefixed else ""
        for block in blocks:
            if block.auth is not None:
                auths.append((block.auth, capability))
            for operation in block.tools:
                key = prefix + operation.name
                if key not in tools:  # the first block's tool wins (capability/check.py warns)
                    tools[key] = tool_entry(capability, operation, key)
            for resource in block.resources:
                resources.setdefault(resource.uri, ResourceEntry(resource, capability))
            for prompt in block.prompts:
                prompts.setdefault(prefix + prompt.name, PromptEntry(prefix + prompt.name, prompt, capability))
    return Endpoint(name, instructions, tools, tuple(resources.values()), prompts, tuple(auths))
