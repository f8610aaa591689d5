"""JSON Schema reading for the importer: follow ``$ref``, merge ``allOf``, name a type (pure).

The conversion only ever looks one level into a schema (a body's properties, a response's
properties), so a recursive schema cannot make it loop; what can is a chain of ``$ref``s or of
``allOf``s that comes back to itself. ``MAX_DEPTH`` bounds both: a ``$ref`` chain longer than
that is an error (it never reaches a schema), an ``allOf`` nested deeper is cut with a warning
(the members below the cut are not merged).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .document import Document
from .issues import ImportIssue, OpenApiError

MAX_DEPTH = 8
"""How many nested ``$ref`` hops, or ``allOf`` levels, one schema is followed through."""
MAX_STEPS = 200_000
"""Most schemas one conversion merges or types: a few KB of ``allOf``/``oneOf`` fanning out to
the same references would otherwise take hours (each merged reference is kept, so real documents
stay far below this)."""
JSON_TYPES = ("object", "array", "string", "integer", "number", "boolean")


class Schemas:
    """Reads schemas of one document; records what it cannot carry in ``issues``."""

    def __init__(self, document: Document, issues: list[ImportIssue]) -> None:
        self.document = document
        self.issues = issues
        self._merged: dict[tuple[str, int], dict[str, Any]] = {}  # a plain $ref at a depth -> its merge
        self._steps = 0

    def _step(self, where: str) -> None:
        self._steps += 1
        if self._steps > MAX_STEPS:
            raise OpenApiError(self.document.name, where, f"the schemas take more than {MAX_STEPS} steps to read")

    def warn(self, where: str, message: str) -> None:
        issue = ImportIssue(where, message)
        if issue not in self.issues:
            self.issues.append(issue)

    def text(self, value: Any, where: str) -> str:
        """Free text of the document (a summary, a description) as the capability may carry it:
        ``{{``/``}}`` become ``{ {``/``} }`` (warned), so no text of the document is ever a template."""
        found = str(value or "").strip()
        if "{{" not in found and "}}" not in found:
            return found
        self.warn(where, "'{{' or '}}' in text is not a template here: written as '{ {' / '} }'")
        return inert(found)

    def deref(self, node: Any, where: str) -> tuple[Any, str]:
        """Follow ``$ref`` (a chain of them) to the node it names, and that node's location.

        Keys beside a ``$ref`` (OpenAPI 3.1 allows a ``description`` there) override the target's.
        """
        seen: list[str] = []
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen or len(seen) >= MAX_DEPTH:
                raise OpenApiError(self.document.name, where, f"$ref {ref!r} never reaches a schema (a cycle of $refs)")
            seen.append(ref)
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            target = self.document.lookup(ref)
            where = self.label(ref)
            node = {**target, **siblings} if siblings and isinstance(target, Mapping) else target
        return node, where

    def label(self, ref: str) -> str:
        """How a warning names a canonical ref: ``/components/...`` in SOURCE, ``file#/...`` elsewhere."""
        return ref[1:] if ref.startswith("#") else ref

    def merged(self, node: Any, where: str, depth: int = 0) -> dict[str, Any]:
        """The schema at ``node`` with its ``$ref`` followed and its ``allOf`` members merged in.

        Properties and ``required`` are the union (a later member's property wins); other keys
        keep the first value found, the schema's own first.
        """
        self._step(where)
        plain = isinstance(node, Mapping) and len(node) == 1 and isinstance(node.get("$ref"), str)
        key = (str(node["$ref"]), depth) if plain else None
        if key is not None and key in self._merged:
            return dict(self._merged[key])
        found = self._merge(node, where, depth)
        if key is not None:
            self._merged[key] = found
        return dict(found)

    def _merge(self, node: Any, where: str, depth: int) -> dict[str, Any]:
        schema, where = self.deref(node, where)
        if not isinstance(schema, Mapping):
            return {}
        members = schema.get("allOf")
        if not isinstance(members, list) or not members:
            return dict(schema)
        if depth >= MAX_DEPTH:
            self.warn(f"{where}/allOf", f"allOf nested deeper than {MAX_DEPTH} levels (a cycle): not merged below")
            return {k: v for k, v in schema.items() if k != "allOf"}
        out: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        for i, member in enumerate(members):
            part = self.merged(member, f"{where}/allOf/{i}", depth + 1)
            for key, value in part.items():
                if key == "properties" and isinstance(value, Mapping):
                    out["properties"] = {**out.get("properties", {}), **value}
                elif key == "required" and isinstance(value, list):
                    out["required"] = [
                        *out.get("required", []),
                        *(r for r in value if r not in out.get("required", [])),
                    ]
                elif key == "type" and _bare_object(schema) and value not in ("object", None) and "type" in out:
                    # ``type: object`` beside an allOf of one non-object schema is a generator's
                    # artifact (no value satisfies both): the member says what the value is.
                    self.warn(
                        f"{where}/type", f"type object contradicts its allOf member's type {value}: typed as {value}"
                    )
                    out["type"] = value
                else:
                    out.setdefault(key, value)
        return out

    def type_of(self, schema: Mapping[str, Any], where: str, depth: int = 0) -> str | None:
        """The JSON type a (merged) schema describes; None when nothing says.

        3.1 type lists drop ``"null"``; several other types take the first (warned). With no
        ``type``: ``properties`` means object, ``items`` array, ``enum`` its values' type, and a
        ``oneOf``/``anyOf`` whose alternatives agree their type.
        """
        self._step(where)
        kind = schema.get("type")
        if isinstance(kind, list):
            named = [str(k) for k in kind if k != "null" and k in JSON_TYPES]
            if len(named) > 1:
                self.warn(f"{where}/type", f"types {named} are not one type: typed as {named[0]}")
            kind = named[0] if named else None
        if isinstance(kind, str) and kind in JSON_TYPES:
            return kind
        if "properties" in schema or "additionalProperties" in schema:
            return "object"
        if "items" in schema:
            return "array"
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            return _value_type(enum[0])
        for key in ("oneOf", "anyOf"):
            alternatives = schema.get(key)
            if isinstance(alternatives, list) and alternatives and depth < MAX_DEPTH:
                return self._common_type(alternatives, f"{where}/{key}", depth)
        return None

    def _common_type(self, alternatives: list[Any], where: str, depth: int) -> str | None:
        """The type alternatives agree on; else the first one's (warned)."""
        found: list[str] = []
        for i, alt in enumerate(alternatives):
            sub = self.type_of(self.merged(alt, f"{where}/{i}"), f"{where}/{i}", depth + 1)
            if sub is not None:
                found.append(sub)
        if found and any(k != found[0] for k in found):
            self.warn(where, f"alternatives of types {sorted(set(found))}: typed as {found[0]}")
        return found[0] if found else None

    def item_type(self, schema: Mapping[str, Any], where: str) -> str | None:
        """The type of an array schema's items, when it says."""
        items = schema.get("items")
        if items is None:
            return None
        item_where = f"{where}/items"
        return self.type_of(self.merged(items, item_where), item_where)


def _bare_object(schema: Mapping[str, Any]) -> bool:
    """A schema that says ``type: object`` and nothing about any property."""
    return schema.get("type") == "object" and not schema.get("properties") and "additionalProperties" not in schema


def inert(text: str) -> str:
    """``text`` with no ``{{`` or ``}}`` left: nothing a template engine would read as a variable."""
    while "{{" in text or "}}" in text:
        text = text.replace("{{", "{ {").replace("}}", "} }")
    return text


def as_mapping(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a mapping, else an empty one (documents hold anything anywhere)."""
    return value if isinstance(value, Mapping) else {}


def enum_of(schema: Mapping[str, Any]) -> tuple[Any, ...]:
    """The schema's ``enum`` (or 3.1 ``const``) values, without ``null``."""
    if "const" in schema:
        return () if schema["const"] is None else (schema["const"],)
    values = schema.get("enum")
    return tuple(v for v in values if v is not None) if isinstance(values, list) else ()


def describe(schema: Mapping[str, Any], own: str = "") -> str:
    """A description: ``own`` (a parameter's) or the schema's, with its format and non-text enum."""
    text = (own or str(schema.get("description") or schema.get("title") or "")).strip()
    notes = []
    if isinstance(schema.get("format"), str):
        notes.append(f"format: {schema['format']}")
    enum = enum_of(schema)
    if enum and not all(isinstance(v, str) for v in enum):
        notes.append("one of: " + ", ".join(str(v) for v in enum))
    if notes:
        text = f"{text} ({'; '.join(notes)})" if text else f"({'; '.join(notes)})"
    return text


def _value_type(value: Any) -> str | None:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return None
