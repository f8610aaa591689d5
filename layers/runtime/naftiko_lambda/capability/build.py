"""Raw mapping (parsed YAML) -> Capability model, collecting SpecIssues on the way (pure).

Both dialects are normalised here and only here: ``{x}`` and ``{{x}}`` path placeholders,
``rest.x`` / ``tools.x`` / ``<namespace>.x`` input references, adapter- and resource-level
parameters merged into each operation. Unknown keys are tolerated.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .issues import FieldPath, SpecIssue
from .jsonpath import JsonPathSyntaxError, compile_jsonpath
from .model import (
    Auth,
    BoundVariable,
    Capability,
    ConsumedOperation,
    Consumes,
    ExposedOperation,
    Hints,
    McpExposes,
    Output,
    Param,
    RequestBody,
    RestExposes,
)
from .templates import Template, Var, compile_path, compile_template

OUTBOUND_AUTH = frozenset({"bearer", "apikey", "basic", "digest"})
INBOUND_AUTH = frozenset({"bearer", "apikey", "basic"})
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
OUTPUT_FORMATS = frozenset({"json", "xml", "yaml", "csv", "tsv", "psv", "text", "html", "markdown"})
"""The ``outputRawFormat`` values consumes/formats.py decodes (a test keeps the two equal)."""
VERSIONS = ("1.0.0-alpha2", "1.0.0-alpha1")
"""Format versions served. alpha1 differs from alpha2 almost only by what alpha2 added, so both
are read with the alpha2 model."""
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})


class _Builder:
    def __init__(self) -> None:
        self.issues: list[SpecIssue] = []
        self.variables: frozenset[str] = frozenset()  # the bind variables, once binds are read

    def template(self, text: str) -> Template:
        """A value template; a value that is exactly a bind variable's name (``token: REGISTRY_TOKEN``,
        as the format's own example writes it) means that variable."""
        if text in self.variables:
            return Template((Var(None, text),))
        return compile_template(text)

    def error(self, path: FieldPath, message: str) -> None:
        self.issues.append(SpecIssue("error", path, message))

    def warn(self, path: FieldPath, message: str) -> None:
        self.issues.append(SpecIssue("warning", path, message))

    # -- helpers -------------------------------------------------------------------------
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

    # -- pieces --------------------------------------------------------------------------
    def param(self, raw: Mapping[str, Any], path: FieldPath, default_required: bool) -> Param | None:
        name = raw.get("name")
        if not isinstance(name, str) or not name:
            self.error((*path, "name"), "a parameter needs a name")
            return None
        value = raw.get("value")
        required = raw.get("required", default_required)
        return Param(
            name=name,
            location=raw.get("in"),
            type=raw.get("type") if isinstance(raw.get("type"), str) else None,
            required=required is True,
            description=self.text(raw, "description"),
            value=self.template(str(value)) if value is not None else None,
            pattern=raw.get("pattern"),
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
        if kind == "apikey" and placement not in ("header", "query"):
            self.error((*path, "placement"), f"apikey placement {placement!r} is not supported (header or query)")
            return None
        if kind == "bearer" and "token" not in raw:
            field = "value" if "value" in raw else "token"
            self.error(
                (*path, field),
                "a bearer authentication takes its token in `token`"
                + (", not `value`" if field == "value" else ": it has none"),
            )
            return None
        fields = {
            k: self.template(str(v))
            for k, v in raw.items()
            if k not in ("type", "placement") and isinstance(v, str | int | float)
        }
        return Auth(kind, MappingProxyType(fields), placement)

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

    def output(self, raw: Mapping[str, Any], path: FieldPath, mapping_key: str) -> Output | None:
        kind = str(raw.get("type") or "object")
        mapping = raw.get(mapping_key)
        value = raw.get("value") if mapping_key == "mapping" else None
        compiled = None
        if isinstance(mapping, str) and mapping:
            try:
                compiled = compile_jsonpath(mapping)
            except JsonPathSyntaxError as exc:
                self.error((*path, mapping_key), str(exc))
                return None
        props = []
        for name, sub in self.mapping(raw.get("properties"), (*path, "properties")).items():
            if isinstance(sub, Mapping):
                built = self.output(sub, (*path, "properties", name), "mapping")
                if built:
                    props.append((str(name), built))
        items = None
        if isinstance(raw.get("items"), Mapping):
            items = self.output(raw["items"], (*path, "items"), "mapping")
        return Output(
            type=kind,
            name=raw.get("name"),
            mapping=compiled,
            value=compile_template(str(value)) if value is not None else None,
            properties=tuple(props),
            items=items,
        )

    def outputs(self, raw: Any, path: FieldPath, mapping_key: str = "mapping") -> tuple[Output, ...]:
        out = []
        for item_path, item in self.items(raw, path):
            built = self.output(item, item_path, mapping_key)
            if built:
                out.append(built)
        return tuple(out)

    def bind_location(self, raw: Any, path: FieldPath, source: str) -> str | None:
        """A ``file:///`` location -> a path relative to the capability file, never outside its folder."""
        if raw is None:
            return None
        text = str(raw)
        if not text.startswith("file://"):
            self.warn(
                path, f"binds location {text!r} is not a file:/// URI: values come from the environment and the secret"
            )
            return None
        return self.local_file(text, path, source)

    def local_file(self, uri: str, path: FieldPath, source: str) -> str | None:
        """``file:///./x.yaml`` or ``file:///x.yaml`` -> ``<folder of source>/x.yaml``; None (an error) outside it."""
        relative = uri.removeprefix("file://").lstrip("/")
        root = os.path.dirname(os.path.abspath(source))
        target = os.path.normpath(os.path.join(root, relative))
        if os.path.commonpath([root, target]) != root:
            self.error(path, f"{uri!r} points outside the capabilities folder")
            return None
        return target

    # -- consumes ------------------------------------------------------------------------
    def consumes(self, raw: Mapping[str, Any], path: FieldPath) -> Consumes | None:
        if "location" in raw or "import" in raw:
            self.error(path, "imported consumes (location/import) are not supported: inline the adapter")
            return None
        namespace = raw.get("namespace")
        if not isinstance(namespace, str) or not namespace:
            self.error((*path, "namespace"), "a consumes adapter needs a namespace")
            return None
        base_uri = self.text(raw, "baseUri")
        if not base_uri:
            self.warn((*path, "baseUri"), "baseUri is empty: set UPSTREAM_BASE_URI_<NAMESPACE> to serve it")
        shared = self.params(raw.get("inputParameters"), (*path, "inputParameters"))
        operations: dict[str, ConsumedOperation] = {}
        for res_path, resource in self.items(raw.get("resources"), (*path, "resources")):
            res_params = self.params(resource.get("inputParameters"), (*res_path, "inputParameters"))
            template = compile_path(self.text(resource, "path"))
            for op_path, op in self.items(resource.get("operations"), (*res_path, "operations")):
                name = op.get("name")
                if not isinstance(name, str) or not name:
                    self.error((*op_path, "name"), "a consumed operation needs a name")
                    continue
                if name in operations:
                    self.error((*op_path, "name"), f"operation {namespace}.{name} is declared twice")
                    continue
                method = str(op.get("method") or "GET").upper()
                if method not in METHODS:
                    self.error((*op_path, "method"), f"HTTP method {method!r} is not supported")
                    continue
                merged: dict[str, Param] = {}
                own = self.params(op.get("inputParameters"), (*op_path, "inputParameters"))
                for p in (*shared, *res_params, *own):  # later levels override earlier ones
                    merged[p.name] = p
                fmt = str(op.get("outputRawFormat") or "json")
                if fmt not in OUTPUT_FORMATS:
                    self.error((*op_path, "outputRawFormat"), f"output format {fmt!r} is not supported")
                    continue
                operations[name] = ConsumedOperation(
                    namespace=namespace,
                    name=name,
                    method=method,
                    path=template,
                    params=tuple(merged.values()),
                    body=self.body(op.get("body"), (*op_path, "body")),
                    output_format=fmt,
                    outputs=self.outputs(op.get("outputParameters"), (*op_path, "outputParameters"), "value"),
                    description=self.text(op, "description"),
                )
        return Consumes(
            namespace=namespace,
            base_uri=compile_path(base_uri),
            auth=self.auth(raw.get("authentication"), (*path, "authentication"), OUTBOUND_AUTH, "outbound"),
            operations=MappingProxyType(operations),
            description=self.text(raw, "description"),
        )

    # -- exposes -------------------------------------------------------------------------
    def resolve_call(
        self, raw: Mapping[str, Any], path: FieldPath, consumes: Mapping[str, Consumes]
    ) -> ConsumedOperation | None:
        if "steps" in raw:
            self.error((*path, "steps"), "orchestrated steps are not supported yet: use a single call")
            return None
        call = raw.get("call")
        if not isinstance(call, str):
            self.error((*path, "call"), "an exposed operation needs a call (ref and forward are not supported)")
            return None
        parts = call.split(".")
        namespace, name = parts[0], parts[-1]  # "ns.op" and the older "ns.resource.op"
        adapter = consumes.get(namespace)
        operation = adapter.operations.get(name) if adapter else None
        if operation is None:
            self.error((*path, "call"), f"call target {call!r} does not exist among the consumed operations")
        return operation

    def with_map(self, raw: Any, path: FieldPath) -> Mapping[str, Any]:
        out: dict[str, Any] = {}
        for key, value in self.mapping(raw, path).items():
            if isinstance(value, str) and "{{" in value:
                out[str(key)] = compile_template(value)
            elif isinstance(value, str | int | float | bool | list) or value is None:
                out[str(key)] = value
            else:
                self.error((*path, str(key)), "a with value must be a string, a number or a list")
        return MappingProxyType(out)

    def exposed(
        self,
        raw: Mapping[str, Any],
        path: FieldPath,
        consumes: Mapping[str, Consumes],
        kind: str,
        namespace: str,
        resource: Mapping[str, Any] | None = None,
    ) -> ExposedOperation | None:
        operation = self.resolve_call(raw, path, consumes)
        if operation is None:
            return None
        name = raw.get("name")
        if kind == "mcp":
            if not isinstance(name, str) or not name:
                self.error((*path, "name"), "a tool needs a name")
                return None
            params = self.params(raw.get("inputParameters"), (*path, "inputParameters"), default_required=True)
            hints_raw = self.mapping(raw.get("hints"), (*path, "hints"))
            hints = Hints(
                read_only=hints_raw.get("readOnly", False) is True,
                destructive=hints_raw.get("destructive", True) is not False,
                idempotent=hints_raw.get("idempotent", False) is True,
                open_world=hints_raw.get("openWorld", True) is not False,
            )
            return ExposedOperation(
                kind="mcp",
                exposes_namespace=namespace,
                name=name,
                call=operation,
                with_=self.with_map(raw.get("with"), (*path, "with")),
                params=tuple(params),
                outputs=self.outputs(raw.get("outputParameters"), (*path, "outputParameters")),
                description=self.text(raw, "description"),
                label=self.text(raw, "label"),
                hints=hints,
            )
        assert resource is not None
        res_params = self.params(resource.get("inputParameters"), (*path[:-2], "inputParameters"))
        own = self.params(raw.get("inputParameters"), (*path, "inputParameters"))
        merged = {p.name: p for p in (*res_params, *own)}
        method = str(raw.get("method") or "GET").upper()
        if method not in METHODS:
            self.error((*path, "method"), f"HTTP method {method!r} is not supported")
            return None
        return ExposedOperation(
            kind="rest",
            exposes_namespace=namespace,
            name=str(name or operation.name),
            call=operation,
            with_=self.with_map(raw.get("with"), (*path, "with")),
            params=tuple(merged.values()),
            outputs=self.outputs(raw.get("outputParameters"), (*path, "outputParameters")),
            description=self.text(raw, "description") or self.text(resource, "description"),
            label=self.text(raw, "label"),
            method=method,
            path=self.text(resource, "path"),
        )

    def exposes(
        self, raw: Mapping[str, Any], path: FieldPath, consumes: Mapping[str, Consumes]
    ) -> RestExposes | McpExposes | None:
        kind = raw.get("type")
        namespace = str(raw.get("namespace") or kind)
        if kind == "rest":
            auth = self.auth(raw.get("authentication"), (*path, "authentication"), INBOUND_AUTH, "inbound")
            operations = []
            for res_path, resource in self.items(raw.get("resources"), (*path, "resources")):
                if "forward" in resource and "operations" not in resource:
                    self.warn(res_path, "forward resources are not supported: skipped")
                for op_path, op in self.items(resource.get("operations"), (*res_path, "operations")):
                    built = self.exposed(op, op_path, consumes, "rest", namespace, resource)
                    if built:
                        operations.append(built)
            return RestExposes(namespace, auth, tuple(operations), self.text(raw, "description"))
        if kind == "mcp":
            auth = self.auth(raw.get("authentication"), (*path, "authentication"), INBOUND_AUTH, "inbound")
            tools = []
            for tool_path, tool in self.items(raw.get("tools"), (*path, "tools")):
                built = self.exposed(tool, tool_path, consumes, "mcp", namespace)
                if built:
                    tools.append(built)
            for extra in ("resources", "prompts"):
                if raw.get(extra):
                    self.warn((*path, extra), f"MCP {extra} are not served yet: only tools")
            return McpExposes(namespace, auth, tuple(tools), self.text(raw, "description"))
        if kind not in ("skill", "control"):
            self.warn((*path, "type"), f"exposes type {kind!r} is not served: skipped")
        return None


def build_capability(raw: Any, name: str, source: str) -> tuple[Capability | None, list[SpecIssue]]:
    """Build the model from a parsed file; the capability is None when the file is unusable.

    Returns the model (possibly with some operations left out) and every issue found; the caller
    decides whether errors are fatal (load_capability: yes).
    """
    b = _Builder()
    if not isinstance(raw, Mapping):
        b.error((), "a capability file must be a YAML mapping")
        return None, b.issues
    version = raw.get("naftiko")
    if version not in VERSIONS:
        b.error(("naftiko",), f"version {version!r} is not supported (expected one of {', '.join(VERSIONS)})")
    info = b.mapping(raw.get("info"), ("info",))
    binds: dict[str, BoundVariable] = {}
    namespaces = set()
    for bind_path, bind in b.items(raw.get("binds"), ("binds",)):
        namespace = str(bind.get("namespace"))
        namespaces.add(namespace)
        location = b.bind_location(bind.get("location"), (*bind_path, "location"), source)
        for key, provider_key in b.mapping(bind.get("keys"), (*bind_path, "keys")).items():
            binds[str(key)] = BoundVariable(str(key), str(provider_key), namespace, location)
    b.variables = frozenset(binds)
    cap = raw.get("capability")
    if not isinstance(cap, Mapping):
        b.error(("capability",), "a capability file needs a capability block (shared consumes files are not served)")
        return None, b.issues
    consumes: dict[str, Consumes] = {}
    for c_path, c in b.items(cap.get("consumes"), ("capability", "consumes")):
        built = b.consumes(c, c_path)
        if built:
            if built.namespace in consumes:
                b.error((*c_path, "namespace"), f"consumes namespace {built.namespace!r} is declared twice")
            consumes[built.namespace] = built
    rest: list[RestExposes] = []
    mcp: list[McpExposes] = []
    for e_path, e in b.items(cap.get("exposes"), ("capability", "exposes")):
        built_exposes = b.exposes(e, e_path, consumes)
        if isinstance(built_exposes, RestExposes):
            rest.append(built_exposes)
        elif isinstance(built_exposes, McpExposes):
            mcp.append(built_exposes)
    capability = Capability(
        name=name,
        source=source,
        label=b.text(info, "label") or name,
        description=b.text(info, "description"),
        binds=MappingProxyType(binds),
        bind_namespaces=frozenset(namespaces),
        consumes=MappingProxyType(consumes),
        rest=tuple(rest),
        mcp=tuple(mcp),
    )
    return capability, b.issues
