"""Reader: typed reads of a parsed capability file that record SpecIssues instead of failing (pure).

Every builder (build.py, plan.py, exposes.py) reads raw mappings through one Reader, so a wrong
shape anywhere becomes an issue located by its field path, and the rest of the file is still
read: ``validate`` reports every problem at once.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .issues import FieldPath, SpecIssue
from .jsonpath import JsonPathSyntaxError, compile_jsonpath
from .model import MAX_BINARY_BYTES, Auth, Output, Param, RequestBody
from .templates import Template, Var, compile_template

BODY_KINDS = {
    "json": "json",
    "text": "text",
    "xml": "xml",
    "sparql": "sparql",
    "formUrlEncoded": "form",
    "form": "form",
    "multipartForm": "multipart",
    "multipart": "multipart",
    "yaml": "yaml",
}
TYPES = frozenset({"string", "integer", "number", "boolean", "array", "object"})
APIKEY_PLACEMENTS = ("header", "query", "cookie", "body")
SIGNED = {"oauth1": ("consumerKey", "signingKey"), "hmac": ("apiId", "apiKey")}
"""The fields each signed authentication needs (consumes/signing/)."""
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB)?$")
_UNITS = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3}


class Reader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.issues: list[SpecIssue] = []
        self.variables: frozenset[str] = frozenset()  # the bind variables, once binds are read
        self.beta4 = False  # an Ikanos 1.0.0-beta4 file (reshaped by dialects.py): its rules where they differ

    def error(self, path: FieldPath, message: str) -> None:
        self.issues.append(SpecIssue("error", path, message))

    def warn(self, path: FieldPath, message: str) -> None:
        self.issues.append(SpecIssue("warning", path, message))

    def mark(self) -> int:
        """A point to come back to with ``unserved_since``."""
        return len(self.issues)

    def unserved_since(self, mark: int) -> bool:
        """Turn the errors recorded since ``mark`` into ``unserved``: the one item being built is
        left out and the rest of the file is still served. True when there were any."""
        found = False
        for i in range(mark, len(self.issues)):
            issue = self.issues[i]
            if issue.severity == "error":
                self.issues[i] = SpecIssue("unserved", issue.path, issue.message)
                found = True
        return found

    # -- shapes --------------------------------------------------------------------------
    def mapping(self, value: Any, path: FieldPath) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.error(path, f"must be a mapping, not {type(value).__name__}")
            return {}
        return value

    def items(self, value: Any, path: FieldPath) -> list[tuple[FieldPath, Mapping[str, Any]]]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(path, f"must be a list, not {type(value).__name__}")
            return []
        out = []
        for i, item in enumerate(value):
            if isinstance(item, Mapping):
                out.append(((*path, i), item))
            else:
                self.error((*path, i), f"must be a mapping, not {type(item).__name__}")
        return out

    def text(self, raw: Mapping[str, Any], key: str) -> str:
        value = raw.get(key)
        return "" if value is None else str(value)

    def template(self, text: str) -> Template:
        """A value template; a value that is exactly a bind variable's name (``token: REGISTRY_TOKEN``,
        as the format's own example writes it) means that variable."""
        if text in self.variables:
            return Template((Var(None, text),))
        return compile_template(text)

    def local_file(self, uri: str, path: FieldPath, *, served: bool = False) -> str | None:
        """``file:///./x.yaml``, ``file:///x.yaml`` or ``x.yaml`` -> a path in the capability file's
        folder; an error (and None) when it points outside that folder.

        ``served``: the files are handed to MCP callers (static resources, prompts), so the
        location must be below the folder, not the folder itself, and name nothing hidden: the
        folder holds the specs, binds files (``.env``) and compiled forms, none of them theirs.
        """
        relative = uri.removeprefix("file://").lstrip("/")
        root = os.path.realpath(os.path.dirname(os.path.abspath(self.source)))
        target = os.path.realpath(os.path.join(root, relative))  # a link inside may point anywhere
        if os.path.commonpath([root, target]) != root:
            self.error(path, f"{uri!r} points outside the capabilities folder")
            return None
        if served and (target == root or any(p.startswith(".") for p in os.path.relpath(target, root).split(os.sep))):
            self.error(path, f"{uri!r}: served files must be in a folder of their own below the capability, not hidden")
            return None
        return target

    def binary_size(self, raw: Mapping[str, Any], path: FieldPath) -> int | None:
        """``maxBinarySize`` (``5MiB``, ``512KiB``, ``100B``; a bare number is bytes) in bytes, capped
        to what a Lambda response can carry (with a warning); None when not set or unreadable."""
        value = raw.get("maxBinarySize")
        if value is None:
            return None
        found = _SIZE.match(str(value).strip()) if not isinstance(value, bool) else None
        if found is None:
            self.error((*path, "maxBinarySize"), f"maxBinarySize {value!r} is not a size such as 5MiB or 512KiB")
            return None
        size = int(float(found[1]) * _UNITS[found[2] or "B"])
        if size > MAX_BINARY_BYTES:
            self.warn(
                (*path, "maxBinarySize"),
                f"maxBinarySize {value} is over what a Lambda response carries: capped to {MAX_BINARY_BYTES} bytes",
            )
            return MAX_BINARY_BYTES
        return size

    def tags(self, raw: Mapping[str, Any]) -> tuple[str, ...]:
        tags = raw.get("tags")
        return tuple(str(t) for t in tags if isinstance(t, str | int | float)) if isinstance(tags, list) else ()

    # -- pieces --------------------------------------------------------------------------
    def param(self, raw: Mapping[str, Any], path: FieldPath, default_required: bool) -> Param | None:
        name = raw.get("name")
        if not isinstance(name, str) or not name:
            self.error((*path, "name"), "a parameter needs a name")
            return None
        value = raw.get("value")
        required = raw.get("required", default_required)
        body_path = None
        if isinstance(value, str) and value.startswith("$") and raw.get("in") in (None, "body"):
            try:
                body_path = compile_jsonpath(value)
            except JsonPathSyntaxError:
                body_path = None  # a consumed "$this.ns.x" expression: a template resolves it
        kind = raw.get("type")
        items = raw.get("items")
        item_type = items.get("type") if isinstance(items, Mapping) else None
        enum = raw.get("enum")
        return Param(
            name=name,
            location=raw.get("in"),
            type=kind if isinstance(kind, str) else None,
            required=required is True,
            description=self.text(raw, "description"),
            value=self.template(str(value)) if value is not None else None,
            pattern=raw.get("pattern"),
            body_path=body_path,
            items=item_type if item_type in TYPES else None,
            enum=tuple(enum) if isinstance(enum, list) and all(isinstance(v, str) for v in enum) else (),
        )

    def params(self, raw: Any, path: FieldPath, default_required: bool = False) -> list[Param]:
        out = []
        for item_path, item in self.items(raw, path):
            built = self.param(item, item_path, default_required)
            if built:
                out.append(built)
        return out

    def auth(self, raw: Any, path: FieldPath, supported: frozenset[str], side: str) -> Auth | None:
        if raw is None:
            return None
        raw = self.mapping(raw, path)
        kind = raw.get("type")
        if kind in (None, "none"):
            return None
        if kind not in supported:
            self.error(
                (*path, "type"),
                f"{side} authentication type {kind!r} is not supported (supported: {', '.join(sorted(supported))})",
            )
            return None
        placement = raw.get("placement") or "header"
        if kind == "apikey" and placement not in APIKEY_PLACEMENTS:
            where = ", ".join(APIKEY_PLACEMENTS)
            self.error((*path, "placement"), f"apikey placement {placement!r} is not supported ({where})")
            return None
        if kind == "bearer" and "token" not in raw:
            if "value" not in raw:
                self.error((*path, "token"), "a bearer authentication takes its token in `token`: it has none")
                return None
            self.warn((*path, "value"), "a bearer authentication takes its token in `token`: `value` is read as it")
            raw = {**{k: v for k, v in raw.items() if k != "value"}, "token": raw["value"]}
        for needed in SIGNED.get(str(kind), ()):
            if not isinstance(raw.get(needed), str) or not raw[needed]:
                self.error((*path, needed), f"a {kind} authentication needs `{needed}`")
                return None
        if kind == "oauth2":
            for required in ("authorizationServerUri", "resource"):
                if not isinstance(raw.get(required), str) or not raw[required]:
                    self.error((*path, required), f"an oauth2 authentication needs `{required}`")
                    return None
            validation = raw.get("tokenValidation", "jwks")
            if validation not in ("jwks", "introspection"):
                self.error((*path, "tokenValidation"), f"tokenValidation {validation!r} is not jwks or introspection")
                return None
        fields = {
            k: self.template(str(v))
            for k, v in raw.items()
            if k not in ("type", "placement") and isinstance(v, str | int | float)
        }
        scopes = raw.get("scopes")
        scope_list = tuple(str(s) for s in scopes) if isinstance(scopes, list) else ()
        return Auth(kind, MappingProxyType(fields), placement, scope_list)

    def body(self, raw: Any, path: FieldPath) -> RequestBody | None:
        if raw is None:
            return None
        if isinstance(raw, str):
            return RequestBody("raw", raw)
        raw = self.mapping(raw, path)
        kind = BODY_KINDS.get(str(raw.get("type")))
        if kind is None:
            self.error((*path, "type"), f"body type {raw.get('type')!r} is not supported")
            return None
        return RequestBody(kind, raw.get("data"))

    def output(self, raw: Mapping[str, Any], path: FieldPath, consumed: bool = False) -> Output | None:
        """One output parameter. ``mapping`` is a JSONPath; ``value`` is a static value or template,
        except on a consumed operation, where a ``value`` starting with ``$`` is the JSONPath."""
        kind = str(raw.get("type") or "object")
        value = raw.get("value")
        mapping = raw.get("mapping")
        if consumed and mapping is None and isinstance(value, str) and value.strip().startswith("$"):
            mapping, value = value, None
        compiled = None
        if isinstance(mapping, str) and mapping:
            try:
                compiled = compile_jsonpath(mapping)
            except JsonPathSyntaxError as exc:
                self.error((*path, "mapping" if not consumed else "value"), str(exc))
                return None
        props = []
        properties = raw.get("properties")
        if isinstance(properties, list):  # orchestrated outputs sometimes list their properties
            properties = {str(p.get("name")): p for p in properties if isinstance(p, Mapping) and p.get("name")}
        for name, sub in self.mapping(properties, (*path, "properties")).items():
            if isinstance(sub, Mapping):
                built = self.output(sub, (*path, "properties", name), consumed)
                if built:
                    props.append((str(name), built))
        items = None
        raw_items = raw.get("items")
        if isinstance(raw_items, list):  # ``items: [{name, type}, ...]``: the fields of each element
            raw_items = {"type": "object", "properties": raw_items}
        if isinstance(raw_items, Mapping):
            items = self.output(raw_items, (*path, "items"), consumed)
        if kind not in TYPES:
            self.warn((*path, "type"), f"output type {kind!r} is not a JSON type: treated as untyped")
        return Output(
            type=kind,
            name=raw.get("name"),
            mapping=compiled,
            value=self.template(str(value)) if value is not None and not isinstance(value, Mapping | list) else None,
            properties=tuple(props),
            items=items,
        )

    def outputs(self, raw: Any, path: FieldPath, consumed: bool = False) -> tuple[Output, ...]:
        out = []
        for item_path, item in self.items(raw, path):
            built = self.output(item, item_path, consumed)
            if built:
                out.append(built)
        return tuple(out)
