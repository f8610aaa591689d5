"""How raw values from a caller are checked against an operation's inputs (pure).

What an operation takes is derived once at load (capability/inputs.py); both adapters check the
caller's values here, so an input means the same thing over REST and MCP.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..errors import InvocationError
from ..runner.values import as_boolean

if TYPE_CHECKING:  # types only: kept off the cold path
    from ..capability.model import Input, Json


def check_value(item: Input, value: Json, operation: str, *, from_text: bool) -> Json:
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
            found = as_boolean(text)
            if found is None:
                raise ValueError(text)
            return found
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
        if item.static is not None:  # not the caller's to give: the runner fills it
            continue
        if item.name not in raw or raw[item.name] is None:
            if item.required:
                raise InvocationError(operation, item.name, "is required")
            continue
        values[item.name] = check_value(item, raw[item.name], operation, from_text=from_text)
    return values
