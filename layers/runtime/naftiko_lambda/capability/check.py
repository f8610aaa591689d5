"""Semantic checks over a built Capability -> SpecIssues (pure).

What the JSON Schema cannot see: path placeholders nothing fills, templates naming variables
no bind declares, duplicate tool names, REST routes that collide.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .issues import SpecIssue
from .model import Capability, ExposedOperation, McpExposes, RestExposes
from .templates import Template, Var

_ROUTE_PARAM = re.compile(r"\{\{?[^{}]+\}?\}")


def input_reference(value: object, exposes_namespace: str) -> str | None:
    """``rest.x`` / ``tools.x`` / ``<exposes-namespace>.x`` -> ``x``; anything else -> None (a literal)."""
    if not isinstance(value, str):
        return None
    prefix, dot, name = value.partition(".")
    if dot and name and "." not in name and prefix in ("rest", "tools", exposes_namespace):
        return name
    return None


def check_capability(capability: Capability) -> list[SpecIssue]:
    issues: list[SpecIssue] = []
    for exposed in (*capability.rest_operations, *capability.tools):
        issues.extend(_check_sources(capability, exposed))
    issues.extend(_check_binds(capability))
    issues.extend(_check_unique(capability))
    return issues


def _where(op: ExposedOperation) -> tuple[str | int, ...]:
    # Exposed operations do not keep their index; name them in the path instead.
    return ("capability", "exposes", op.exposes_namespace, op.name)


def _check_sources(capability: Capability, op: ExposedOperation) -> Iterator[SpecIssue]:
    consumed = op.call
    given = {k.lower() for k in op.with_} | {p.name.lower() for p in op.params}
    if not op.with_ and not op.params:  # no mapping: the consumed parameters are the inputs
        given |= {p.name.lower() for p in consumed.params}
    for var in consumed.path.variables:
        param = consumed.param(var.name)
        if var.name.lower() in given or (param is not None and param.value is not None):
            continue
        if var.qualifier is not None or var.name in capability.binds:
            continue
        yield SpecIssue(
            "error",
            (*_where(op), "call"),
            f"path placeholder {{{var.name}}} of {consumed.ref} has no source: no with entry, input or value",
        )
    for key in op.with_:
        if consumed.param(key) is None and key.lower() not in {v.name.lower() for v in consumed.path.variables}:
            yield SpecIssue(
                "warning",
                (*_where(op), "with", key),
                f"{key!r} is not a parameter of {consumed.ref}: it is sent as a query parameter",
            )


def _templates(capability: Capability) -> Iterator[tuple[tuple[str | int, ...], Template]]:
    for consumes in capability.consumes.values():
        path: tuple[str | int, ...] = ("capability", "consumes", consumes.namespace)
        yield (*path, "baseUri"), consumes.base_uri
        if consumes.auth:
            for key, template in consumes.auth.fields.items():
                yield (*path, "authentication", key), template
    blocks: tuple[RestExposes | McpExposes, ...] = (*capability.rest, *capability.mcp)
    for exposes in blocks:
        if exposes.auth:
            for key, template in exposes.auth.fields.items():
                yield ("capability", "exposes", exposes.namespace, "authentication", key), template


def _check_binds(capability: Capability) -> Iterator[SpecIssue]:
    bind_qualifiers = capability.bind_namespaces | {"env"}
    for path, template in _templates(capability):
        for var in template.variables:
            if not isinstance(var, Var) or var.name in capability.binds:
                continue
            if var.qualifier is None or var.qualifier in bind_qualifiers:
                yield SpecIssue(
                    "warning",
                    path,
                    f"variable {var} is not declared in binds: it is read from the environment variable {var.name}",
                )


def _check_unique(capability: Capability) -> Iterator[SpecIssue]:
    tools: dict[str, ExposedOperation] = {}
    for tool in capability.tools:
        if tool.name in tools:
            yield SpecIssue("error", (*_where(tool), "name"), f"duplicate tool name {tool.name!r}")
        tools[tool.name] = tool
    routes: dict[tuple[str, str], ExposedOperation] = {}
    for op in capability.rest_operations:
        key = (op.method, _ROUTE_PARAM.sub("{}", op.path.rstrip("/")).lower())
        if key in routes:
            yield SpecIssue(
                "error",
                (*_where(op), "path"),
                f"REST route {op.method} {op.path} collides with operation {routes[key].name!r}",
            )
        routes[key] = op
