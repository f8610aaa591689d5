"""An OpenAPI operation's 2xx response -> ``outputRawFormat`` and output parameters (pure).

Typed only where the result is a JSON object, or an array of objects, with properties: one
level of them, each mapped by name (the runtime then publishes an outputSchema and coerces the
values to it). Anything else passes through untyped (``{type: object, mapping: $.}``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .schemas import Schemas

PASSTHROUGH: dict[str, Any] = {"type": "object", "mapping": "$."}
FORMATS = {
    "xml": "xml",
    "csv": "csv",
    "tab-separated-values": "tsv",
    "yaml": "yaml",
    "x-yaml": "yaml",
    "html": "html",
    "markdown": "markdown",
    # The format's outputRawFormat has no `text`; the runtime decodes markdown as text.
    "plain": "markdown",
}
OUTPUT_TYPES = {"integer": "number"}  # output parameters have no integer type: numbers hold them
_SIMPLE_NAME = re.compile(r"^[A-Za-z0-9_\-$@]+$")


def response(schemas: Schemas, responses: Any, where: str) -> tuple[str, dict[str, Any]]:
    """(``outputRawFormat``, the one output parameter) from the first 2xx response with a body."""
    if not isinstance(responses, Mapping):
        return "json", dict(PASSTHROUGH)
    for code in sorted(str(c) for c in responses if str(c).startswith("2")):
        at = f"{where}/responses/{code}"
        answer, at = schemas.deref(responses[code], at)
        content = answer.get("content") if isinstance(answer, Mapping) else None
        if not isinstance(content, Mapping) or not content:
            continue
        media = _json_media(list(content))
        if media is None:
            first = next(iter(content))
            return _raw_format(schemas, first, f"{at}/content"), dict(PASSTHROUGH)
        schema_at = f"{at}/content/{media.replace('/', '~1')}/schema"
        schema = schemas.merged((content[media] or {}).get("schema") or {}, schema_at)
        return "json", typed(schemas, schema, schema_at)
    return "json", dict(PASSTHROUGH)


def typed(schemas: Schemas, schema: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The output parameter for a JSON result schema: typed one level deep, or passthrough."""
    kind = schemas.type_of(schema, where)
    if kind == "object":
        properties = _properties(schemas, schema, where)
        return {"type": "object", "mapping": "$.", "properties": properties} if properties else dict(PASSTHROUGH)
    if kind == "array" and schema.get("items") is not None:
        items_at = f"{where}/items"
        items = schemas.merged(schema["items"], items_at)
        if schemas.type_of(items, items_at) == "object":
            properties = _properties(schemas, items, items_at)
            if properties:
                return {"type": "array", "mapping": "$.", "items": {"type": "object", "properties": properties}}
    return dict(PASSTHROUGH)


def _properties(schemas: Schemas, schema: Mapping[str, Any], where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return out
    for name, node in properties.items():
        at = f"{where}/properties/{name}"
        mapping = _mapping(str(name))
        if mapping is None:
            schemas.warn(at, f"property {name!r} cannot be named in a JSONPath: left out of the typed output")
            continue
        prop = schemas.merged(node, at)
        if prop.get("writeOnly") is True:
            continue  # writeOnly properties are sent, never answered (OpenAPI 3, Schema Object)
        kind = schemas.type_of(prop, at) or "object"  # untyped: the value passes through as it is
        out[str(name)] = {"type": OUTPUT_TYPES.get(kind, kind), "mapping": mapping}
    return out


def _mapping(name: str) -> str | None:
    if _SIMPLE_NAME.match(name):
        return f"$.{name}"
    if "'" not in name and '"' not in name and "]" not in name:
        return f"$['{name}']"
    return None


def _json_media(types: list[str]) -> str | None:
    for media in types:
        low = media.lower().split(";")[0].strip()
        if low in ("application/json", "*/*") or low.endswith(("+json", "/json")):
            return media
    return None


def _raw_format(schemas: Schemas, media: str, where: str) -> str:
    subtype = media.lower().split(";")[0].strip().rsplit("/", 1)[-1]
    for key, fmt in FORMATS.items():
        if subtype == key or subtype.endswith("+" + key):
            return fmt
    schemas.warn(where, f"{media} responses are returned as text")
    return "markdown"
