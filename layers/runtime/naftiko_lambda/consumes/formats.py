"""Upstream body bytes -> JSON values, one function per ``outputRawFormat`` (pure).

Each raises ValueError when the body is not in its format; response.py turns that into
UpstreamInvalidResponse.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any


def decode_json(body: bytes) -> Any:
    return json.loads(body) if body.strip() else None


def decode_text(body: bytes) -> Any:
    return body.decode("utf-8", errors="replace")


def decode_yaml(body: bytes) -> Any:
    import yaml

    try:
        return yaml.safe_load(body)
    except yaml.YAMLError as exc:
        raise ValueError(f"invalid YAML: {exc}") from exc


def _delimited(delimiter: str) -> Callable[[bytes], Any]:
    def decode(body: bytes) -> Any:
        return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig")), delimiter=delimiter))

    return decode


def decode_xml(body: bytes) -> Any:
    """XML -> ``{root_tag: {...}}``: attributes as ``@name``, text as ``#text``, repeats as lists."""
    from xml.etree import ElementTree

    try:
        # Entity expansion attacks need a DTD; with DTDs refused the standard parser is safe.
        if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
            raise ValueError("XML with a DOCTYPE or ENTITY declaration is refused")
        root = ElementTree.fromstring(body)  # noqa: S314 - DTDs refused above
    except ElementTree.ParseError as exc:
        raise ValueError(f"invalid XML: {exc}") from exc
    return {_tag(root.tag): _element(root)}


def _tag(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _element(node: Any) -> Any:
    children: dict[str, Any] = {f"@{_tag(k)}": v for k, v in node.attrib.items()}
    for child in node:
        key, value = _tag(child.tag), _element(child)
        if key in children:
            if not isinstance(children[key], list):
                children[key] = [children[key]]
            children[key].append(value)
        else:
            children[key] = value
    text = (node.text or "").strip()
    if not children:
        return text
    if text:
        children["#text"] = text
    return children


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
