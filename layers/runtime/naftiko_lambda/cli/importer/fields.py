"""An OpenAPI operation's parameters and request body -> the fields a capability declares (pure).

A Field is one consumed parameter and, under the same name, the tool input that feeds it. A JSON
object body becomes one ``in: body`` field per property (the runtime sends them as the fields of
a JSON object); any other JSON body is one field named ``body`` (the whole body); a form body is
``in: body`` fields plus a ``formUrlEncoded`` template that sends them. What cannot be carried is
a warning; an operation that cannot be called correctly without it raises Skip.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...capability.templates import compile_path
from .names import PARAM_NAME
from .schemas import Schemas, as_mapping, describe, enum_of

LOCATIONS = ("path", "query", "header", "cookie")
IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})
"""Header parameters OpenAPI says are ignored (the runtime sets them itself)."""
WHOLE_BODY = "body"
FORM = "application/x-www-form-urlencoded"


class Skip(Exception):
    """The operation is left out; ``where`` and ``reason`` become its warning."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(reason)
        self.where = where
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Field:
    """A consumed parameter (``location`` path/query/header/cookie/body) and its tool input."""

    name: str
    location: str
    type: str
    required: bool
    description: str
    enum: tuple[str, ...] = ()  # string enums only; others are spelled out in the description
    items: str | None = None  # the item type of an array


@dataclass(frozen=True, slots=True)
class Body:
    """The request body's fields and, for a form, the template that sends them."""

    fields: tuple[Field, ...]
    template: Mapping[str, Any] | None = None


def parameters(schemas: Schemas, raw: list[tuple[Any, str]], path: str, where: str) -> list[Field]:
    """The operation's parameters (path-level ones first, an operation's own win by name and
    location), plus a required string for any path placeholder nothing declares."""
    chosen: dict[tuple[str, str], tuple[Mapping[str, Any], str]] = {}
    for node, at in raw:
        param, at = schemas.deref(node, at)
        if isinstance(param, Mapping) and isinstance(param.get("name"), str):
            chosen[(param["name"], str(param.get("in")))] = (param, at)
    fields: list[Field] = []
    taken: set[str] = set()
    for param, at in chosen.values():
        field = _parameter(schemas, param, at, path)
        if field is None:
            continue
        if field.name.lower() in taken:
            schemas.warn(at, f"parameter {field.name!r} differs only in case or location from another: not imported")
            continue
        taken.add(field.name.lower())
        fields.append(field)
    for name in _placeholders_of(path):
        if name.lower() not in taken:
            schemas.warn(where, f"path placeholder {{{name}}} has no parameter: imported as a required string")
            fields.append(Field(name, "path", "string", True, f"Path parameter {name}."))
            taken.add(name.lower())
    return fields


def _parameter(schemas: Schemas, param: Mapping[str, Any], at: str, path: str) -> Field | None:
    name, location = str(param["name"]), str(param.get("in"))
    required = location == "path" or param.get("required") is True
    if location not in LOCATIONS:
        return _unusable(at, f"parameters in {location!r} are not supported", required, schemas)
    if not PARAM_NAME.match(name) or (location == "path" and "." in name):
        return _unusable(at, f"parameter name {name!r} is not a capability identifier", required, schemas)
    if location == "header" and name.lower() in IGNORED_HEADERS:
        schemas.warn(at, f"header parameter {name!r} is set by the runtime (OpenAPI ignores it too): not imported")
        return None
    if location == "path" and name not in _placeholders_of(path):
        schemas.warn(at, f"path parameter {name!r} is not in the path {path}: not imported")
        return None
    schema_node, schema_at = param.get("schema"), f"{at}/schema"
    content = param.get("content")
    if schema_node is None and isinstance(content, Mapping) and content:
        media = next(iter(content))
        schema_node, schema_at = content[media].get("schema"), f"{at}/content/{media}/schema"
    schema = schemas.merged(schema_node or {}, schema_at)
    kind = schemas.type_of(schema, schema_at) or "string"
    if kind == "object" and location != "body":
        schemas.warn(at, f"object parameter {name!r} (style {param.get('style', 'form')}) is sent as JSON text")
    own = schemas.text(param.get("description"), f"{at}/description")
    return _field(schemas, name, location, kind, required, schema, schema_at, own)


def _unusable(at: str, reason: str, required: bool, schemas: Schemas) -> Field | None:
    """No field (and a warning) for an optional parameter; Skip for a required one."""
    if required:
        raise Skip(at, f"{reason}, and it is required: operation not imported")
    schemas.warn(at, f"{reason}: not imported")
    return None


def _field(
    schemas: Schemas,
    name: str,
    location: str,
    kind: str,
    required: bool,
    schema: Mapping[str, Any],
    where: str,
    own_description: str = "",
) -> Field:
    enum = enum_of(schema)
    text_enum = tuple(str(v) for v in enum) if kind == "string" and all(isinstance(v, str) for v in enum) else ()
    items = schemas.item_type(schema, where) if kind == "array" else None
    description = schemas.text(describe(schema, own_description), where) or f"{location.capitalize()} parameter {name}."
    return Field(name, location, kind, required, description, text_enum, items)


def _placeholders_of(path: str) -> list[str]:
    return [var.name for var in compile_path(path).variables]


def request_body(schemas: Schemas, node: Any, where: str, taken: set[str]) -> Body:
    """The fields of the request body; ``taken`` holds the parameters' lower-cased names."""
    body, where = schemas.deref(node, where)
    if not isinstance(body, Mapping):
        return Body(())
    required = body.get("required") is True
    content = as_mapping(body.get("content"))
    media = _pick_media(list(content))
    if media is None:
        reason = f"request body media types {sorted(content)} are not supported (JSON and forms are)"
        if required:
            raise Skip(f"{where}/content", f"{reason}, and the body is required: operation not imported")
        schemas.warn(f"{where}/content", f"{reason}: body not imported")
        return Body(())
    others = [m for m in content if m != media]
    if others:
        schemas.warn(f"{where}/content", f"media types {others} not imported: the capability sends {media}")
    at = f"{where}/content/{media.replace('/', '~1')}/schema"
    schema = schemas.merged(content[media].get("schema") or {}, at)
    fields = _properties(schemas, schema, at, required, taken)
    if media == FORM:
        if fields is None:
            raise Skip(at, "a form body without properties cannot be templated: operation not imported")
        return Body(fields, {"type": "formUrlEncoded", "data": {f.name: "{{" + f.name + "}}" for f in fields}})
    if fields is not None:
        return Body(fields)
    if WHOLE_BODY in taken:
        raise Skip(where, "a parameter named 'body' collides with the whole JSON body: operation not imported")
    kind = schemas.type_of(schema, at) or "object"
    own = schemas.text(body.get("description"), f"{where}/description") or "Request body (JSON)."
    return Body((_field(schemas, WHOLE_BODY, "body", kind, required, schema, at, own),))


def _properties(
    schemas: Schemas, schema: Mapping[str, Any], where: str, required: bool, taken: set[str]
) -> tuple[Field, ...] | None:
    """One ``in: body`` field per property of an object schema; None when the body must travel
    whole (not an object with properties, or a property whose name the format cannot carry or
    that collides with a parameter)."""
    properties = schema.get("properties")
    if schemas.type_of(schema, where) != "object" or not isinstance(properties, Mapping) or not properties:
        return None
    names = [str(n) for n in properties]
    if any(not PARAM_NAME.match(n) or n.lower() in taken or n.lower() == WHOLE_BODY for n in names):
        return None
    needed = set(schema.get("required") or ()) if required else set()
    fields = []
    for name, node in properties.items():
        at = f"{where}/properties/{name}"
        prop = schemas.merged(node, at)
        if prop.get("readOnly") is True:
            continue  # readOnly properties are answered, never sent (OpenAPI 3, Schema Object)
        kind = schemas.type_of(prop, at) or "string"
        fields.append(_field(schemas, str(name), "body", kind, name in needed, prop, at))
    return tuple(fields) or None


def _pick_media(types: list[str]) -> str | None:
    lowered = {t.lower().split(";")[0].strip(): t for t in types}
    for wanted in ("application/json", "*/*", "application/*"):
        if wanted in lowered:
            return lowered[wanted]
    for low, original in lowered.items():
        if low.endswith("+json") or low.endswith("/json"):
            return original
    return lowered.get(FORM)
