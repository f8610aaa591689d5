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

from ..addresses import is_loopback
from ..capability.model import ConsumedOperation, Json, Param, RequestBody
from ..capability.templates import Template, compile_template
from ..errors import CredentialError, InvocationError
from .signing import Signer
from .values import MISSING, Credentials, Values, as_text, lookup

_HOST_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")
_BAD_HEADER = re.compile(r"[\r\n\x00]")
_UNCLEAR_URL = re.compile(r"[\\\s\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class UpstreamRequest:
    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    digest_auth: tuple[str, str] | None = field(default=None, repr=False)
    signer: Signer | None = field(default=None, repr=False, compare=False)  # signs each attempt (signing/)
    max_bytes: int | None = None  # a binary answer's maxBinarySize; None: transport.MAX_BODY_BYTES

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc


def encode_segment(value: Json) -> str:
    text = as_text(value)
    if text == "":
        raise ValueError("an empty value would remove a path segment")
    encoded = quote(text, safe="")
    return encoded.replace(".", "%2E") if set(text) == {"."} else encoded


CONTAINER_HOST = "host.docker.internal"
"""The machine a `sam local` container runs on: reachable over plain http:// like loopback."""


def check_upstream_url(url: str) -> str:
    """``url`` if it is absolute https://, or http:// to a loopback host; raises ValueError otherwise.

    A backslash, white space, a control character or user info (``x@``) is refused outright: the
    parsers disagree on where such a host ends (``http://evil\\@127.0.0.1`` is loopback to
    urllib.parse and ``evil`` to urllib3, which would send our credentials there).
    """
    if _UNCLEAR_URL.search(url) or "@" in urlsplit(url).netloc:
        raise ValueError("must be a plain URL: no backslash, white space, control character or user info")
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and host:
        return url
    if parts.scheme == "http" and (is_loopback(host) or host == CONTAINER_HOST):
        return url
    raise ValueError("must be an absolute https:// URL (http:// only for a loopback host)")


def resolve_base_uri(template: Template, credentials: Credentials, override: str | None, operation: str) -> str:
    """The upstream base URI: the override, or the spec's ``baseUri`` with its variables filled.

    Variables are read from bind variables and the environment only, never from a caller's
    input: the base URI decides which host receives our credentials. A variable that opens the
    base URI (``{{ACCOUNT_URL}}/api``) may hold a whole URL (https://, or http:// to loopback);
    any other must be a host label or path segment.
    """
    if override:
        return override.rstrip("/")
    parts = []
    for index, part in enumerate(template.parts):
        if isinstance(part, str):
            parts.append(part)
            continue
        text = as_text(credentials.get(part.name))  # CredentialError names it when unset
        if index == 0 and "://" in text:
            try:
                parts.append(check_upstream_url(text.rstrip("/")))
            except ValueError as exc:
                raise CredentialError(part.name, f"as the upstream base URI it {exc}") from None
            continue
        if not _HOST_LABEL.match(text):
            raise CredentialError(part.name, "must be a host name or path segment for the upstream base URI")
        parts.append(text)
    base = "".join(parts).rstrip("/")
    if not base:
        raise InvocationError(operation, None, "the upstream base URI is empty: set UPSTREAM_BASE_URI_<NAMESPACE>")
    if "://" not in base:
        raise CredentialError(
            str(template.variables[0]) if template.variables else "baseUri",
            f"the upstream base URI {base!r} is not an absolute URL",
        )
    return base


WHOLE_BODY = "body"
"""A consumed ``in: body`` parameter with this name is the whole JSON body; any other is a field of it."""


def build_request(
    operation: ConsumedOperation, values: Values, base_uri: str, *, op_name: str | None = None
) -> UpstreamRequest:
    """Build the upstream request. Raises InvocationError naming a missing or unusable argument.

    Each argument goes where the consumed operation declares it (path, query, header, cookie,
    body) or where a template uses it; an argument declared nowhere is not sent. A declared
    parameter with no value is left out: required inputs are enforced on the exposed side.
    """
    name = op_name or operation.ref
    path = _build_path(operation, values, name)
    query: list[tuple[str, str]] = []
    headers: list[tuple[str, str]] = []
    cookies: list[str] = []
    fields: dict[str, Json] = {}
    whole: Json = MISSING
    placeholders = {v.name.lower() for v in operation.path.variables}

    for param in operation.params:
        if param.location == "path" or param.name.lower() in placeholders:
            continue
        value = _param_value(param, values)
        if value is MISSING or value is None:
            continue
        if param.location == "query":
            items = value if isinstance(value, list) else [value]
            query.extend((param.name, as_text(v)) for v in items)
        elif param.location == "header":
            if param.name.lower() != "authorization":  # upstream auth comes from the consumes block only
                headers.append((param.name, header_value(value, name, param.name)))
        elif param.location == "cookie":
            cookies.append(f"{param.name}={quote(as_text(value), safe='')}")
        elif param.location == "body":
            if param.name.lower() == WHOLE_BODY:
                whole = value
            else:
                fields[param.name] = _plain(value)

    body: bytes | None = None
    content_type: str | None = None
    if operation.body is not None:
        body, content_type = render_body(operation.body, values, name)
    elif whole is not MISSING or fields:
        payload = _plain(whole) if whole is not MISSING else {}
        if fields:
            if not isinstance(payload, dict):
                raise InvocationError(name, WHOLE_BODY, "must be an object when body fields are also given")
            payload = {**payload, **fields}
        body, content_type = json.dumps(payload).encode(), "application/json"
    if content_type and not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", content_type))
    if cookies:
        headers.append(("Cookie", "; ".join(cookies)))
    url = base_uri + path
    if query:
        url += "?" + urlencode(query, quote_via=quote)
    return UpstreamRequest(operation.method, url, tuple(headers), body)


def header_value(value: Json, operation: str, param: str) -> str:
    """A value as header text; InvocationError when it cannot travel in a header."""
    text = as_text(value)
    if _BAD_HEADER.search(text):
        raise InvocationError(operation, param, "header values may not contain CR, LF or NUL")
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        raise InvocationError(operation, param, "header values must be Latin-1 text (no characters like €)") from None
    return text


def _plain(value: Json) -> Json:
    """A value as it goes into a JSON body: a bound secret as its text."""
    return value.reveal() if hasattr(value, "reveal") else value


def _param_value(param: Param, values: Values) -> Json:
    value = lookup(values.arguments, param.name)
    if value is MISSING and param.value is not None:
        value = values.value(param.value)
    return value


def _build_path(operation: ConsumedOperation, values: Values, name: str) -> str:
    out = []
    for part in operation.path.parts:
        if isinstance(part, str):
            out.append(part)
            continue
        value = lookup(values.arguments, part.name)
        param = operation.param(part.name)
        if value is MISSING and param is not None and param.value is not None:
            value = values.value(param.value)
        if value is MISSING and part.qualifier is not None:
            value = values.resolve(part)
        if value is MISSING or value is None:
            raise InvocationError(name, part.name, "is required (path parameter)")
        try:
            out.append(encode_segment(value))
        except ValueError as exc:
            raise InvocationError(name, part.name, str(exc)) from exc
    return "".join(out)


def render_body(body: RequestBody, values: Values, name: str) -> tuple[bytes, str]:
    """A ``body:`` template -> (bytes, content type)."""
    kind, data = body.kind, body.data
    if (kind in ("json", "raw") and not isinstance(data, str)) or (kind == "json" and data is None):
        return json.dumps(_render_tree(data, values)).encode(), "application/json"
    if kind == "json" or (kind == "raw" and _looks_json(data)):
        text = render_json_text(_compile(data), values)
        try:
            json.loads(text)
        except ValueError as exc:
            raise InvocationError(name, "body", "the JSON body template did not render to valid JSON") from exc
        return text.encode(), "application/json"
    if kind == "form":
        if isinstance(data, Mapping):
            pairs = [(k, as_text(v)) for k, v in _render_tree(data, values).items() if v is not None]
            return urlencode(pairs).encode(), "application/x-www-form-urlencoded"
        form = values.render(_compile(str(data)), escape=lambda s: quote(s, safe=""))
        return (form or "").encode(), "application/x-www-form-urlencoded"
    if kind == "multipart":
        from urllib3 import encode_multipart_formdata

        fields = {k: as_text(v) for k, v in _render_tree(dict(data or {}), values).items() if v is not None}
        payload, content_type = encode_multipart_formdata(fields)
        return payload, content_type
    if kind == "yaml":
        import yaml

        return yaml.safe_dump(_render_tree(data, values)).encode(), "application/yaml"
    types = {"xml": "application/xml", "sparql": "application/sparql-query"}
    if isinstance(data, Mapping):  # some files give text bodies as a mapping: send it as JSON
        return json.dumps(_render_tree(data, values)).encode(), "application/json"
    rendered = values.render(_compile(str(data or "")))
    return (rendered or "").encode(), types.get(kind, "text/plain")


def render_json_text(template: Template, values: Values) -> str:
    """Render a JSON text template, each placeholder as its JSON type where JSON is being built.

    Inside a JSON string (``"{{name}}"``) a value renders as escaped text (a missing one as
    nothing); standing alone as a JSON value (``"crewIds": {{crewIds}}``) it renders as JSON: a
    list as an array, a number as a number, a missing value as ``null``.
    """
    out: list[str] = []
    in_string = escaped = False
    for part in template.parts:
        if isinstance(part, str):
            out.append(part)
            for char in part:  # track whether the next placeholder sits inside a JSON string
                if escaped:
                    escaped = False
                elif char == "\\" and in_string:
                    escaped = True
                elif char == '"':
                    in_string = not in_string
            continue
        value = values.resolve(part)
        missing = value is MISSING or value is None
        if in_string:
            out.append("" if missing else json.dumps(as_text(value))[1:-1])
        else:
            out.append("null" if missing else json.dumps(_plain(value)))
    return "".join(out)


def _looks_json(data: Any) -> bool:
    return isinstance(data, str) and data.lstrip()[:1] in ("{", "[")


@lru_cache(maxsize=256)
def _compile(text: str) -> Template:
    return compile_template(text)


def _render_tree(node: Any, values: Values) -> Any:
    """Render every string in a JSON tree; a string that is exactly ``{{x}}`` keeps x's type.

    A key whose value is missing (an optional input left out) is dropped.
    """
    if isinstance(node, Mapping):
        out = {}
        for key, value in node.items():
            rendered = _render_tree(value, values)
            if rendered is not MISSING:
                out[key] = rendered
        return out
    if isinstance(node, list):
        return [v for v in (_render_tree(item, values) for item in node) if v is not MISSING]
    if isinstance(node, str) and "{{" in node:
        return values.value(_compile(node))
    return node
