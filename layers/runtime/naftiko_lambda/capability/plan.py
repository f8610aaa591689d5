"""An exposed operation's ``call`` / ``steps`` / mock -> Plan, and what a ``with`` value means (pure).

One place for each rule of the format about running an operation:

- ``with_value``: a ``with`` (or lookup, or mapping) value is an input reference (``rest.x``,
  ``tools.x``, ``<namespace>.x``, ``$this.<namespace>.x``, or the bare name of a declared
  input), a step reference (``$.<step>.<path>``), a Mustache template, or a literal.
- ``build_plan``: ``call`` + ``with`` is one call step; ``steps`` are the plan (``call`` and
  ``lookup`` steps, then ``mappings``); no call and no steps, with ``outputParameters`` values,
  is a mock.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from types import MappingProxyType
from typing import Any

from .issues import FieldPath
from .jsonpath import JsonPath, JsonPathSyntaxError, compile_jsonpath
from .model import (
    CallStep,
    ConsumedOperation,
    Consumes,
    InputRef,
    LookupStep,
    OutputMapping,
    Plan,
    Step,
    StepRef,
    WithValue,
)
from .reader import Reader
from .templates import compile_template

INPUT_QUALIFIERS = ("rest", "tools")
"""Qualifiers that always name an operation's own inputs: ``{{rest.x}}``, ``{{tools.x}}``."""


def input_qualifiers(*namespaces: str) -> tuple[str, ...]:
    """What names an operation's inputs in templates and ``with``: ``rest``, ``tools`` and the
    namespaces it belongs to (its exposes block; an aggregate function's namespace)."""
    return (*INPUT_QUALIFIERS, *(n for n in namespaces if n))


def with_value(raw: Any, qualifiers: Collection[str], inputs: Collection[str], steps: Collection[str]) -> WithValue:
    """What one ``with`` value means.

    ``qualifiers`` name the operation's inputs (``rest``, ``tools``, its exposes or aggregate
    namespace); ``inputs`` are its declared input names; ``steps`` the names of earlier steps.
    Numbers, booleans and lists are literals.
    """
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    reference = text.removeprefix("$this.")
    prefix, dot, name = reference.partition(".")
    if dot and name and "." not in name and prefix in qualifiers:
        return InputRef(name)
    if text.startswith(("$.", "$[")):
        try:
            path = compile_jsonpath(text)
        except JsonPathSyntaxError:
            return raw
        if path.steps and path.steps[0] in steps:
            return StepRef(str(path.steps[0]), JsonPath(path.steps[1:]))
        return raw
    if "{{" in text:
        return compile_template(raw)
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]  # ``{id}``: a resource URI's placeholder, named as the URI writes it
    for declared in inputs:  # the bare name of an input: ``with: {location: location}``
        if declared.lower() == text.lower():
            return InputRef(declared)
    return raw


def resolve_call(
    reader: Reader, call: Any, path: FieldPath, consumes: Mapping[str, Consumes]
) -> ConsumedOperation | None:
    """``<namespace>.<operation>`` (or the older ``<namespace>.<resource>.<operation>``) -> the operation."""
    if not isinstance(call, str):
        reader.error(path, "a call must be a string: <consumes-namespace>.<operation>")
        return None
    parts = call.split(".")
    namespace, name = parts[0], parts[-1]
    adapter = consumes.get(namespace)
    operation = adapter.operations.get(name) if adapter and len(parts) > 1 else None
    if operation is None:
        reader.error(path, f"call target {call!r} does not exist among the consumed operations")
    return operation


def build_plan(
    reader: Reader,
    raw: Mapping[str, Any],
    path: FieldPath,
    consumes: Mapping[str, Consumes],
    qualifiers: Collection[str],
    inputs: Collection[str],
) -> Plan | None:
    """The plan of an exposed operation, aggregate function or MCP resource; None (and an error)
    when it has nothing to run."""
    if "steps" in raw:
        return _orchestration(reader, raw, path, consumes, qualifiers, inputs)
    if "call" in raw:
        operation = resolve_call(reader, raw["call"], (*path, "call"), consumes)
        if operation is None:
            return None
        step = CallStep(
            operation.name, operation, _with(reader, raw.get("with"), (*path, "with"), qualifiers, inputs, ())
        )
        return Plan((step,), outputs=reader.outputs(raw.get("outputParameters"), (*path, "outputParameters")))
    outputs = reader.outputs(raw.get("outputParameters"), (*path, "outputParameters"))
    if outputs and all(_has_values(o) for o in outputs):
        return Plan(outputs=outputs)  # a mock: the outputs' values are the result
    reader.error(path, "nothing to run: give a call, steps, a ref, or outputParameters with values (a mock)")
    return None


def _has_values(output: Any) -> bool:
    if output.value is not None:
        return True
    if output.properties:
        return all(_has_values(sub) for _, sub in output.properties)
    return output.items is not None and _has_values(output.items)


def _with(
    reader: Reader,
    raw: Any,
    path: FieldPath,
    qualifiers: Collection[str],
    inputs: Collection[str],
    steps: Collection[str],
) -> Mapping[str, WithValue]:
    out: dict[str, WithValue] = {}
    for key, value in reader.mapping(raw, path).items():
        if isinstance(value, Mapping):
            reader.error((*path, str(key)), "a with value must be a string, a number or a list")
            continue
        out[str(key)] = with_value(value, qualifiers, inputs, steps)
    return MappingProxyType(out)


def _orchestration(
    reader: Reader,
    raw: Mapping[str, Any],
    path: FieldPath,
    consumes: Mapping[str, Consumes],
    qualifiers: Collection[str],
    inputs: Collection[str],
) -> Plan | None:
    steps: list[Step] = []
    names: list[str] = []
    ok = True
    for step_path, step in reader.items(raw.get("steps"), (*path, "steps")):
        kind = step.get("type") or ("call" if "call" in step else "lookup" if "index" in step else None)
        name = str(step.get("name") or f"step{len(steps) + 1}")
        if name in names:
            reader.error((*step_path, "name"), f"step name {name!r} is used twice")
            ok = False
        if kind == "call":
            operation = resolve_call(reader, step.get("call"), (*step_path, "call"), consumes)
            if operation is None:
                ok = False
                continue
            with_ = _with(reader, step.get("with"), (*step_path, "with"), qualifiers, inputs, names)
            steps.append(CallStep(name, operation, with_))
        elif kind == "lookup":
            built = _lookup(reader, step, step_path, name, qualifiers, inputs, names)
            if built is None:
                ok = False
                continue
            steps.append(built)
        else:
            reader.error((*step_path, "type"), f"step type {kind!r} is not supported (call and lookup are)")
            ok = False
            continue
        names.append(name)
    if not steps:
        reader.error((*path, "steps"), "an orchestration needs at least one call or lookup step")
        return None
    mappings = []
    for map_path, mapping in reader.items(raw.get("mappings"), (*path, "mappings")):
        target = str(mapping.get("targetName") or mapping.get("target") or "")
        if not target:
            reader.error((*map_path, "targetName"), "a mapping needs a targetName")
            ok = False
            continue
        value = with_value(mapping.get("value"), qualifiers, inputs, names)
        if (
            isinstance(mapping.get("value"), str)
            and mapping["value"].startswith("$.")
            and not isinstance(value, StepRef)
        ):
            reader.error((*map_path, "value"), f"{mapping['value']!r} does not start with the name of a step")
            ok = False
            continue
        mappings.append(OutputMapping(tuple(target.split(".")), value))
    outputs = reader.outputs(raw.get("outputParameters"), (*path, "outputParameters"))
    return (
        Plan(tuple(steps), tuple(mappings), outputs, orchestrated=True, qualifiers=frozenset(qualifiers))
        if ok
        else None
    )


def _lookup(
    reader: Reader,
    raw: Mapping[str, Any],
    path: FieldPath,
    name: str,
    qualifiers: Collection[str],
    inputs: Collection[str],
    earlier: list[str],
) -> LookupStep | None:
    index, match = raw.get("index"), raw.get("match")
    if index not in earlier:
        reader.error((*path, "index"), f"lookup index {index!r} is not an earlier step")
        return None
    if not isinstance(match, str) or not match:
        reader.error((*path, "match"), "a lookup needs the name of the field to match")
        return None
    if "lookupValue" not in raw:
        reader.error((*path, "lookupValue"), "a lookup needs a lookupValue")
        return None
    fields = raw.get("outputParameters") or []
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        reader.error((*path, "outputParameters"), "a lookup's outputParameters are a list of field names")
        return None
    value = with_value(raw.get("lookupValue"), qualifiers, inputs, earlier)
    return LookupStep(name, str(index), match, value, tuple(fields))
