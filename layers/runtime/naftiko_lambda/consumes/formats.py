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
    """XML -> JSON the way the reference engine (Jackson's XmlMapper) reads it.

    The document element is dropped: ``<vessels><vessel>a</vessel><vessel>b</vessel></vessels>``
    gives ``{"vessel": ["a", "b"]}``. Below it, an element with only text is that text; otherwise
    it is an object whose keys are its attributes (plain names, no ``@``) and child elements, a
    name seen more than once always holding a list, and its own non-blank text under ``#text``.
    Namespace prefixes are dropped from names. A DOCTYPE or ENTITY declaration is refused.
    """
    from xml.etree import ElementTree

    try:
        # Entity expansion attacks need a DTD; with DTDs refused the standard parser is safe.
        if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
            raise ValueError("XML with a DOCTYPE or ENTITY declaration is refused")
        root = ElementTree.fromstring(body)  # noqa: S314 - DTDs refused above
    except ElementTree.ParseError as exc:
        raise ValueError(f"invalid XML: {exc}") from exc
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
