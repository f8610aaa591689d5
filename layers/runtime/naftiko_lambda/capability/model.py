"""The typed, immutable model of a capability: what capability/build.py produces and the rest reads.

Names follow the format: a Capability *consumes* upstream HTTP APIs (Consumes, with their
ConsumedOperations) and *exposes* them as REST operations, MCP tools, resources and prompts, and
skills. ``binds`` name the credential variables; ``aggregates`` hold reusable functions.

Every exposed operation (REST operation, MCP tool, MCP resource, aggregate function) carries a
Plan: the steps that run it, then one output rule. A flat ``call`` is a one-step plan, ``steps``
are the plan, a mock is a plan without steps, and ``ref`` shares the aggregate function's plan.
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

MAX_BINARY_BYTES = 4_500_000
"""Largest binary answer served (bytes): base64 makes it 6.0 MB, what a Lambda response carries
(6 MiB with the envelope). A ``maxBinarySize`` above it is capped to it."""
DEFAULT_BINARY_BYTES = MAX_BINARY_BYTES
"""The format's default is 10 MiB, more than Lambda can answer with: the cap instead."""


@dataclass(frozen=True, slots=True)
class Binary:
    """A binary answer (``outputRawFormat: binary``): the bytes and their media type. The one
    value a plan may return that is not JSON; ``declared`` when the media type is the spec's
    (``outputMediaType``), not the upstream's Content-Type."""

    data: bytes = field(repr=False)
    media_type: str = "application/octet-stream"
    declared: bool = False


@dataclass(frozen=True, slots=True)
class Param:
    """An input parameter as declared, consumed (``location`` path/query/header/cookie/body) or exposed."""

    name: str
    location: str | None
    type: str | None = None
    required: bool = False
    description: str = ""
    value: Template | None = None
    pattern: str | None = None
    body_path: JsonPath | None = None  # exposed ``in: body`` with ``value: $.a.b``
    items: str | None = None  # exposed array input: ``items: {type: x}``
    enum: tuple[str, ...] = ()  # exposed string input: its allowed values


@dataclass(frozen=True, slots=True)
class Input:
    """One input of an exposed operation, as a caller gives it (derived once, at load).

    ``location`` says where REST reads it: ``path``, ``query`` (falling back to a top-level body
    field), ``header``, ``cookie``, ``body`` (``body_path`` in the JSON body; else the field of
    its name, else the whole body). MCP reads every input from the tool arguments by name.
    ``static`` inputs are not given by the caller: they always have their ``value``.
    """

    name: str
    type: str
    required: bool
    description: str = ""
    location: str = "query"
    body_path: JsonPath | None = None
    static: Template | None = None
    items: str | None = None  # the item type of an array input, when known
    enum: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Auth:
    """An authentication block: ``type`` plus its templated fields (token, key, value, ...);
    ``scopes`` for an ``oauth2`` (resource server) block."""

    type: str
    fields: Mapping[str, Template] = field(default_factory=lambda: EMPTY)
    placement: str = "header"
    scopes: tuple[str, ...] = ()

    def text(self, name: str) -> str | None:
        """A field written as plain text (no variables), e.g. ``authorizationServerUri``."""
        template = self.fields.get(name)
        if template is None or template.variables:
            return None
        return "".join(str(p) for p in template.parts)


@dataclass(frozen=True, slots=True)
class RequestBody:
    """A ``body:`` template: ``kind`` json, text, xml, sparql, form, multipart, yaml or raw."""

    kind: str
    data: Json


@dataclass(frozen=True, slots=True)
class Output:
    """An output parameter: a JSONPath ``mapping`` or a (template) ``value``, typed, recursive."""

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
    outputs: tuple[Output, ...] = ()  # named fields a step adds to this call's output
    description: str = ""
    media_type: str | None = None  # outputMediaType: the media type of a binary answer, as the spec says
    max_binary: int | None = None  # maxBinarySize of a binary answer (bytes), when the operation sets it

    @property
    def ref(self) -> str:
        return f"{self.namespace}.{self.name}"

    @property
    def binary(self) -> bool:
        return self.output_format == "binary"

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


# -- plans --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InputRef:
    """A ``with`` value naming one of the operation's inputs (``rest.x``, ``tools.x``, ``<ns>.x``)."""

    name: str


@dataclass(frozen=True, slots=True)
class StepRef:
    """``$.<step>.<path>``: a JSONPath into the output of an earlier step."""

    step: str
    path: JsonPath


WithValue = InputRef | StepRef | Template | Json
"""What a ``with`` entry means, decided once at load (capability/plan.py, ``with_value``)."""


@dataclass(frozen=True, slots=True)
class CallStep:
    """Call a consumed operation; its arguments come from ``with`` and the inputs of the same name."""

    name: str
    operation: ConsumedOperation
    with_: Mapping[str, WithValue]


@dataclass(frozen=True, slots=True)
class LookupStep:
    """Find the elements of an earlier step's array whose ``match`` field equals a looked-up value."""

    name: str
    index: str
    match: str
    value: WithValue
    fields: tuple[str, ...]


Step = CallStep | LookupStep


@dataclass(frozen=True, slots=True)
class OutputMapping:
    """``targetName: route.from`` -> ``target=("route", "from")``, filled from ``value``."""

    target: tuple[str, ...]
    value: WithValue


@dataclass(frozen=True, slots=True)
class Plan:
    """How an exposed operation runs: ``steps`` in order, then one output rule.

    ``orchestrated`` (the spec says ``steps``): each call's output gains its consumed operation's
    named output fields, the ``mappings`` build the result and the ``outputs`` type it. Otherwise
    one call's document goes through ``outputs`` (a flat ``call``), or, with no steps at all, the
    ``outputs``' values are the result (a mock).
    """

    steps: tuple[Step, ...] = ()
    mappings: tuple[OutputMapping, ...] = ()
    outputs: tuple[Output, ...] = ()
    orchestrated: bool = False
    qualifiers: frozenset[str] = frozenset()  # names that qualify an input in templates: {{tools.x}}

    @property
    def calls(self) -> tuple[CallStep, ...]:
        return tuple(s for s in self.steps if isinstance(s, CallStep))

    @property
    def is_mock(self) -> bool:
        return not self.steps


@dataclass(frozen=True, slots=True)
class Hints:
    """MCP tool hints with the format's defaults for unset ones."""

    read_only: bool = False
    destructive: bool = True
    idempotent: bool = False
    open_world: bool = True


@dataclass(frozen=True, slots=True)
class Semantics:
    """An aggregate function's transport-neutral behaviour (``safe``, ``idempotent``, ``cacheable``)."""

    safe: bool | None = None
    idempotent: bool | None = None
    cacheable: bool | None = None


@dataclass(frozen=True, slots=True)
class Function:
    """An aggregate function: what an exposed ``ref: <namespace>.<name>`` runs and inherits."""

    namespace: str
    name: str
    description: str
    params: tuple[Param, ...]
    inputs: tuple[Input, ...]
    plan: Plan
    semantics: Semantics = field(default_factory=Semantics)

    @property
    def ref(self) -> str:
        return f"{self.namespace}.{self.name}"


@dataclass(frozen=True, slots=True)
class ExposedOperation:
    """A REST operation or an MCP tool: its inputs, and the plan that runs it."""

    kind: str  # "rest" | "mcp"
    exposes_namespace: str
    name: str
    plan: Plan
    inputs: tuple[Input, ...] = ()
    description: str = ""
    label: str = ""
    method: str = "GET"  # REST only
    path: str = ""  # REST only, as written in the spec
    hints: Hints = field(default_factory=Hints)  # MCP only
    ref: str | None = None  # the aggregate function it runs, if any
    tags: tuple[str, ...] = ()
    max_binary: int = 0  # a binary answer's size limit (bytes); 0: its answer is JSON
    media_type: str | None = None  # REST responses/responseBinary: a binary answer's media type

    @property
    def call(self) -> ConsumedOperation | None:
        """The consumed operation of a one-call plan (None for mocks and orchestrations)."""
        calls = self.plan.calls
        return calls[0].operation if len(calls) == 1 and not self.plan.orchestrated else None

    @property
    def target(self) -> str:
        """What this operation runs, for logs and metrics: ``ns.operation``, or ``kind:name``."""
        call = self.call
        if call is not None:
            return call.ref
        return f"{'mock' if self.plan.is_mock else 'steps'}:{self.name}"


@dataclass(frozen=True, slots=True)
class RestExposes:
    namespace: str
    auth: Auth | None
    operations: tuple[ExposedOperation, ...]
    description: str = ""


@dataclass(frozen=True, slots=True)
class McpResource:
    """An MCP resource: a call-backed one runs ``plan``; a static one serves the files under ``location``.

    A ``uri`` with ``{x}`` placeholders is a resource template; reading a concrete URI gives the
    placeholders' values to the plan as inputs.
    """

    name: str
    uri: str
    label: str = ""
    description: str = ""
    mime_type: str | None = None
    plan: Plan | None = None
    inputs: tuple[Input, ...] = ()
    location: str | None = None
    max_binary: int = 0  # a binary answer's size limit (bytes); 0: its answer is JSON (text contents)

    @property
    def is_template(self) -> bool:
        return "{" in self.uri and "}" in self.uri


@dataclass(frozen=True, slots=True)
class PromptArgument:
    name: str
    description: str = ""
    required: bool = True


@dataclass(frozen=True, slots=True)
class McpPrompt:
    """An MCP prompt: messages (role, template), or one user message from the file at ``location``."""

    name: str
    label: str = ""
    description: str = ""
    arguments: tuple[PromptArgument, ...] = ()
    messages: tuple[tuple[str, Template], ...] = ()
    location: str | None = None


@dataclass(frozen=True, slots=True)
class McpExposes:
    namespace: str
    auth: Auth | None
    tools: tuple[ExposedOperation, ...]
    description: str = ""
    resources: tuple[McpResource, ...] = ()
    prompts: tuple[McpPrompt, ...] = ()
    ttl_ms: int | None = None  # beta4: how long clients may keep its lists (MCP 2026-07-28 ttlMs)
    cache_scope: str | None = None  # beta4: "public" | "private" (MCP 2026-07-28 cacheScope)


@dataclass(frozen=True, slots=True)
class SkillTool:
    """A skill's tool: derived from a sibling adapter's operation (``source``, ``action``) or an instruction."""

    name: str
    description: str = ""
    source: str | None = None  # sourceNamespace: a rest or mcp exposes namespace
    action: str | None = None
    mode: str = "mcp"  # "mcp" | "rest": the kind of the source adapter
    instruction: str | None = None


@dataclass(frozen=True, slots=True)
class Skill:
    name: str
    description: str
    tools: tuple[SkillTool, ...] = ()
    metadata: Mapping[str, Json] = field(default_factory=lambda: EMPTY)  # the other frontmatter fields


@dataclass(frozen=True, slots=True)
class SkillExposes:
    namespace: str
    skills: tuple[Skill, ...]
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
    skills: tuple[SkillExposes, ...] = ()
    functions: Mapping[str, Function] = field(default_factory=lambda: EMPTY)  # "ns.name" -> function
    imports: tuple[str, ...] = ()  # files read for imported consumes (for the compile cache and sam build)
    unserved: tuple[str, ...] = ()  # "field: message" of each operation left out (logged at cold start)
    variables: frozenset[str] = frozenset()  # the names it may read from binds (capability/binds.py)
    version: str = ""  # info.version (beta4): the MCP serverInfo version
    tags: tuple[str, ...] = ()  # info.tags: what MCP_TOOLS_INCLUDE/EXCLUDE's tag:<tag> matches, and search

    @property
    def rest_operations(self) -> tuple[ExposedOperation, ...]:
        return tuple(op for exposes in self.rest for op in exposes.operations)

    @property
    def tools(self) -> tuple[ExposedOperation, ...]:
        return tuple(tool for exposes in self.mcp for tool in exposes.tools)
