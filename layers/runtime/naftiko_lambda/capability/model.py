"""The typed, immutable model of a capability: what capability/build.py produces and the rest reads.

Names follow the format: a Capability *consumes* upstream HTTP APIs (Consumes, with their
ConsumedOperations) and *exposes* them as REST operations and MCP tools (ExposedOperation, both
kinds). ``binds`` name the credential keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .jsonpath import JsonPath
from .templates import Template

Json = Any
"""A decoded JSON value: dict, list, str, int, float, bool or None."""

EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Param:
    """An input parameter, consumed (``location`` in path/query/header/body/cookie) or exposed."""

    name: str
    location: str | None
    type: str | None = None
    required: bool = False
    description: str = ""
    value: Template | None = None
    pattern: str | None = None


@dataclass(frozen=True, slots=True)
class Auth:
    """An authentication block: ``type`` plus its templated fields (token, key, value, ...)."""

    type: str
    fields: Mapping[str, Template] = field(default_factory=lambda: EMPTY)
    placement: str = "header"


@dataclass(frozen=True, slots=True)
class RequestBody:
    """A ``body:`` template: ``kind`` json, text, xml, sparql, formUrlEncoded, multipart or raw."""

    kind: str
    data: Json


@dataclass(frozen=True, slots=True)
class Output:
    """A mapped output parameter: a JSONPath or a static/templated value, typed, recursive."""

    type: str
    name: str | None = None
    mapping: JsonPath | None = None
    value: Template | None = None
    properties: tuple[tuple[str, Output], ...] = ()
    items: Output | None = None


@dataclass(frozen=True, slots=True)
class ConsumedOperation:
    namespace: str
    name: str
    method: str
    path: Template
    params: tuple[Param, ...]
    body: RequestBody | None = None
    output_format: str = "json"
    outputs: tuple[Output, ...] = ()
    description: str = ""

    @property
    def ref(self) -> str:
        return f"{self.namespace}.{self.name}"

    def param(self, name: str) -> Param | None:
        for p in self.params:
            if p.name == name:
                return p
        lowered = name.lower()
        return next((p for p in self.params if p.name.lower() == lowered), None)


@dataclass(frozen=True, slots=True)
class Consumes:
    namespace: str
    base_uri: Template
    auth: Auth | None
    operations: Mapping[str, ConsumedOperation]
    description: str = ""


@dataclass(frozen=True, slots=True)
class Hints:
    """MCP tool hints with the format's defaults for unset ones."""

    read_only: bool = False
    destructive: bool = True
    idempotent: bool = False
    open_world: bool = True


@dataclass(frozen=True, slots=True)
class ExposedOperation:
    """A REST operation or an MCP tool: inputs, a ``call`` to a consumed operation, outputs.

    ``with_`` maps each argument of the consumed operation to an input reference (``rest.x``),
    a template, or a literal; see consumes/bind.py for how each is resolved.
    """

    kind: str  # "rest" | "mcp"
    exposes_namespace: str
    name: str
    call: ConsumedOperation
    with_: Mapping[str, Any]
    params: tuple[Param, ...] = ()
    outputs: tuple[Output, ...] = ()
    description: str = ""
    label: str = ""
    method: str = "GET"  # REST only
    path: str = ""  # REST only, as written in the spec
    hints: Hints = field(default_factory=Hints)  # MCP only


@dataclass(frozen=True, slots=True)
class RestExposes:
    namespace: str
    auth: Auth | None
    operations: tuple[ExposedOperation, ...]
    description: str = ""


@dataclass(frozen=True, slots=True)
class McpExposes:
    namespace: str
    auth: Auth | None
    tools: tuple[ExposedOperation, ...]
    description: str = ""


@dataclass(frozen=True, slots=True)
class BoundVariable:
    """A ``binds`` key: the variable templates use, and where its value is looked up.

    ``keys: {REGISTRY_TOKEN: registry-bearer-token}`` binds the variable ``REGISTRY_TOKEN`` to the
    provider key ``registry-bearer-token``. ``location`` is the resolved path of a ``file:///``
    location (relative to the capability file), or None.
    """

    name: str
    provider_key: str
    namespace: str
    location: str | None = None


@dataclass(frozen=True, slots=True)
class Capability:
    """One capability file, ready to serve. ``name`` is the file's stem."""

    name: str
    source: str
    label: str
    description: str
    binds: Mapping[str, BoundVariable]  # variable name -> where its value is looked up
    bind_namespaces: frozenset[str]
    consumes: Mapping[str, Consumes]
    rest: tuple[RestExposes, ...]
    mcp: tuple[McpExposes, ...]

    @property
    def rest_operations(self) -> tuple[ExposedOperation, ...]:
        return tuple(op for exposes in self.rest for op in exposes.operations)

    @property
    def tools(self) -> tuple[ExposedOperation, ...]:
        return tuple(tool for exposes in self.mcp for tool in exposes.tools)
