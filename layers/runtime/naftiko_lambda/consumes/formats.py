"""Upstream body bytes -> JSON values, one function per ``outputRawFormat`` (pure).

An upstream's answer is input we did not write. Each decoder returns JSON values only (dict
with string keys, list, str, finite int or float, bool, None), so whatever follows (mapping,
storing an idempotent answer, serialising a response) cannot fail on it, and it raises
ValueError for anything else; response.py turns that into UpstreamInvalidResponse (a 502):

- JSON and YAML are read by documents.py (no ``NaN``, no YAML anchors, aliases or non-JSON tags,
  timestamps as their text, nothing nested past documents.MAX_DEPTH);
- XML is parsed by defusedxml with DTDs, entities and external references forbidden (a byte
  check misses a UTF-16 ``<!DOCTYPE``);
- CSV: a field over the csv module's limit is an invalid answer;
- every format: a document nested deeper than documents.MAX_DEPTH is refused.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from ..documents import MAX_DEPTH, check_document, load_json, load_yaml

MAX_CSV_COLUMNS = 1024
"""Most columns a delimited answer may have."""
MAX_CSV_CELLS = 1_000_000
"""Most cells (rows x columns) a delimited answer may decode to: short rows are padded, so a
wide header over many short rows would otherwise make a few bytes into a great many values."""


def _delimited(delimiter: str) -> Callable[[bytes], Any]:
    def decode(body: bytes) -> Any:
        """One object per row, keyed by the header (a missing cell is None, as csv.DictReader)."""
        try:
            reader = csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=delimiter)
            header = next(reader, None)
            if header is None:
                return []
            if len(header) > MAX_CSV_COLUMNS:
                raise ValueError(f"more than {MAX_CSV_COLUMNS} columns")
            rows, cells = [], 0
            for row in reader:
                if not row:
                    continue  # a blank line
                if len(row) > len(header):
                    raise ValueError("a row has more cells than the header names")
                cells += len(header)
                if cells > MAX_CSV_CELLS:
                    raise ValueError(f"more than {MAX_CSV_CELLS} cells")
                rows.append(dict(zip(header, [*row, *[None] * (len(header) - len(row))], strict=True)))
            return rows
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


def decode(fmt: str, body: bytes) -> Any:
    """The body as JSON values; ValueError when it is not valid ``fmt`` or not a safe document."""
    try:
        return check_document(DECODERS[fmt](body))
    except RecursionError:  # a parser's own recursion on deep nesting: the same refusal
        raise ValueError(f"the document is nested deeper than {MAX_DEPTH} levels") from None


def decode_json(body: bytes) -> Any:
    return load_json(body) if body.strip() else None


def decode_yaml(body: bytes) -> Any:
    return load_yaml(body)


def decode_text(body: bytes) -> Any:
    return body.decode("utf-8", errors="replace")


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
