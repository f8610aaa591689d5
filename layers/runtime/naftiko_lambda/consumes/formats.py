"""Upstream body bytes -> JSON values, one function per ``outputRawFormat`` (pure).

An upstream's answer is input we did not write. Each decoder returns JSON values only (dict
with string keys, list, str, finite int or float, bool, None), so whatever follows (mapping,
storing an idempotent answer, serialising a response) cannot fail on it, and it raises
ValueError for anything else; response.py turns that into UpstreamInvalidResponse (a 502):

- JSON: ``NaN``, ``Infinity`` and numbers that overflow to infinity are refused;
- YAML: anchors and aliases are refused (a few hundred bytes of them expand to gigabytes when the
  value is walked), timestamps are their ISO text, ``!!binary``, ``!!set`` and other non-JSON
  tags are refused, keys are text;
- XML: parsed by defusedxml with DTDs, entities and external references forbidden (a byte
  check misses a UTF-16 ``<!DOCTYPE``);
- CSV: a field over the csv module's limit is an invalid answer;
- every format: a document nested deeper than MAX_DEPTH is refused.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable
from functools import cache
from typing import Any

MAX_DEPTH = 128
"""Deepest nesting accepted in an upstream document (levels): deeper is an invalid answer."""


def decode_json(body: bytes) -> Any:
    if not body.strip():
        return None
    return json.loads(body, parse_constant=_not_a_number, parse_float=_finite)


def _not_a_number(text: str) -> Any:
    raise ValueError(f"{text} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text[:40]} overflows a JSON number")
    return number


def decode_text(body: bytes) -> Any:
    return body.decode("utf-8", errors="replace")


def decode_yaml(body: bytes) -> Any:
    yaml, loader = _yaml_loader()
    try:
        for event in yaml.parse(body, Loader=loader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
                raise ValueError("YAML anchors and aliases are refused in an upstream answer")
        return yaml.load(body, Loader=loader)
    except yaml.YAMLError as exc:
        raise ValueError(f"invalid YAML: {exc}") from exc


@cache
def _yaml_loader() -> tuple[Any, type]:
    """PyYAML and a safe loader that builds JSON values only (imported on the first YAML answer)."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class JsonLoader(base):  # type: ignore[valid-type,misc]
        pass

    def text(loader: Any, node: Any) -> str:
        return str(loader.construct_scalar(node))

    def refuse(loader: Any, node: Any) -> Any:
        raise yaml.constructor.ConstructorError(None, None, f"{node.tag} is not a JSON value", node.start_mark)

    def number(loader: Any, node: Any) -> float:
        value = loader.construct_yaml_float(node)
        if not math.isfinite(value):
            raise yaml.constructor.ConstructorError(None, None, f"{node.value} is not a JSON number", node.start_mark)
        return float(value)

    def mapping(loader: Any, node: Any) -> dict[str, Any]:
        loader.flatten_mapping(node)
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if isinstance(key, dict | list):
                raise yaml.constructor.ConstructorError(None, None, "a key must be text", key_node.start_mark)
            out[_key(key)] = loader.construct_object(value_node, deep=True)
        return out

    JsonLoader.add_constructor("tag:yaml.org,2002:timestamp", text)
    JsonLoader.add_constructor("tag:yaml.org,2002:float", number)
    JsonLoader.add_constructor("tag:yaml.org,2002:map", mapping)
    for tag in ("binary", "set", "omap", "pairs"):
        JsonLoader.add_constructor(f"tag:yaml.org,2002:{tag}", refuse)
    JsonLoader.add_constructor(None, refuse)  # any tag of its own (!custom)
    return yaml, JsonLoader


def _key(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


def _delimited(delimiter: str) -> Callable[[bytes], Any]:
    def decode(body: bytes) -> Any:
        try:
            return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig")), delimiter=delimiter))
        except csv.Error as exc:  # a field over the csv module's limit (128 KiB), a stray NUL
            raise ValueError(f"invalid delimited text: {exc}") from exc

    return decode


def decode_xml(body: bytes) -> Any:
    """XML -> JSON the way the reference engine (Jackson's XmlMapper) reads it.

    The document element is dropped: ``<vessels><vessel>a</vessel><vessel>b</vessel></vessels>``
    gives ``{"vessel": ["a", "b"]}``. Below it, an element with only text is that text; otherwise
    it is an object whose keys are its attributes (plain names, no ``@``) and child elements, a
    name seen more than once always holding a list, and its own non-blank text under ``#text``.
    Namespace prefixes are dropped from names. DTDs, entities and external references are refused.
    """
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException) as exc:
        raise ValueError(f"invalid or refused XML: {exc}") from exc
    return _element(root)


def _tag(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _element(node: Any) -> Any:
    children: dict[str, Any] = {}
    for key, value in [*((_tag(k), v) for k, v in node.attrib.items()), *((_tag(c.tag), _element(c)) for c in node)]:
        if key not in children:
            children[key] = value
        elif isinstance(children[key], list):  # _element never returns a list: this one is ours
            children[key].append(value)
        else:
            children[key] = [children[key], value]
    text = (node.text or "").strip()
    if not children:
        return text
    if text:
        children["#text"] = text
    return children


def check_depth(document: Any) -> Any:
    """``document``, or ValueError when it is nested deeper than MAX_DEPTH (walked without recursion)."""
    level, depth = [document], 0
    while level:
        depth += 1
        if depth > MAX_DEPTH + 1:
            raise ValueError(f"the document is nested deeper than {MAX_DEPTH} levels")
        level = [
            child
            for node in level
            if isinstance(node, dict | list)
            for child in (node.values() if isinstance(node, dict) else node)
        ]
    return document


def decode(fmt: str, body: bytes) -> Any:
    """The body as JSON values; ValueError when it is not valid ``fmt`` or not a safe document."""
    try:
        return check_depth(DECODERS[fmt](body))
    except RecursionError:  # a parser's own recursion on deep nesting: the same refusal
        raise ValueError(f"the document is nested deeper than {MAX_DEPTH} levels") from None


DECODERS: dict[str, Callable[[bytes], Any]] = {
    "json": decode_json,
    "xml": decode_xml,
    "yaml": decode_yaml,
    "csv": _delimited(","),
    "tsv": _delimited("\t"),
    "psv": _delimited("|"),
    "text": decode_text,
    "html": decode_text,
    "markdown": decode_text,
}
