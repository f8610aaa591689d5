"""Documents we did not write, read as JSON values: the one reader of YAML and JSON text (pure).

Capability files, imported OpenAPI documents, binds location files and upstream answers all come
through here, with the same limits:

- YAML gets one pass over libyaml's events before anything is built: an anchor or an alias, or
  nesting deeper than MAX_DEPTH, is refused at its line (libyaml's composer recurses in C, so
  100,000 nested ``[`` end the process; a few hundred bytes of aliases expand to gigabytes when
  the value is walked). Then a safe loader whose constructors make JSON values only: timestamps
  stay the text they were, ``!!binary``, ``!!set`` and tags of a file's own are refused, keys are
  text, numbers are finite.
- JSON refuses ``NaN``, ``Infinity`` and numbers that overflow, and nesting past MAX_DEPTH.
- Both: every string must be text UTF-8 can carry (a lone surrogate ``\\ud800`` cannot be sent
  back), every integer at most MAX_INT_DIGITS digits (larger ones fail on their way out as text).

Failures are ``Refused`` (a ValueError) with the line when there is one.
"""

from __future__ import annotations

import json
import math
from functools import cache
from typing import Any

MAX_DEPTH = 128
"""Deepest nesting accepted in any document we read (levels)."""
MAX_INT_DIGITS = 300
"""Longest integer accepted (decimal digits): far past any real value, far below Python's 4300."""


class Refused(ValueError):
    """The text is not a document we accept; ``line`` (1-based) when it is known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def load_yaml(data: bytes | str) -> Any:
    """The YAML document as JSON values. Raises Refused (with the line)."""
    yaml, loader = _yaml()
    try:
        check_events(data)
        return check_document(yaml.load(data, Loader=loader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise Refused(f"invalid YAML: {getattr(exc, 'problem', None) or exc}", line) from exc
    except Refused:
        raise
    except (ValueError, RecursionError, OverflowError) as exc:  # a constructor's own limits
        raise Refused(f"invalid YAML: {type(exc).__name__}") from None


def check_events(data: bytes | str) -> None:
    """Refuse anchors, aliases and deep nesting, reading events only (nothing is built).

    Raises Refused, or yaml.YAMLError for text that is not YAML."""
    yaml, loader = _yaml()
    depth = 0
    for event in yaml.parse(data, Loader=loader):
        line = event.start_mark.line + 1 if event.start_mark is not None else None
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise Refused("YAML anchors and aliases are not accepted", line)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise Refused(f"nested deeper than {MAX_DEPTH} levels", line)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def compose_yaml(text: str) -> Any:
    """The YAML node tree (for locating a field's line), or None when the text is refused."""
    yaml, loader = _yaml()
    try:
        check_events(text)
        return yaml.compose(text, Loader=loader)
    except (Refused, yaml.YAMLError):
        return None


def load_json(data: bytes | str) -> Any:
    """The JSON document. Raises Refused."""
    try:
        return check_document(json.loads(data, parse_constant=_not_a_number, parse_float=_finite))
    except RecursionError:  # the C decoder's own recursion, on deep nesting
        raise Refused(f"nested deeper than {MAX_DEPTH} levels") from None
    except Refused:
        raise
    except ValueError as exc:
        raise Refused(f"invalid JSON: {exc}") from exc


def check_document(document: Any) -> Any:
    """``document``, or Refused when it is nested deeper than MAX_DEPTH, holds text UTF-8 cannot
    carry or an integer past MAX_INT_DIGITS (walked level by level, without recursion)."""
    level, depth = [document], 0
    while level:
        depth += 1
        if depth > MAX_DEPTH + 1:
            raise Refused(f"nested deeper than {MAX_DEPTH} levels")
        below: list[Any] = []
        for node in level:
            if isinstance(node, dict):
                for key in node:
                    _check_scalar(key)
                below.extend(node.values())
            elif isinstance(node, list):
                below.extend(node)
            else:
                _check_scalar(node)
        level = below
    return document


def _check_scalar(value: Any) -> None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise Refused("text holds a lone surrogate (not UTF-8)") from None
    elif isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_DIGITS * 3.33:
        raise Refused(f"an integer has more than {MAX_INT_DIGITS} digits")


def _not_a_number(text: str) -> Any:
    raise Refused(f"{text} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise Refused(f"{text[:40]} overflows a JSON number")
    return number


@cache
def _yaml() -> tuple[Any, type]:
    """PyYAML and its fastest safe loader, taught to build JSON values only (imported on first use)."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class JsonLoader(base):  # type: ignore[valid-type,misc]
        pass

    def refused(node: Any, message: str) -> Exception:
        return yaml.constructor.ConstructorError(None, None, message, node.start_mark)

    def text(loader: Any, node: Any) -> str:
        return str(loader.construct_scalar(node))

    def integer(loader: Any, node: Any) -> int:
        if len(str(node.value)) > MAX_INT_DIGITS:  # before int() works on it (hex, binary, 1_000 ...)
            raise refused(node, f"an integer has more than {MAX_INT_DIGITS} digits")
        return int(loader.construct_yaml_int(node))

    def refuse(loader: Any, node: Any) -> Any:
        raise refused(node, f"{node.tag} is not a JSON value")

    def number(loader: Any, node: Any) -> float:
        value = float(loader.construct_yaml_float(node))
        if not math.isfinite(value):
            raise refused(node, f"{node.value} is not a JSON number")
        return value

    def mapping(loader: Any, node: Any) -> dict[str, Any]:
        loader.flatten_mapping(node)
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if isinstance(key, dict | list):
                raise refused(key_node, "a key must be text")
            out[_key(key)] = loader.construct_object(value_node, deep=True)
        return out

    JsonLoader.add_constructor("tag:yaml.org,2002:timestamp", text)
    JsonLoader.add_constructor("tag:yaml.org,2002:float", number)
    JsonLoader.add_constructor("tag:yaml.org,2002:int", integer)
    JsonLoader.add_constructor("tag:yaml.org,2002:map", mapping)
    for tag in ("binary", "set", "omap", "pairs"):
        JsonLoader.add_constructor(f"tag:yaml.org,2002:{tag}", refuse)
    JsonLoader.add_constructor(None, refuse)  # any tag of a file's own (!custom)
    return yaml, JsonLoader


def _key(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)
