"""The pure parts of running a plan beyond one call: named fields, lookups, mappings, mocks, types.

invoke.py runs the steps; each function here takes values and returns values:

- ``with_named_fields``: in an orchestration, a call's output gains its consumed operation's
  named output fields (``name`` + ``value: $.x``), on every element of an array;
- ``run_lookup``: the elements of an earlier step's array whose ``match`` field equals (as text)
  the looked-up value, or each of the looked-up values, projected to the listed fields;
- ``apply_mappings``: ``targetName`` (dotted names nest) <- value;
- ``shape``: the operation's ``outputParameters`` types applied to the mapped result;
- ``mock_result``: ``{name: value}`` with Mustache templates filled from the inputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .capability.model import Json, LookupStep, Output, OutputMapping, Plan
from .consumes.bind import MISSING, Scope, as_text
from .consumes.response import coerce, map_output, map_outputs
from .errors import UpstreamInvalidResponse


def with_named_fields(outputs: Sequence[Output], document: Json, scope: Scope) -> Json:
    named = [o for o in outputs if o.name]
    if not named:
        return document

    def add(node: Json) -> Json:
        if not isinstance(node, Mapping):
            return node
        return {**node, **{str(o.name): map_output(o, node, scope) for o in named}}

    return [add(item) for item in document] if isinstance(document, list) else add(document)


def run_lookup(step: LookupStep, scope: Scope) -> Json:
    """A list of matches for a list of values (unmatched ones left out); one match or None for a value."""
    table = scope.results.get(step.index)
    if not isinstance(table, list):
        raise UpstreamInvalidResponse(step.name, f"lookup {step.name}: the output of step {step.index} is not an array")
    wanted = scope.evaluate(step.value)
    by_key: dict[str, Json] = {}
    for entry in table:
        if isinstance(entry, Mapping) and entry.get(step.match) is not None:
            by_key.setdefault(as_text(entry[step.match]), entry)  # the first entry with a key wins

    def project(entry: Json) -> Json:
        if not step.fields or not isinstance(entry, Mapping):
            return entry
        return {name: entry.get(name) for name in step.fields}

    if isinstance(wanted, list):
        return [project(by_key[as_text(v)]) for v in wanted if v is not None and as_text(v) in by_key]
    if wanted is MISSING or wanted is None:
        return None
    found = by_key.get(as_text(wanted))
    return None if found is None else project(found)


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
    return coerce(output.type, value)


def mock_result(outputs: Sequence[Output], scope: Scope) -> Json:
    def build(output: Output) -> Json:
        if output.properties:
            return {key: build(sub) for key, sub in output.properties}
        if output.type == "array" and output.items is not None:
            return [build(output.items)]
        if output.value is None:
            return None
        return coerce(output.type, scope.mustache(output.value))

    if len(outputs) == 1 and outputs[0].name is None:
        return build(outputs[0])
    return {o.name or "value": build(o) for o in outputs}


def plan_result(plan: Plan, scope: Scope) -> Json:
    """The operation's result once every step has run (``scope.results`` holds their outputs)."""
    if plan.is_mock:
        return mock_result(plan.outputs, scope)
    if not plan.orchestrated:
        return map_outputs(plan.outputs, scope.results[plan.steps[0].name], scope)
    if plan.mappings:
        return shape(plan.outputs, apply_mappings(plan.mappings, scope))
    last = scope.results.get(plan.steps[-1].name)
    if any(o.mapping is not None for o in plan.outputs):
        return map_outputs(plan.outputs, last, scope)
    return shape(plan.outputs, last)
