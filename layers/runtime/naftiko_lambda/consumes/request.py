"""Arguments + consumed operation + base URI -> UpstreamRequest (pure).

Every path value is percent-encoded as exactly one segment, so no value can change the
upstream path, query or host: ``/``, ``?``, ``#``, ``%`` are encoded and a segment made only of
dots is encoded too (``..`` would otherwise climb a level at the upstream).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from ..errors import InvocationError
from ..spec.model import ConsumedOperation, Json, Param, RequestBody
from ..spec.templates import Template, compile_template
from .bind import MISSING, Scope, as_text, lookup

_HOST_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")
_BAD_HEADER = re.compile(r"[\r\n\x00]")


@dataclass(frozen=True, slots=True)
class UpstreamRequest:
    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    digest_auth: tuple[str, str] | None = field(default=None, repr=False)

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc


def encode_segment(value: Json) -> str:
    text = as_text(value)
    if text == "":
        raise ValueError("an empty value would remove a path segment")
    encoded = quote(text, safe="")
    return encoded.replace(".", "%2E") if set(text) == {"."} else encoded


def resolve_base_uri(template: Template, scope: Scope, override: str | None, operation: str) -> str:
    if override:
        return override.rstrip("/")
    parts = []
    for part in template.parts:
        if isinstance(part, str):
            parts.append(part)
            continue
        value = scope.resolve(part)
        text = "" if value is MISSING else as_text(value)
        if not _HOST_LABEL.match(text):
            raise InvocationError(operation, part.name, "must be a host name or path segment for the base URI")
        parts.append(text)
    base = "".join(parts).rstrip("/")
    if not base:
        raise InvocationError(operation, None, "the upstream base URI is empty: set UPSTREAM_BASE_URI_<NAMESPACE>")
    return base


def build_request(
    operation: ConsumedOperation, scope: Scope, base_uri: str, *, op_name: str | None = None
) -> UpstreamRequest:
    """Build the upstream request. Raises InvocationError naming a missing or unusable argument."""
    name = op_name or operation.ref
    arguments = scope.arguments
    path = _build_path(operation, scope, name)
    query: list[tuple[str, str]] = []
    headers: list[tuple[str, str]] = []
    body: bytes | None = None
    content_type: str | None = None
    placeholders = {v.name.lower() for v in operation.path.variables}

    for param in operation.params:
        if param.location == "path" or param.name.lower() in placeholders:
            continue
        value = _param_value(param, scope)
        if value is MISSING or value is None:
            if param.required:
                raise InvocationError(name, param.name, "is required")
            continue
        if param.location == "query":
            values = value if isinstance(value, list) else [value]
            query.extend((param.name, as_text(v)) for v in values)
        elif param.location == "header":
            text = as_text(value)
            if _BAD_HEADER.search(text):
                raise InvocationError(name, param.name, "header values may not contain CR, LF or NUL")
            if param.name.lower() != "authorization":  # the caller never sets upstream auth
                headers.append((param.name, text))
        elif param.location == "body":
            body, content_type = json.dumps(value).encode(), "application/json"
    # with-arguments that the operation does not declare travel as query parameters.
    for key, value in arguments.items():
        if operation.param(key) is None and key.lower() not in placeholders:
            values = value if isinstance(value, list) else [value]
            query.extend((key, as_text(v)) for v in values)

    if body is None and operation.body is not None:
        body, content_type = render_body(operation.body, scope, name)
    if content_type:
        headers.append(("Content-Type", content_type))
    url = base_uri + path
    if query:
        url += "?" + urlencode(query, quote_via=quote)
    return UpstreamRequest(operation.method, url, tuple(headers), body)


def _param_value(param: Param, scope: Scope) -> Json:
    value = lookup(scope.arguments, param.name)
    if value is MISSING and param.value is not None:
        value = scope.value(param.value)
    return value


def _build_path(operation: ConsumedOperation, scope: Scope, name: str) -> str:
    out = []
    for part in operation.path.parts:
        if isinstance(part, str):
            out.append(part)
            continue
        value = lookup(scope.arguments, part.name)
        param = operation.param(part.name)
        if value is MISSING and param is not None and param.value is not None:
            value = scope.value(param.value)
        if value is MISSING and part.qualifier is not None:
            value = scope.resolve(part)
        if value is MISSING or value is None:
            raise InvocationError(name, part.name, "is required (path parameter)")
        try:
            out.append(encode_segment(value))
        except ValueError as exc:
            raise InvocationError(name, part.name, str(exc)) from exc
    return "".join(out)


def render_body(body: RequestBody, scope: Scope, name: str) -> tuple[bytes, str]:
    """A ``body:`` template -> (bytes, content type)."""
    kind, data = body.kind, body.data
    if (kind in ("json", "raw") and not isinstance(data, str)) or (kind == "json" and data is None):
        return json.dumps(_render_tree(data, scope)).encode(), "application/json"
    if kind == "json" or (kind == "raw" and _looks_json(data)):
        text = scope.render(_compile(data), escape=_json_escape)
        if text is None:
            raise InvocationError(name, "body", "a value the JSON body template needs is missing")
        try:
            json.loads(text)
        except ValueError as exc:
            raise InvocationError(name, "body", "the JSON body template did not render to valid JSON") from exc
        return text.encode(), "application/json"
    if kind == "form":
        if isinstance(data, Mapping):
            pairs = [(k, as_text(v)) for k, v in _render_tree(data, scope).items() if v is not None]
            return urlencode(pairs).encode(), "application/x-www-form-urlencoded"
        text = scope.render(_compile(str(data)), escape=lambda s: quote(s, safe=""))
        return (text or "").encode(), "application/x-www-form-urlencoded"
    if kind == "multipart":
        from urllib3 import encode_multipart_formdata

        fields = {k: as_text(v) for k, v in _render_tree(dict(data or {}), scope).items() if v is not None}
        payload, content_type = encode_multipart_formdata(fields)
        return payload, content_type
    if kind == "yaml":
        import yaml

        return yaml.safe_dump(_render_tree(data, scope)).encode(), "application/yaml"
    types = {"xml": "application/xml", "sparql": "application/sparql-query"}
    if isinstance(data, Mapping):  # some files give text bodies as a mapping: send it as JSON
        return json.dumps(_render_tree(data, scope)).encode(), "application/json"
    text = scope.render(_compile(str(data or "")))
    return (text or "").encode(), types.get(kind, "text/plain")


def _looks_json(data: Any) -> bool:
    return isinstance(data, str) and data.lstrip()[:1] in ("{", "[")


@lru_cache(maxsize=256)
def _compile(text: str) -> Template:
    return compile_template(text)


def _json_escape(text: str) -> str:
    return json.dumps(text)[1:-1]


def _render_tree(node: Any, scope: Scope) -> Any:
    """Render every string in a JSON tree; a string that is exactly ``{{x}}`` keeps x's type.

    A key whose value is missing (an optional input left out) is dropped.
    """
    if isinstance(node, Mapping):
        out = {}
        for key, value in node.items():
            rendered = _render_tree(value, scope)
            if rendered is not MISSING:
                out[key] = rendered
        return out
    if isinstance(node, list):
        return [v for v in (_render_tree(item, scope) for item in node) if v is not MISSING]
    if isinstance(node, str) and "{{" in node:
        return scope.value(_compile(node))
    return node
