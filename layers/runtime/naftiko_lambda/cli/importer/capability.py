"""Imported operations -> one capability mapping, keys in the order a reader expects (pure).

The layout follows the seeds: ``naftiko``, ``info``, ``binds``, then ``capability`` with one
``consumes`` block (one resource per path, ``{{x}}`` placeholders), a ``rest`` exposes block
mirroring the document's paths (``{x}`` placeholders) and an ``mcp`` block with one tool per
operation. Every exposed operation maps each consumed parameter from the caller's input of the
same name, so the file says in one place what travels where.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .fields import Field
from .names import kebab, unique
from .operations import Operation

REST_PORT = 8080
MCP_PORT = 9090
"""Ports the format requires on exposes blocks; Lambda does not listen on them (API Gateway and
the function URL front the handlers)."""


@dataclass(frozen=True, slots=True)
class Info:
    label: str
    description: str
    tags: tuple[str, ...]
    today: str  # YYYY-MM-DD: created and modified


def capability_mapping(
    namespace: str,
    info: Info,
    base_uri: str,
    auth: Mapping[str, str] | None,
    variables: Sequence[str],
    operations: Sequence[Operation],
) -> dict[str, Any]:
    """The whole capability file as a mapping (insertion order is the file's key order)."""
    out: dict[str, Any] = {
        "naftiko": "1.0.0-alpha2",
        "info": {
            "label": info.label,
            "description": info.description,
            **({"tags": list(info.tags)} if info.tags else {}),
            "created": info.today,
            "modified": info.today,
        },
    }
    if variables:
        out["binds"] = [{"namespace": "env", "keys": {v: v for v in variables}}]
    consumes: dict[str, Any] = {"type": "http", "namespace": namespace, "baseUri": base_uri}
    consumes["description"] = f"{info.label}: {len(operations)} operations imported from OpenAPI."
    if auth is not None:
        consumes["authentication"] = dict(auth)
    consumes["resources"] = _resources(operations, _consumed)
    exposes: list[dict[str, Any]] = []
    rest_operations = [op for op in operations if op.rest]
    if rest_operations:
        exposes.append(
            {
                "type": "rest",
                "namespace": f"{namespace}-rest",
                "port": REST_PORT,
                "description": f"REST API for {info.label}: the document's paths, each calling its operation.",
                "resources": _resources(rest_operations, lambda op: _exposed(op, namespace, "rest")),
            }
        )
    exposes.append(
        {
            "type": "mcp",
            "namespace": f"{namespace}-mcp",
            "port": MCP_PORT,
            "transport": "http",
            "description": f"MCP tools for {info.label}: one tool per operation of the document.",
            "tools": [_tool(op, namespace) for op in operations],
        }
    )
    out["capability"] = {"consumes": [consumes], "exposes": exposes}
    return out


def _resources(operations: Sequence[Operation], build: Any) -> list[dict[str, Any]]:
    by_path: dict[str, list[Operation]] = {}
    for op in operations:
        by_path.setdefault(op.path, []).append(op)
    taken: set[str] = set()
    out = []
    for path, ops in by_path.items():
        name = unique(kebab(path) or "root", taken)
        consumed = build is _consumed
        shown = _double_braces(path) if consumed else path
        resource: dict[str, Any] = {"name": name, "path": shown} if consumed else {"path": shown, "name": name}
        resource["operations"] = [build(op) for op in ops]
        out.append(resource)
    return out


def _double_braces(path: str) -> str:
    return path.replace("{", "{{").replace("}", "}}")


def _consumed(op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {"name": op.name, "method": op.method, "description": op.description}
    if op.fields:
        out["inputParameters"] = [_consumed_param(f) for f in op.fields]
    if op.body is not None:
        out["body"] = dict(op.body)
    out["outputRawFormat"] = op.output_format
    return out


def _consumed_param(field: Field) -> dict[str, Any]:
    out: dict[str, Any] = {"name": field.name, "in": field.location, "type": field.type}
    if field.required:
        out["required"] = True
    out["description"] = field.description
    return out


def _exposed(op: Operation, namespace: str, qualifier: str) -> dict[str, Any]:
    out: dict[str, Any] = {"method": op.method, "name": op.name}
    if op.label:
        out["label"] = op.label
    out["description"] = op.description
    out["call"] = f"{namespace}.{op.name}"
    if op.fields:
        out["with"] = {f.name: f"{qualifier}.{f.name}" for f in op.fields}
    out["outputParameters"] = [dict(op.output)]
    return out


def _tool(op: Operation, namespace: str) -> dict[str, Any]:
    out: dict[str, Any] = {"name": op.name}
    if op.label:
        out["label"] = op.label
    out["description"] = op.description
    out["hints"] = dict(op.hints)
    out["call"] = f"{namespace}.{op.name}"
    if op.fields:
        out["with"] = {f.name: f"tools.{f.name}" for f in op.fields}
        out["inputParameters"] = [_tool_input(f) for f in op.fields]
    out["outputParameters"] = [dict(op.output)]
    return out


def _tool_input(field: Field) -> dict[str, Any]:
    out: dict[str, Any] = {"name": field.name, "type": field.type, "description": field.description}
    out["required"] = field.required
    if field.enum:
        out["enum"] = list(field.enum)
    if field.items:
        out["items"] = {"type": field.items}
    return out
