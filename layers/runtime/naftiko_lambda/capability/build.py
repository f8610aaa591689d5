"""Raw mapping (parsed YAML) -> Capability model, collecting SpecIssues on the way (pure).

Reads, in order: the version, ``binds``, ``consumes`` (imported ones already inlined by load.py),
``aggregates``, then the ``exposes`` blocks (exposes.py), whose operations compile into plans
(plan.py). Both placeholder dialects (``{x}`` and ``{{x}}``) are normalised by templates.py.
Unknown keys are tolerated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from .binds import bind_variables
from .check import same_tool
from .dialects import BETA4
from .exposes import ExposesBuilder
from .issues import FieldPath, SpecIssue
from .model import (
    BoundVariable,
    Capability,
    ConsumedOperation,
    Consumes,
    ExposedOperation,
    McpExposes,
    Param,
    RestExposes,
    SkillExposes,
)
from .reader import Reader
from .templates import Template, compile_path, route_key

VERSIONS = ("1.0.0-alpha2", "1.0.0-alpha1")
"""Naftiko versions served. alpha1 differs from alpha2 almost only by what alpha2 added, so both
are read with the alpha2 model; Ikanos ``1.0.0-beta4`` files are reshaped into it (dialects.py)."""
OUTBOUND_AUTH = frozenset({"bearer", "apikey", "basic", "digest", "oauth1", "hmac"})
OUTPUT_FORMATS = frozenset({"json", "xml", "yaml", "csv", "tsv", "psv", "text", "html", "markdown"})
"""The ``outputRawFormat`` values consumes/formats.py decodes (a test keeps the two equal)."""
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
MEDIA_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9*][A-Za-z0-9!#$&^_.+*-]*$")


def build_capability(
    raw: Any, name: str, source: str, *, imports: tuple[str, ...] = ()
) -> tuple[Capability | None, list[SpecIssue]]:
    """Build the model from a parsed file; the capability is None when the file is unusable.

    ``imports`` are the files load.py read to inline imported consumes (kept on the model).

    Returns the model (possibly with some operations left out) and every issue found; the caller
    decides whether errors are fatal (load_capability: yes).
    """
    r = Reader(source)
    if not isinstance(raw, Mapping):
        r.error((), "a capability file must be a YAML mapping")
        return None, r.issues
    r.beta4 = "ikanos" in raw
    if r.beta4 and "naftiko" in raw:
        r.error(("naftiko",), "a file is Naftiko (naftiko:) or Ikanos (ikanos:), not both")
    elif r.beta4 and raw.get("ikanos") != BETA4:
        r.error(("ikanos",), f"Ikanos version {raw.get('ikanos')!r} is not supported (expected {BETA4})")
    elif not r.beta4 and raw.get("naftiko") not in VERSIONS:
        supported = ", ".join((*VERSIONS, f"ikanos: {BETA4}"))
        r.error(("naftiko",), f"version {raw.get('naftiko')!r} is not supported (expected one of {supported})")
    info = r.mapping(raw.get("info"), ("info",))
    cap = raw.get("capability")
    if not isinstance(cap, Mapping):
        r.error(("capability",), "a capability file needs a capability block (shared section files are not served)")
        return None, r.issues
    binds, bind_namespaces = _binds(r, [(("binds",), raw.get("binds")), (("capability", "binds"), cap.get("binds"))])
    consumes: dict[str, Consumes] = {}
    seen: dict[str, Mapping[str, Any]] = {}
    for c_path, c in r.items(cap.get("consumes"), ("capability", "consumes")):
        namespace = c.get("namespace")
        if isinstance(namespace, str) and namespace in seen:
            if seen[namespace] == c:  # a generator's verbatim repeat: harmless
                r.warn(
                    (*c_path, "namespace"),
                    f"consumes namespace {namespace!r} is repeated verbatim: the copy is ignored",
                )
            else:
                r.error((*c_path, "namespace"), f"consumes namespace {namespace!r} is declared twice")
            continue
        built = consumes_adapter(r, c, c_path)
        if built:
            seen[built.namespace] = c
            consumes[built.namespace] = built
    builder = ExposesBuilder(r, consumes, frozenset(binds))
    functions = builder.aggregates(cap.get("aggregates"), ("capability", "aggregates"))
    rest: list[RestExposes] = []
    mcp: list[McpExposes] = []
    skills: list[SkillExposes] = []
    for e_path, e in r.items(cap.get("exposes"), ("capability", "exposes")):
        kind = e.get("type")
        namespace = str(e.get("namespace") or kind)
        if kind == "rest":
            rest.append(builder.rest(e, e_path, namespace))
        elif kind == "mcp":
            mcp.append(builder.mcp(e, e_path, namespace))
        elif kind == "skill":
            skills.append(builder.skills(e, e_path, namespace))
        elif kind == "control":
            message = "a control port (health, metrics, logs, reload) needs a long-running server: not served on Lambda"
            r.issues.append(SpecIssue("unserved", (*e_path, "type"), message))
        else:
            r.warn((*e_path, "type"), f"exposes type {kind!r} is not served: skipped")
    rest = _unambiguous_routes(r, rest)
    mcp = [_unique_tools(r, block) for block in mcp]
    rest_namespaces = {block.namespace for block in rest}
    skills = [
        replace(
            block,
            skills=tuple(
                replace(
                    skill,
                    tools=tuple(
                        replace(tool, mode="rest") if tool.source in rest_namespaces else tool for tool in skill.tools
                    ),
                )
                for skill in block.skills
            ),
        )
        for block in skills
    ]
    capability = Capability(
        name=name,
        source=source,
        label=r.text(info, "label") or name,
        description=r.text(info, "description"),
        binds=MappingProxyType(binds),
        bind_namespaces=frozenset(bind_namespaces),
        consumes=MappingProxyType(consumes),
        rest=tuple(rest),
        mcp=tuple(mcp),
        skills=tuple(skills),
        functions=functions,
        imports=imports,
        version=r.text(info, "version"),
        tags=r.tags(info),
    )
    variables, bind_issues = bind_variables(capability)
    r.issues.extend(bind_issues)
    return replace(capability, variables=variables), r.issues


def _binds(r: Reader, blocks: list[tuple[FieldPath, Any]]) -> tuple[dict[str, BoundVariable], set[str]]:
    """Top-level and ``capability.binds``: variable -> where its value is looked up."""
    binds: dict[str, BoundVariable] = {}
    namespaces: set[str] = set()
    for path, block in blocks:
        for bind_path, bind in r.items(block, path):
            namespace = str(bind.get("namespace"))
            namespaces.add(namespace)
            location = _bind_location(r, bind.get("location"), (*bind_path, "location"))
            for key, provider_key in r.mapping(bind.get("keys"), (*bind_path, "keys")).items():
                binds[str(key)] = BoundVariable(str(key), str(provider_key), namespace, location)
    r.variables = frozenset(binds)
    return binds, namespaces


def _bind_location(r: Reader, raw: Any, path: FieldPath) -> str | None:
    """A ``file:///`` location -> a path beside the capability file; other schemes are not read."""
    if raw is None:
        return None
    text = str(raw)
    if not text.startswith("file://"):
        r.warn(path, f"binds location {text!r} is not a file:/// URI: values come from the environment and the secret")
        return None
    return r.local_file(text, path)


def consumes_adapter(r: Reader, raw: Mapping[str, Any], path: FieldPath) -> Consumes | None:
    if "location" in raw or "import" in raw:
        r.error(path, "this imported consumes entry was not resolved (load the file with load_capability)")
        return None
    namespace = raw.get("namespace")
    if not isinstance(namespace, str) or not namespace:
        r.error((*path, "namespace"), "a consumes adapter needs a namespace")
        return None
    if raw.get("tunnel") is not None:
        tunnel = raw["tunnel"] if isinstance(raw["tunnel"], Mapping) else {}
        if tunnel.get("fallback") != "direct":
            r.error(
                (*path, "tunnel"),
                f"a reverse tunnel ({tunnel.get('type', '?')}) cannot run on AWS Lambda: it needs a long-lived "
                "overlay session; reach the API through a VPC instead, or set fallback: direct to call baseUri",
            )
            return None
        r.warn(
            (*path, "tunnel"), "reverse tunnels do not run on AWS Lambda: baseUri is called directly (fallback: direct)"
        )
    base_uri = r.text(raw, "baseUri")
    if not base_uri:
        r.warn((*path, "baseUri"), "baseUri is empty: set UPSTREAM_BASE_URI_<NAMESPACE> to serve it")
    shared = r.params(raw.get("inputParameters"), (*path, "inputParameters"))
    operations: dict[str, ConsumedOperation] = {}
    for res_path, resource in r.items(raw.get("resources"), (*path, "resources")):
        res_params = r.params(resource.get("inputParameters"), (*res_path, "inputParameters"))
        template = compile_path(r.text(resource, "path"))
        for op_path, op in r.items(resource.get("operations"), (*res_path, "operations")):
            mark = r.mark()
            built = _consumed(r, op, op_path, namespace, template, [*shared, *res_params], operations)
            if not r.unserved_since(mark) and built is not None:
                operations[built.name] = built
    return Consumes(
        namespace=namespace,
        base_uri=compile_path(base_uri),
        auth=r.auth(raw.get("authentication"), (*path, "authentication"), OUTBOUND_AUTH, "outbound"),
        operations=MappingProxyType(operations),
        description=r.text(raw, "description"),
    )


def _consumed(
    r: Reader,
    op: Mapping[str, Any],
    op_path: FieldPath,
    namespace: str,
    template: Template,
    inherited: list[Param],
    operations: Mapping[str, ConsumedOperation],
) -> ConsumedOperation | None:
    """One consumed operation; None (its issues made ``unserved``) when it cannot be called."""
    name = op.get("name")
    if not isinstance(name, str) or not name:
        r.error((*op_path, "name"), "a consumed operation needs a name")
        return None
    if name in operations:
        r.error((*op_path, "name"), f"operation {namespace}.{name} is declared twice")
        return None
    method = str(op.get("method") or "GET").upper()
    if method not in METHODS:
        r.error((*op_path, "method"), f"HTTP method {method!r} is not supported")
        return None
    fmt = str(op.get("outputRawFormat") or "json")
    if fmt not in OUTPUT_FORMATS and fmt != "binary":
        r.error((*op_path, "outputRawFormat"), f"output format {fmt!r} is not supported")
        return None
    merged: dict[str, Param] = {}
    own = r.params(op.get("inputParameters"), (*op_path, "inputParameters"))
    for p in (*inherited, *own):  # later levels override earlier ones
        merged[p.name] = p
    return ConsumedOperation(
        namespace=namespace,
        name=name,
        method=method,
        path=template,
        params=tuple(merged.values()),
        body=r.body(op.get("body"), (*op_path, "body")),
        output_format=fmt,
        outputs=r.outputs(op.get("outputParameters"), (*op_path, "outputParameters"), consumed=True),
        description=r.text(op, "description"),
        media_type=_media_type(r, op.get("outputMediaType"), (*op_path, "outputMediaType")),
        max_binary=r.binary_size(op, op_path),
    )


def _media_type(r: Reader, raw: Any, path: FieldPath) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not MEDIA_TYPE.match(raw):
        r.error(path, f"{raw!r} is not a media type (type/subtype)")
        return None
    return raw


def _unambiguous_routes(r: Reader, blocks: list[RestExposes]) -> list[RestExposes]:
    """Every rest block is served under one /{capability}: of two different operations on one
    method and path, the first is served and the second is ``unserved``; exact twins collapse."""
    routes: dict[tuple[str, str], ExposedOperation] = {}
    out = []
    for block in blocks:
        kept = []
        for op in block.operations:
            key = (op.method, route_key(op.path))
            first = routes.setdefault(key, op)
            if first is not op and not same_tool(first, op):
                where = ("capability", "exposes", op.exposes_namespace, op.name, "path")
                r.issues.append(
                    SpecIssue(
                        "unserved", where, f"REST route {op.method} {op.path} collides with operation {first.name!r}"
                    )
                )
                continue
            kept.append(op)
        out.append(replace(block, operations=tuple(kept)))
    return out


def _unique_tools(r: Reader, block: McpExposes) -> McpExposes:
    """Within one mcp block a tool name is served once: a later tool of the same name is ``unserved``."""
    seen: set[str] = set()
    kept = []
    for tool in block.tools:
        if tool.name in seen:
            where = ("capability", "exposes", block.namespace, tool.name, "name")
            r.issues.append(SpecIssue("unserved", where, f"duplicate tool name {tool.name!r}: the first one is served"))
            continue
        seen.add(tool.name)
        kept.append(tool)
    return replace(block, tools=tuple(kept))
