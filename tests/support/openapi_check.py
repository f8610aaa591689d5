"""An OpenAPI document as the judge of upstream requests, and example values from its schemas.

``RequestJudge(document, server_url)`` validates a request the loopback upstream received
against the document with openapi-core (method, path template, parameters present, typed and in
the right place, security, body shape): the check is the library's, not ours. ``sample`` makes a
value that fits a schema (first enum value, format-shaped strings, every non-readOnly property),
for the arguments of a call and for the upstream's answer.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from openapi_core import OpenAPI
from openapi_core.testing import MockRequest

from .upstream import Received

MAX_DEPTH = 4
"""How deep ``sample`` fills optional properties of nested objects (recursive schemas stop here)."""
FORMATS = {
    "date-time": "2026-01-02T03:04:05Z",
    "date": "2026-01-02",
    "time": "03:04:05Z",
    "uuid": "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b",
    "email": "someone@example.com",
    "uri": "https://example.com/a",
    "url": "https://example.com/a",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "byte": "aGVsbG8=",
}


class RequestJudge:
    def __init__(self, document: Mapping[str, Any], server_url: str) -> None:
        spec = copy.deepcopy(dict(document))
        spec["servers"] = [{"url": server_url}]
        _single_parameter_types(spec)
        self.root = spec
        self.openapi = OpenAPI.from_dict(spec)
        self.server_url = server_url

    def errors(self, received: Received) -> list[str]:
        """What openapi-core finds wrong with the request ([] when it fits the document)."""
        parts = urlsplit(self.server_url)
        query: dict[str, list[str]] = {}
        for key, value in received.query:
            query.setdefault(key, []).append(value)
        headers = {k: v for k, v in received.headers.items()}
        cookies = dict(c.strip().split("=", 1) for c in headers.get("Cookie", "").split(";") if "=" in c)
        request = MockRequest(
            f"{parts.scheme}://{parts.netloc}",
            received.method,
            received.path,
            args=query,
            headers=headers,
            cookies=cookies,
            data=received.body or None,
            content_type=headers.get("Content-Type", "application/json").split(";")[0],
        )
        result = self.openapi.unmarshal_request(request)
        return [_explain(e) for e in result.errors]


def _single_parameter_types(spec: dict[str, Any]) -> None:
    """``type: [string, "null"]`` -> ``type: string`` in parameter schemas (in place).

    openapi-core 0.23.1 reads a parameter schema's ``type`` as one string to pick its style
    deserializer and raises TypeError on an OpenAPI 3.1 type list; the null is moot for a
    parameter that is sent.
    """
    for item in (spec.get("paths") or {}).values():
        for owner in [item, *(v for v in item.values() if isinstance(v, dict))]:
            for param in owner.get("parameters") or ():
                schema = param.get("schema") if isinstance(param, dict) else None
                if isinstance(schema, dict) and isinstance(schema.get("type"), list):
                    schema["type"] = next((t for t in schema["type"] if t != "null"), "string")


def _explain(error: BaseException) -> str:
    causes = [repr(error)]
    cause = error.__cause__
    while cause is not None:
        causes.append(repr(cause))
        cause = cause.__cause__
    schema_errors = getattr(error, "schema_errors", None) or getattr(error.__cause__, "schema_errors", None) or ()
    return " <- ".join(causes) + "".join(f" [{e.message}]" for e in schema_errors)


def deref(root: Mapping[str, Any], node: Any) -> Any:
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        target: Any = root
        for token in node["$ref"].lstrip("#/").split("/"):
            target = target[token.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def satisfiable(root: Mapping[str, Any], node: Any) -> bool:
    """False for a schema no value fits: a ``type`` its ``allOf`` members contradict (Suger's
    ``type: object`` beside ``allOf: [string enum]``). Such an optional input is not sent."""
    schema = deref(root, node)
    if not isinstance(schema, Mapping) or not isinstance(schema.get("type"), str):
        return True
    for member in schema.get("allOf") or ():
        kind = merged(root, member).get("type")
        if isinstance(kind, str) and kind != schema["type"]:
            return False
    return True


def merged(root: Mapping[str, Any], node: Any) -> dict[str, Any]:
    schema = deref(root, node)
    if not isinstance(schema, Mapping):
        return {}
    out = {k: v for k, v in schema.items() if k != "allOf"}
    for member in schema.get("allOf") or ():
        part = merged(root, member)
        out["properties"] = {**out.get("properties", {}), **part.pop("properties", {})}
        out["required"] = [*out.get("required", []), *part.pop("required", [])]
        for key, value in part.items():
            out.setdefault(key, value)
    return out


def sample(root: Mapping[str, Any], node: Any, *, depth: int = 0, writing: bool = True) -> Any:
    """A value that fits the schema. ``writing``: for a request (no readOnly properties), else a response."""
    schema = merged(root, node)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return next((v for v in schema["enum"] if v not in (None, "")), schema["enum"][0])
    for key in ("oneOf", "anyOf"):
        if schema.get(key):
            return sample(root, schema[key][0], depth=depth, writing=writing)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    if kind == "object":
        return _object(root, schema, depth, writing)
    if kind == "array":
        count = max(1, int(schema.get("minItems", 1)))
        return [sample(root, schema.get("items", {}), depth=depth + 1, writing=writing) for _ in range(count)]
    if kind == "integer":
        return int(schema.get("minimum", 1) if "minimum" in schema else min(1, schema.get("maximum", 1)))
    if kind == "number":
        return float(schema.get("minimum", 1.5) if "minimum" in schema else min(1.5, schema.get("maximum", 1.5)))
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    text = FORMATS.get(str(schema.get("format")), "text")
    return text.ljust(int(schema.get("minLength", 0)), "x")


def _object(root: Mapping[str, Any], schema: Mapping[str, Any], depth: int, writing: bool) -> dict[str, Any]:
    required = set(schema.get("required") or ())
    out = {}
    for name, prop in (schema.get("properties") or {}).items():
        resolved = merged(root, prop)
        optional = name not in required
        if optional and (resolved.get("readOnly" if writing else "writeOnly") is True or not satisfiable(root, prop)):
            continue
        if name in required or depth < MAX_DEPTH:
            out[name] = sample(root, prop, depth=depth + 1, writing=writing)
    return out
