"""Semantic checks over a built Capability -> SpecIssues (pure).

What the JSON Schema cannot see: ``with`` arguments nothing uses, duplicate tool names, REST routes that collide, skills pointing at nothing, a
capability that exposes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

from .issues import SpecIssue
from .model import Capability, ExposedOperation
from .templates import body_templates


def check_capability(capability: Capability) -> list[SpecIssue]:
    issues: list[SpecIssue] = []
    for exposed in (*capability.rest_operations, *capability.tools):
        issues.extend(_check_arguments(exposed))
    issues.extend(_check_tools(capability))
    issues.extend(_check_skills(capability))
    if not (capability.rest or capability.mcp or capability.skills):
        issues.append(
            SpecIssue("warning", ("capability", "exposes"), "the capability exposes nothing: nothing is served")
        )
    return issues


def same_tool(a: ExposedOperation, b: ExposedOperation) -> bool:
    """Two tools are the same when they run the same plan with the same inputs."""
    return a.plan == b.plan and a.inputs == b.inputs


def _where(op: ExposedOperation) -> tuple[str | int, ...]:
    # Exposed operations do not keep their index; name them in the path instead.
    return ("capability", "exposes", op.exposes_namespace, op.name)


def _check_arguments(op: ExposedOperation) -> Iterator[SpecIssue]:
    """A ``with`` argument the consumed operation does not declare and no template uses is not sent."""
    for step in op.plan.calls:
        consumed = step.operation
        used = {v.name.lower() for v in consumed.path.variables}
        for param in consumed.params:
            used.add(param.name.lower())
            if param.value is not None:
                used |= {v.name.lower() for v in param.value.variables}
        for template in body_templates(consumed.body.data if consumed.body else None):
            used |= {v.name.lower() for v in template.variables}
        for key in step.with_:
            if key.lower() not in used:
                yield SpecIssue(
                    "warning",
                    (*_where(op), "with", key),
                    f"{key!r} is not a parameter of {consumed.ref} and no template uses it: it is not sent",
                )


def _check_tools(capability: Capability) -> Iterator[SpecIssue]:
    """Across mcp blocks a shared name is served once at /mcp/{capability}: the first block's tool."""
    union: dict[str, ExposedOperation] = {}
    for block in capability.mcp:
        for tool in block.tools:
            first = union.setdefault(tool.name, tool)
            if first is not tool and first.exposes_namespace != tool.exposes_namespace and not same_tool(first, tool):
                yield SpecIssue(
                    "warning",
                    (*_where(tool), "name"),
                    f"tool {tool.name!r} differs from the one in {first.exposes_namespace!r}: "
                    f"/mcp/{capability.name} serves the first; /mcp/{capability.name}/{tool.exposes_namespace} serves this one",
                )


def _check_skills(capability: Capability) -> Iterator[SpecIssue]:
    actions = {b.namespace: {t.name for t in b.tools} for b in capability.mcp}
    actions.update({b.namespace: {o.name for o in b.operations} for b in capability.rest})
    for block in capability.skills:
        for skill in block.skills:
            for tool in skill.tools:
                if tool.source is None:
                    continue
                where = ("capability", "exposes", block.namespace, skill.name, tool.name, "from")
                if tool.source not in actions:
                    yield SpecIssue(
                        "error", where, f"sourceNamespace {tool.source!r} is not an mcp or rest exposes block"
                    )
                elif tool.action not in actions[tool.source]:
                    yield SpecIssue("error", where, f"{tool.source!r} has no tool or operation named {tool.action!r}")
