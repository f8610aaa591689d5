"""The result of an operation: what the plan's output rule makes of the steps' outputs (pure).

- ``Outcome``: what an invocation produced, a status and a JSON value;
- ``map_outputs``: a flat call's output parameters applied to the upstream document;
- ``with_named_fields``: in an orchestration, a call's output gains its consumed operation's
  named output fields (``name`` + ``value: $.x``), on every element of an array;
- ``apply_mappings``: ``targetName`` (dotted names nest) <- value;
- ``shape``: the operation's ``outputParameters`` types applied to the mapped result;
- ``mock_result``: ``{name: value}`` with Mustache templates filled from the inputs;
- ``fit``: a value as its declared output type, or None (so a result fits its output schema);
- ``plan_result``: which of these a plan's output rule is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..capability.model import Binary, Json, Output, OutputMapping, Plan
from ..consumes.values import MISSING, as_text
from .scope import Scope
from .values import as_boolean


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an invocation produced: a status (the upstream's, for a single call) and the JSON value."""

    status: int
    data: Json


def map_outputs(outputs: Sequence[Output], document: Json, scope: Scope) -> Json:
    """A flat call's result: its output parameters applied to the upstream document.

    No outputs: the document as it came. One unnamed output: its value. Otherwise an object
    keyed by each output's name.
    """
    if not outputs:
        return document
    if len(outputs) == 1 and outputs[0].name is None:
        return map_output(outputs[0], document, scope)
    return {out.name or f"output{i}": map_output(out, document, scope) for i, out in enumerate(outputs)}


def map_output(output: Output, node: Json, scope: Scope) -> Json:
    """Apply one (recursive) output parameter to ``node``; typed scalars take their declared type."""
    if output.value is not None and output.mapping is None:
        value = scope.value(output.value)
        return None if value is MISSING else fit(output.type, value)
    base: Any = output.mapping.evaluate(node) if output.mapping is not None else node
    if output.type == "object" and output.properties:
        if not isinstance(base, Mapping):
            return None
        return {key: map_output(sub, base, scope) for key, sub in output.properties}
    if output.type == "array" and output.items is not None:
        if base is None:
            return []
        items = base if isinstance(base, list) else [base]
        return [map_output(output.items, item, scope) for item in items]
    return fit(output.type, base)


def fit(kind: str, value: Json) -> Json:
    """``value`` as the declared scalar ``kind`` when that loses nothing, else None.

    So a result always fits its published output schema (whose scalars are nullable):
    ``"42"`` becomes 42 for a number, 42 becomes ``"42"`` for a string, ``"abc"`` for a number
    becomes None. Objects and arrays without declared shape pass through as they are.
    """
    if value is None:
        return None
    if kind == "string":
        return value if isinstance(value, str) else as_text(value)
    if kind in ("number", "integer"):
        if isinstance(value, bool):
            return None
        if isinstance(value, str):
            try:
                value = float(value) if kind == "number" else int(value)
            except ValueError:
                return None
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if kind == "integer":
            return int(value) if isinstance(value, int | float) and float(value).is_integer() else None
        return value if isinstance(value, int | float) else None
    if kind == "boolean":
        return value if isinstance(value, bool) else as_boolean(str(value))
    return value  # object / array without declared shape: an untyped passthrough


def with_named_fields(outputs: Sequence[Output], document: Json, scope: Scope) -> Json:
    named = [o for o in outputs if o.name]
    if not named:
        return document

    def add(node: Json) -> Json:
        if not isinstance(node, Mapping):
            return node
        return {**node, **{str(o.name): map_output(o, node, scope) for o in named}}

    return [add(item) for item in document] if isinstance(document, list) else add(document)


def apply_mappings(mappings: Sequence[OutputMapping], scope: Scope) -> dict[str, Json]:
    result: dict[str, Json] = {}
    for mapping in mappings:
        value = scope.evaluate(mapping.value)
        node = result
        for key in mapping.target[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = node[key] = {}
            node = child
        node[mapping.target[-1]] = None if value is MISSING else value
    return result


def shape(outputs: Sequence[Output], result: Json) -> Json:
    """Each declared output takes its type; a declared name the mappings did not fill is null."""
    if not outputs:
        return result
    named = [o for o in outputs if o.name]
    if not named:
        return _shape_value(outputs[0], result)
    if not isinstance(result, dict):
        return result
    out = dict(result)
    for output in named:
        out[str(output.name)] = _shape_value(output, result.get(str(output.name)))
    return out


def _shape_value(output: Output, value: Json) -> Json:
    if output.type == "object" and output.properties:
        if not isinstance(value, dict):
            return None
        return {**value, **{key: _shape_value(sub, value.get(key)) for key, sub in output.properties}}
    if output.type == "array" and output.items is not None:
        if value is None:
            return None
        return [_shape_value(output.items, item) for item in (value if isinstance(value, list) else [value])]
    return fit(output.type, value)


def mock_result(outputs: Sequence[Output], scope: Scope) -> Json:
    def build(output: Output) -> Json:
        if output.properties:
            return {key: build(sub) for key, sub in output.properties}
        if output.type == "array" and output.items is not None:
            return [build(output.items)]
        if output.value is None:
            return None
        return fit(output.type, scope.mustache(output.value))

    if len(outputs) == 1 and outputs[0].name is None:
        return build(outputs[0])
    return {o.name or "value": build(o) for o in outputs}


def plan_result(plan: Plan, scope: Scope) -> Json:
    """The operation's result once every step has run (``scope.results`` holds their outputs)."""
    if plan.is_mock:
        return mock_result(plan.outputs, scope)
    if not plan.orchestrated:
        document = scope.results[plan.steps[0].name]
        if isinstance(document, Binary):  # bytes are the answer: there is nothing to map
            return document
        return map_outputs(plan.outputs, document, scope)
    if plan.mappings:
        return shape(plan.outputs, apply_mappings(plan.mappings, scope))
    last = scope.results.get(plan.steps[-1].name)
    if any(o.mapping is not None for o in plan.outputs):
        return map_outputs(plan.outputs, last, scope)
    return shape(plan.outputs, last)
