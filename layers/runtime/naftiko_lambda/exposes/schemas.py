"""Inputs and outputs -> JSON Schema, the one derivation OpenAPI and MCP both publish (pure).

Input schemas stay inside what strict gateways accept: no empty ``items``, no null unions, no
``default: null``. Output schemas say what the result holds: a typed output (an object with
``properties``, an array with ``items``, a scalar) gives a schema whose scalars are nullable
(upstreams omit fields; runner/outputs.py ``fit`` makes every value fit); an untyped
passthrough (``mapping: $.`` with no properties) gives none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # types only: kept off the cold path
    from ..capability.model import Input, Output, Plan


SCALARS = frozenset({"string", "number", "integer", "boolean"})


def input_property(item: Input) -> dict[str, Any]:
    prop: dict[str, Any] = {"type": item.type}
    if item.type == "array":
        prop["items"] = {"type": item.items or "string"}
    if item.enum:
        prop["enum"] = list(item.enum)
    if item.description:
        prop["description"] = item.description
    return prop


def input_schema(inputs: tuple[Input, ...]) -> dict[str, Any]:
    """The JSON Schema of an operation's arguments (static inputs are not the caller's to give)."""
    given = [item for item in inputs if item.static is None]
    schema: dict[str, Any] = {"type": "object", "properties": {item.name: input_property(item) for item in given}}
    required = [item.name for item in given if item.required]
    if required:
        schema["required"] = required
    return schema


def result_schema(plan: Plan) -> dict[str, Any] | None:
    """The JSON Schema of the operation's result, or None when its shape is not declared (or
    the result is binary content: bytes, not JSON)."""
    outputs = plan.outputs
    if not outputs or any(step.operation.binary for step in plan.calls):
        return None
    named = [o for o in outputs if o.name]
    if len(outputs) == 1 and not named:
        return _output(outputs[0], top=True)
    if plan.orchestrated or plan.is_mock or named:
        properties = {str(o.name or f"output{i}"): _output(o) or {} for i, o in enumerate(outputs)}
        return {"type": "object", "properties": properties}
    return None


def _output(output: Output, *, top: bool = False) -> dict[str, Any] | None:
    if output.type == "object" and output.properties:
        props = {key: _output(sub) or {} for key, sub in output.properties}
        return {"type": "object" if top else ["object", "null"], "properties": props}
    if output.type == "array" and output.items is not None:
        items = _output(output.items)
        schema: dict[str, Any] = {"type": "array" if top else ["array", "null"]}
        if items:
            schema["items"] = items
        return schema
    if output.type in SCALARS:
        return {"type": [output.type, "null"]}
    return None  # an object or array with no declared shape: an untyped passthrough


def tool_output_schema(plan: Plan) -> tuple[dict[str, Any] | None, bool]:
    """(MCP ``outputSchema``, whether the result is wrapped as ``{"result": ...}``).

    MCP wants an object schema, so an array or scalar result is published, and sent as
    structured content, wrapped in ``{"result": ...}``.
    """
    schema = result_schema(plan)
    if schema is None:
        return None, False
    if schema.get("type") == "object":
        return schema, False
    return {"type": "object", "properties": {"result": schema}, "required": ["result"]}, True
