"""What an exposed operation takes as input, and how raw values are checked against it (pure).

Real files often declare no inputs on the exposed side (the whole 2026-05-19 dialect): the
inputs are then derived from the ``with`` references (``rest.x`` / ``tools.x``) and typed by the
consumed parameter they feed. REST and MCP both use this one derivation, so an input means the
same thing over both protocols.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..capability.check import input_reference
from ..capability.model import ExposedOperation, Json, Param
from ..capability.templates import Template, compile_path, compile_template
from ..errors import InvocationError

TYPES = frozenset({"string", "integer", "number", "boolean", "array", "object"})


@dataclass(frozen=True, slots=True)
class Input:
    """One input: its name as the caller sends it, JSON type, whether required, and (REST) where."""

    name: str
    type: str
    required: bool
    description: str = ""
    location: str = "query"  # REST: path | query | header | body (the whole JSON body)


def rest_path_params(path: str) -> list[str]:
    """``/v1/orgs/{orgid}/x/{{id}}`` -> ``["orgid", "id"]``."""
    return [var.name for var in compile_path(path).variables]


def derive_inputs(operation: ExposedOperation) -> tuple[Input, ...]:
    """The operation's inputs: declared ones first, then those reached through ``with``."""
    found: dict[str, Input] = {}
    path_params = {p.lower(): p for p in rest_path_params(operation.path)} if operation.kind == "rest" else {}

    def add(item: Input) -> None:
        if item.name.lower() not in {k.lower() for k in found}:
            found[item.name] = item

    for param in operation.params:
        location = param.location or ("path" if param.name.lower() in path_params else "query")
        required = param.required or location == "path"  # MCP's default of true is applied in capability/build
        add(Input(param.name, _type(param.type), required, param.description, location))
    consumed = operation.call
    placeholders = {v.name.lower() for v in consumed.path.variables}
    for key, value in operation.with_.items():
        target = consumed.param(key)
        ref = input_reference(value, operation.exposes_namespace)
        if ref is not None:
            add(_from_consumed(ref, key, target, placeholders, path_params))
        elif isinstance(value, Template):
            for name in _template_inputs(value, operation):
                add(Input(name, "string", False, "", "query"))
    if operation.call.body is not None:
        for name in _body_inputs(operation.call.body.data, operation):
            add(Input(name, "string", False, "", "query"))
    if not operation.with_ and not operation.params:
        for param in consumed.params:  # no mapping at all: the consumed parameters pass through
            if param.value is None:
                add(_from_consumed(param.name, param.name, param, placeholders, path_params))
    for lowered, original in path_params.items():  # a REST path placeholder is always an input
        if lowered not in {k.lower() for k in found}:
            add(Input(original, "string", True, "", "path"))
    return tuple(_rest_location(i, path_params) for i in found.values())


def _from_consumed(
    name: str, key: str, target: Param | None, placeholders: set[str], path_params: Mapping[str, str]
) -> Input:
    in_path = key.lower() in placeholders or (target is not None and target.location == "path")
    location = "body" if target is not None and target.location == "body" else "path" if in_path else "query"
    kind = _type(target.type if target else None, "object" if location == "body" else "string")
    required = bool(target and target.required) or in_path
    return Input(name, kind, required, target.description if target else "", location)


def _rest_location(item: Input, path_params: Mapping[str, str]) -> Input:
    """On REST, a path placeholder's input comes from the path whatever the consumed side says."""
    if not path_params:
        return item
    original = path_params.get(item.name.lower())
    if original is not None:
        return Input(original, item.type if item.type != "object" else "string", True, item.description, "path")
    if item.location == "path":  # consumed path value not in the exposed path: a query input
        return Input(item.name, item.type, item.required, item.description, "query")
    return item


def _type(kind: str | None, default: str = "string") -> str:
    return kind if kind in TYPES else default


def _template_inputs(template: Template, operation: ExposedOperation) -> Iterator[str]:
    qualifiers = {"rest", "tools", operation.exposes_namespace}
    for var in template.variables:
        if var.qualifier in qualifiers:
            yield var.name


def _body_inputs(data: Any, operation: ExposedOperation) -> Iterator[str]:
    if isinstance(data, Mapping):
        for value in data.values():
            yield from _body_inputs(value, operation)
    elif isinstance(data, list):
        for value in data:
            yield from _body_inputs(value, operation)
    elif isinstance(data, str) and "{{" in data:
        yield from _template_inputs(compile_template(data), operation)


# -- checking ------------------------------------------------------------------------------
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})


def coerce(item: Input, value: Json, operation: str, *, from_text: bool) -> Json:
    """Check ``value`` against the input's type; text from a URL is converted first.

    Raises InvocationError naming the input and what was expected.
    """
    kind = item.type
    if kind == "string" and isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)  # agents send ids as numbers; the upstream receives the same text either way
    if from_text and isinstance(value, str):
        value = _from_text(kind, value, item, operation)
    if from_text and isinstance(value, list) and kind != "array":
        if len(value) != 1:
            raise InvocationError(operation, item.name, f"must be a single {kind}, not repeated")
        value = _from_text(kind, value[0], item, operation) if isinstance(value[0], str) else value[0]
    ok = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: (
            (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())
        ),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
    }[kind](value)
    if not ok:
        raise InvocationError(operation, item.name, f"must be {_article(kind)}, got {_json_type(value)}")
    if kind == "integer" and isinstance(value, float):
        value = int(value)
    return value


def _from_text(kind: str, text: str, item: Input, operation: str) -> Json:
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            number = float(text)
            if number != number or number in (float("inf"), float("-inf")):
                raise ValueError(text)
            return number
        if kind == "boolean":
            lowered = text.lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
            raise ValueError(text)
        if kind == "array":
            return [part for part in text.split(",") if part != ""]
        if kind == "object":
            return json.loads(text)
    except ValueError:
        raise InvocationError(operation, item.name, f"must be {_article(kind)}, got {text[:40]!r}") from None
    return text


def _article(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _json_type(value: Json) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}.get(
        type(value), type(value).__name__
    )


def check_inputs(
    inputs: tuple[Input, ...], raw: Mapping[str, Json], operation: str, *, from_text: bool
) -> dict[str, Json]:
    """Checked, typed values for every input given; raises InvocationError for a bad or missing one."""
    values: dict[str, Json] = {}
    for item in inputs:
        if item.name not in raw or raw[item.name] is None:
            if item.required:
                raise InvocationError(operation, item.name, "is required")
            continue
        values[item.name] = coerce(item, raw[item.name], operation, from_text=from_text)
    return values
