"""The document's operations: which are imported, under which name, into what (pure).

``select`` walks ``paths`` in document order and names every operation once for the whole
document (``operationId`` in kebab-case, else method + path; unique), so a name does not
change with ``--include-tag`` or ``--split-by-tag``. ``convert`` turns one selected operation
into an Operation: its fields, body template, output and hints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...capability.templates import has_identifier_placeholders_only
from .document import METHODS, Document
from .fields import Field, Skip, parameters, request_body
from .names import kebab, operation_name, pointer, unique
from .outputs import response
from .schemas import Schemas, inert

SERVED_METHODS = ("get", "put", "post", "delete", "patch")
"""Methods the format's operations take (its schema has no HEAD, OPTIONS or TRACE)."""
HINTS = {
    "GET": {"readOnly": True, "destructive": False, "idempotent": True, "openWorld": True},
    "HEAD": {"readOnly": True, "destructive": False, "idempotent": True, "openWorld": True},
    "PUT": {"readOnly": False, "destructive": False, "idempotent": True, "openWorld": True},
    "DELETE": {"readOnly": False, "destructive": True, "idempotent": True, "openWorld": True},
    "POST": {"readOnly": False, "destructive": False, "idempotent": False, "openWorld": True},
    "PATCH": {"readOnly": False, "destructive": False, "idempotent": False, "openWorld": True},
}
"""MCP hints by HTTP method (RFC 9110 safe and idempotent methods; DELETE removes)."""


@dataclass(frozen=True, slots=True)
class Selected:
    """An operation of the document, located and named, not yet converted."""

    name: str
    method: str
    path: str
    where: str
    raw: Mapping[str, Any]
    path_item: Mapping[str, Any]
    path_where: str
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Operation:
    """One imported operation: what the consumed operation, the REST operation and the tool say."""

    name: str
    method: str
    path: str
    where: str
    label: str
    description: str
    fields: tuple[Field, ...]
    body: Mapping[str, Any] | None
    output_format: str
    output: Mapping[str, Any]
    rest: bool  # False when the path cannot be a REST route (a placeholder inside a segment)
    security: Any  # the requirement list that applies (the operation's own, else the document's)
    tags: tuple[str, ...] = ()

    @property
    def hints(self) -> Mapping[str, bool]:
        return HINTS[self.method]


def select(
    document: Document, schemas: Schemas, *, include_tags: tuple[str, ...], exclude_deprecated: bool
) -> list[Selected]:
    """Every operation to import, in document order, each with its document-wide unique name."""
    taken: set[str] = set()
    out = []
    paths = document.root.get("paths") or {}
    for path, node in paths.items():
        path_where = pointer("paths", path)
        item, item_where = schemas.deref(node, path_where)
        if not isinstance(item, Mapping):
            continue
        for method in (m for m in item if m in METHODS):
            raw = item[method]
            if not isinstance(raw, Mapping):
                continue
            where = f"{item_where}/{method}"
            operation_id = kebab(str(raw.get("operationId") or ""))
            name = unique(operation_id or operation_name(method, path), taken)
            tags = tuple(str(t) for t in raw.get("tags") or () if isinstance(t, str | int))
            if include_tags and not set(tags) & set(include_tags):
                continue
            if exclude_deprecated and raw.get("deprecated") is True:
                continue
            out.append(Selected(name, method, str(path), where, raw, item, item_where, tags))
    for key in ("webhooks", "x-webhooks"):
        if document.root.get(key):
            schemas.warn(pointer(key), "webhooks are calls the API makes, not operations to call: not imported")
    return out


def convert(schemas: Schemas, selected: Selected) -> Operation | None:
    """The Operation, or None (and a warning) when it cannot be imported."""
    raw, where = selected.raw, selected.where
    if selected.method not in SERVED_METHODS:
        schemas.warn(
            where,
            f"{selected.method.upper()} operations are not in the format (GET, PUT, POST, DELETE, PATCH): not imported",
        )
        return None
    for key in ("callbacks", "servers"):
        if raw.get(key):
            schemas.warn(f"{where}/{key}", f"operation {key} are not imported")
    if selected.path_item.get("servers"):
        schemas.warn(f"{selected.path_where}/servers", "path-level servers are not imported")
    if not has_identifier_placeholders_only(selected.path):
        schemas.warn(
            where,
            f"path {selected.path!r}: a placeholder must be one identifier in braces ({{id}}), and no other brace "
            "may appear: operation not imported",
        )
        return None
    try:
        fields = _fields(schemas, selected)
    except Skip as skip:
        schemas.warn(skip.where, skip.reason)
        return None
    fields_list, body = fields
    output_format, output = response(schemas, raw.get("responses"), where)
    summary = schemas.text(raw.get("summary"), f"{where}/summary")
    description = (
        schemas.text(raw.get("description"), f"{where}/description")
        or summary
        or f"{selected.method.upper()} {inert(selected.path)}"
    )
    if raw.get("deprecated") is True:
        description = "Deprecated. " + description
    rest = all(_whole_placeholder(segment) for segment in selected.path.split("/"))
    if not rest:
        schemas.warn(where, "a path placeholder inside a segment cannot be a REST route: imported as an MCP tool only")
    security = raw["security"] if "security" in raw else schemas.document.root.get("security")
    return Operation(
        selected.name,
        selected.method.upper(),
        selected.path,
        where,
        summary,
        description,
        fields_list,
        body,
        output_format,
        output,
        rest,
        security,
        selected.tags,
    )


def _fields(schemas: Schemas, selected: Selected) -> tuple[tuple[Field, ...], Mapping[str, Any] | None]:
    raw, where = selected.raw, selected.where
    listed: list[tuple[Any, str]] = []
    for owner, at in ((selected.path_item, selected.path_where), (raw, where)):
        params = owner.get("parameters")
        if isinstance(params, list):
            listed.extend((p, f"{at}/parameters/{i}") for i, p in enumerate(params))
    fields = parameters(schemas, listed, selected.path, where)
    body = None
    if "requestBody" in raw:
        built = request_body(schemas, raw["requestBody"], f"{where}/requestBody", {f.name.lower() for f in fields})
        fields.extend(built.fields)
        body = built.template
    return tuple(fields), body


def _whole_placeholder(segment: str) -> bool:
    if "{" not in segment and "}" not in segment:
        return True
    return segment.startswith("{") and segment.endswith("}") and segment.count("{") == 1
