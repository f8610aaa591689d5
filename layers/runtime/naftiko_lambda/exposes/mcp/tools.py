"""Exposed MCP tools -> mcp Tool definitions and the table tools/call looks names up in (pure).

Naming rule: on the combined endpoint (``/`` and ``/mcp``) a tool is ``<capability>__<tool>``
(the spec file's stem, two underscores, the spec's tool name), unique across capabilities. On
``/mcp/{capability}`` the spec's own tool names are used.

Input schemas stay inside what strict gateways accept: no empty ``items``, no null unions,
no ``default: null``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import mcp_types as types

from ...capability.model import Capability, ExposedOperation
from ..inputs import Input, derive_inputs

SEPARATOR = "__"


@dataclass(frozen=True, slots=True)
class ToolEntry:
    tool: types.Tool  # what tools/list shows
    capability: Capability  # what tools/call runs ...
    operation: ExposedOperation  # ... through invoke.run
    inputs: tuple[Input, ...]


def input_schema(inputs: tuple[Input, ...]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for item in inputs:
        prop: dict[str, Any] = {"type": item.type}
        if item.type == "array":
            prop["items"] = {"type": "string"}
        if item.description:
            prop["description"] = item.description
        properties[item.name] = prop
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    required = [item.name for item in inputs if item.required]
    if required:
        schema["required"] = required
    return schema


def tool_name(capability: Capability, operation: ExposedOperation, prefixed: bool) -> str:
    return f"{capability.name}{SEPARATOR}{operation.name}" if prefixed else operation.name


def build_tool_table(capabilities: tuple[Capability, ...], *, prefixed: bool) -> Mapping[str, ToolEntry]:
    """Tool name -> entry, in capability then spec order."""
    table: dict[str, ToolEntry] = {}
    for capability in capabilities:
        for operation in capability.tools:
            inputs = derive_inputs(operation)
            hints = operation.hints
            name = tool_name(capability, operation, prefixed)
            tool = types.Tool(
                name=name,
                title=operation.label or None,
                description=operation.description or operation.call.description or name,
                input_schema=input_schema(inputs),
                annotations=types.ToolAnnotations(
                    title=operation.label or None,
                    read_only_hint=hints.read_only,
                    destructive_hint=hints.destructive,
                    idempotent_hint=hints.idempotent,
                    open_world_hint=hints.open_world,
                ),
            )
            table[name] = ToolEntry(tool, capability, operation, inputs)
    return table
