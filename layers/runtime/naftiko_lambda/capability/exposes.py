"""``exposes`` blocks and ``aggregates`` -> model: REST operations, MCP tools, resources, prompts, skills (pure).

An exposed operation (REST operation or MCP tool) gets its plan from its own ``call`` /
``steps`` / mock outputs, or from the aggregate function its ``ref`` names; in that case it
inherits the function's name, description, inputs and outputs where it declares none, and MCP
hints follow the function's ``semantics`` unless the tool's own ``hints`` say otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any, TypeVar

from .inputs import derive_inputs
from .issues import FieldPath, SpecIssue
from .model import (
    DEFAULT_BINARY_BYTES,
    Consumes,
    ExposedOperation,
    Function,
    Hints,
    Input,
    McpExposes,
    McpPrompt,
    McpResource,
    Param,
    Plan,
    PromptArgument,
    RestExposes,
    Semantics,
    Skill,
    SkillExposes,
    SkillTool,
)
from .plan import build_plan, input_qualifiers
from .reader import Reader
from .templates import compile_path, compile_template

INBOUND_AUTH = frozenset({"bearer", "apikey", "basic", "oauth2"})
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
T = TypeVar("T")
SKILL_FIELDS = (
    "license",
    "compatibility",
    "metadata",
    "allowed-tools",
    "argument-hint",
    "user-invocable",
    "disable-model-invocation",
)
"""Skill frontmatter (Agent Skills spec) passed through to the skill's detail as written."""


class ExposesBuilder:
    """Builds exposes blocks against the capability's consumed adapters and aggregate functions."""

    def __init__(self, reader: Reader, consumes: Mapping[str, Consumes], variables: Collection[str]) -> None:
        self.reader = reader
        self.consumes = consumes
        self.variables = variables
        self.functions: dict[str, Function] = {}

    # -- aggregates ----------------------------------------------------------------------
    def aggregates(self, raw: Any, path: FieldPath) -> Mapping[str, Function]:
        r = self.reader
        for agg_path, aggregate in r.items(raw, path):
            namespace = str(aggregate.get("namespace") or "")
            if not namespace:
                r.error((*agg_path, "namespace"), "an aggregate needs a namespace")
                continue
            for fn_path, fn in r.items(aggregate.get("functions"), (*agg_path, "functions")):
                name = str(fn.get("name") or "")
                if not name:
                    r.error((*fn_path, "name"), "an aggregate function needs a name")
                    continue
                ref = f"{namespace}.{name}"
                if ref in self.functions:
                    r.error((*fn_path, "name"), f"aggregate function {ref!r} is declared twice")
                    continue
                mark = r.mark()
                function = self._function(fn, fn_path, namespace, name)
                if not r.unserved_since(mark) and function is not None:
                    self.functions[ref] = function
        return MappingProxyType(self.functions)

    def _function(self, fn: Mapping[str, Any], fn_path: FieldPath, namespace: str, name: str) -> Function | None:
        r = self.reader
        params = r.params(fn.get("inputParameters"), (*fn_path, "inputParameters"), default_required=True)
        qualifiers = input_qualifiers(namespace)
        plan = build_plan(r, fn, fn_path, self.consumes, qualifiers, [p.name for p in params])
        if plan is None:
            return None
        semantics_raw = r.mapping(fn.get("semantics"), (*fn_path, "semantics"))
        semantics = Semantics(
            safe=_flag(semantics_raw.get("safe")),
            idempotent=_flag(semantics_raw.get("idempotent")),
            cacheable=_flag(semantics_raw.get("cacheable")),
        )
        inputs = derive_inputs("mcp", params, plan, qualifiers=qualifiers, variables=self.variables)
        return Function(namespace, name, r.text(fn, "description"), tuple(params), inputs, plan, semantics)

    # -- one exposed operation -----------------------------------------------------------
    def operation(
        self,
        raw: Mapping[str, Any],
        path: FieldPath,
        kind: str,
        namespace: str,
        resource: Mapping[str, Any] | None = None,
        block_limit: int | None = None,
    ) -> ExposedOperation | None:
        """One REST operation or MCP tool; None (and ``unserved`` issues) when it cannot run.

        A ``ref`` to no function, or hints and methods that contradict the function's semantics,
        are errors of the file: the spec says two things at once.
        """
        if "ref" in raw:
            function = self.functions.get(str(raw["ref"]))
            if function is None:
                known = ", ".join(sorted(self.functions)) or "none declared"
                self.reader.error((*path, "ref"), f"ref {raw['ref']!r} names no aggregate function (known: {known})")
                return None
            self._check_semantics(raw, path, kind, function)
        mark = self.reader.mark()
        built = self._operation(raw, path, kind, namespace, resource)
        if built is not None:
            media_type = _response_media_type(self.reader, raw, path) if kind == "rest" else None
            limit = self._binary_limit(built.plan, path, block_limit, "responses" if media_type else None)
            built = replace(built, max_binary=limit, media_type=media_type, tags=self.reader.tags(raw))
        return None if self.reader.unserved_since(mark) else built

    def _binary_limit(self, plan: Plan, path: FieldPath, block_limit: int | None, wants: str | None) -> int:
        """How large the plan's binary answer may be (bytes); 0 when it answers JSON. ``wants``:
        the field that declares the answer binary (REST ``responses``, an MCP resource's ``binary``)."""
        binary = [step.operation for step in plan.calls if step.operation.binary]
        if not binary:
            if wants is not None:
                self.reader.error(
                    (*path, wants), "declares binary content, but the call's outputRawFormat is not binary"
                )
            return 0
        if plan.orchestrated or len(plan.steps) != 1:
            self.reader.error(
                (*path, "steps"),
                f"{binary[0].ref} answers binary content: only a single call may return it, not a step of several",
            )
            return 0
        return binary[0].max_binary or block_limit or DEFAULT_BINARY_BYTES

    def _operation(
        self,
        raw: Mapping[str, Any],
        path: FieldPath,
        kind: str,
        namespace: str,
        resource: Mapping[str, Any] | None,
    ) -> ExposedOperation | None:
        r = self.reader
        qualifiers = input_qualifiers(namespace)
        if kind == "mcp":
            params = r.params(raw.get("inputParameters"), (*path, "inputParameters"), default_required=True)
        else:
            assert resource is not None
            res_params = r.params(resource.get("inputParameters"), (*path[:-2], "inputParameters"))
            own = r.params(raw.get("inputParameters"), (*path, "inputParameters"))
            params = list({p.name: p for p in (*res_params, *own)}.values())
        function = self.functions.get(str(raw["ref"])) if "ref" in raw else None
        if function is not None:
            if not params:
                params = list(function.params)
            plan: Plan | None = function.plan
            if raw.get("outputParameters") and not function.plan.orchestrated:
                plan = replace(function.plan, outputs=r.outputs(raw["outputParameters"], (*path, "outputParameters")))
        else:
            plan = build_plan(r, raw, path, self.consumes, qualifiers, [p.name for p in params])
        if plan is None:
            return None
        call = plan.calls[0].operation if plan.calls else None
        name = raw.get("name") or (function.name if function else None)
        description = (
            r.text(raw, "description")
            or (function.description if function else "")
            or (r.text(resource, "description") if resource is not None else "")
        )
        if kind == "mcp":
            if not isinstance(name, str) or not name:
                r.error((*path, "name"), "a tool needs a name")
                return None
            return ExposedOperation(
                kind="mcp",
                exposes_namespace=namespace,
                name=name,
                plan=plan,
                inputs=self._inputs("mcp", params, plan, qualifiers, function),
                description=description,
                label=r.text(raw, "label"),
                hints=_hints(r.mapping(raw.get("hints"), (*path, "hints")), function),
                ref=function.ref if function else None,
            )
        assert resource is not None
        method = str(raw.get("method") or "GET").upper()
        if method not in METHODS:
            r.error((*path, "method"), f"HTTP method {method!r} is not supported")
            return None
        rest_path = r.text(resource, "path")
        return ExposedOperation(
            kind="rest",
            exposes_namespace=namespace,
            name=str(name or (call.name if call else resource.get("name") or method.lower())),
            plan=plan,
            inputs=self._inputs("rest", params, plan, qualifiers, function, rest_path),
            description=description,
            label=r.text(raw, "label"),
            method=method,
            path=rest_path,
            ref=function.ref if function else None,
        )

    def _check_semantics(self, raw: Mapping[str, Any], path: FieldPath, kind: str, function: Function) -> None:
        safe, idempotent = function.semantics.safe, function.semantics.idempotent
        raw_hints = raw.get("hints")
        hints: Mapping[str, Any] = raw_hints if isinstance(raw_hints, Mapping) else {}
        contradictions = []
        if safe is True and (hints.get("readOnly") is False or hints.get("destructive") is True):
            contradictions.append(("hints", "hints say it modifies state, but the function's semantics say safe"))
        if safe is False and hints.get("readOnly") is True:
            contradictions.append(("hints", "hints say readOnly, but the function's semantics say not safe"))
        if idempotent is not None and isinstance(hints.get("idempotent"), bool) and hints["idempotent"] != idempotent:
            contradictions.append(
                ("hints", f"hints say idempotent={hints['idempotent']}, the function's semantics say {idempotent}")
            )
        method = str(raw.get("method") or "GET").upper()
        if kind == "rest" and safe is True and method in ("PUT", "PATCH", "DELETE"):  # POST may carry a query
            contradictions.append(("method", f"{method} modifies state, but the function's semantics say safe"))
        for field, message in contradictions:
            self.reader.error((*path, field), f"inconsistent with {function.ref}: {message}")
        if kind == "rest" and self.reader.beta4:  # beta4's lint also flags these (alpha2 files: POST may query)
            doubts = []
            if safe is True and method == "POST":
                doubts.append("POST usually modifies state, but the flow's semantics say safe")
            if safe is False and method == "GET":
                doubts.append("GET should not modify state, but the flow's semantics say not safe")
            if idempotent is True and method == "POST":
                doubts.append("POST is not idempotent, but the flow's semantics say idempotent")
            for message in doubts:
                self.reader.warn((*path, "method"), f"inconsistent with {function.ref}: {message}")

    def _inputs(
        self,
        kind: str,
        params: list[Param],
        plan: Plan,
        qualifiers: tuple[str, ...],
        function: Function | None,
        rest_path: str = "",
    ) -> tuple[Input, ...]:
        if function is not None:  # the function's own with-references name its inputs
            qualifiers = (*qualifiers, function.namespace)
        return derive_inputs(kind, params, plan, rest_path=rest_path, qualifiers=qualifiers, variables=self.variables)

    # -- blocks --------------------------------------------------------------------------
    def rest(self, raw: Mapping[str, Any], path: FieldPath, namespace: str) -> RestExposes:
        r = self.reader
        auth = r.auth(raw.get("authentication"), (*path, "authentication"), INBOUND_AUTH, "inbound")
        limit = r.binary_size(raw, path)
        operations = []
        for res_path, resource in r.items(raw.get("resources"), (*path, "resources")):
            if "forward" in resource and "operations" not in resource:
                r.warn(res_path, "forward resources (pass-through proxies) are not served: skipped")
            for op_path, op in r.items(resource.get("operations"), (*res_path, "operations")):
                built = self.operation(op, op_path, "rest", namespace, resource, limit)
                if built:
                    operations.append(built)
        return RestExposes(namespace, auth, tuple(operations), r.text(raw, "description"))

    def mcp(self, raw: Mapping[str, Any], path: FieldPath, namespace: str) -> McpExposes:
        r = self.reader
        auth = r.auth(raw.get("authentication"), (*path, "authentication"), INBOUND_AUTH, "inbound")
        limit = r.binary_size(raw, path)
        if raw.get("transport") == "stdio":
            r.warn((*path, "transport"), "transport stdio: served over Streamable HTTP (a Lambda has no stdin)")
        tools = []
        for tool_path, tool in r.items(raw.get("tools"), (*path, "tools")):
            built = self.operation(tool, tool_path, "mcp", namespace, block_limit=limit)
            if built:
                tools.append(built)
        resources = [
            res
            for res_path, item in r.items(raw.get("resources"), (*path, "resources"))
            if (res := self._unserved_if_broken(self.resource, item, res_path, namespace, limit)) is not None
        ]
        prompts = [
            prompt
            for prompt_path, item in r.items(raw.get("prompts"), (*path, "prompts"))
            if (prompt := self._unserved_if_broken(self.prompt, item, prompt_path)) is not None
        ]
        ttl = raw.get("ttlMs")
        if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 0):
            r.error((*path, "ttlMs"), f"ttlMs must be a whole number of milliseconds, not {ttl!r}")
            ttl = None
        scope = raw.get("cacheScope")
        if scope is not None and scope not in ("public", "private"):
            r.error((*path, "cacheScope"), f"cacheScope must be public or private, not {scope!r}")
            scope = None
        return McpExposes(
            namespace,
            auth,
            tuple(tools),
            r.text(raw, "description"),
            tuple(resources),
            tuple(prompts),
            ttl_ms=ttl,
            cache_scope=scope,
        )

    def _unserved_if_broken(self, build: Callable[..., T | None], *args: Any) -> T | None:
        mark = self.reader.mark()
        built = build(*args)
        return None if self.reader.unserved_since(mark) else built

    def resource(
        self, raw: Mapping[str, Any], path: FieldPath, namespace: str, block_limit: int | None = None
    ) -> McpResource | None:
        r = self.reader
        name, uri = raw.get("name"), raw.get("uri")
        if not isinstance(name, str) or not name or not isinstance(uri, str) or not uri:
            r.error(path, "an MCP resource needs a name and a uri")
            return None
        placeholders = [v.name for v in compile_path(uri).variables]
        mime_type = raw.get("mimeType")
        common = McpResource(
            name,
            uri,
            r.text(raw, "label"),
            r.text(raw, "description"),
            mime_type if isinstance(mime_type, str) else None,
        )
        if "location" in raw:
            location = r.local_file(str(raw["location"]), (*path, "location"), served=True)
            return replace(common, location=location) if location else None
        params = [Param(p, None, "string", True) for p in placeholders]
        plan = build_plan(r, raw, path, self.consumes, input_qualifiers(namespace), placeholders)
        if plan is None:
            return None
        inputs = derive_inputs("mcp", params, plan, qualifiers=input_qualifiers(namespace), variables=self.variables)
        limit = self._binary_limit(plan, path, block_limit, "binary" if raw.get("binary") is True else None)
        return replace(common, plan=plan, inputs=inputs, max_binary=limit)

    def prompt(self, raw: Mapping[str, Any], path: FieldPath) -> McpPrompt | None:
        r = self.reader
        name = raw.get("name")
        if not isinstance(name, str) or not name:
            r.error((*path, "name"), "an MCP prompt needs a name")
            return None
        arguments = []
        for arg_path, arg in r.items(raw.get("arguments"), (*path, "arguments")):
            if not arg.get("name"):
                r.error((*arg_path, "name"), "a prompt argument needs a name")
                continue
            arguments.append(
                PromptArgument(str(arg["name"]), r.text(arg, "description"), arg.get("required", True) is not False)
            )
        messages = []
        for msg_path, message in r.items(raw.get("template"), (*path, "template")):
            role = message.get("role", "user")
            if role not in ("user", "assistant"):
                r.error((*msg_path, "role"), f"a prompt message role must be user or assistant, not {role!r}")
                continue
            messages.append((str(role), compile_template(r.text(message, "content"))))
        location = r.local_file(str(raw["location"]), (*path, "location"), served=True) if "location" in raw else None
        if not messages and location is None:
            r.error(path, "an MCP prompt needs a template (messages) or a location (file)")
            return None
        return McpPrompt(
            name, r.text(raw, "label"), r.text(raw, "description"), tuple(arguments), tuple(messages), location
        )

    def skills(self, raw: Mapping[str, Any], path: FieldPath, namespace: str) -> SkillExposes:
        r = self.reader
        skills = []
        for skill_path, skill in r.items(raw.get("skills"), (*path, "skills")):
            name = skill.get("name")
            if not isinstance(name, str) or not name:
                r.error((*skill_path, "name"), "a skill needs a name")
                continue
            tools = []
            for tool_path, tool in r.items(skill.get("tools"), (*skill_path, "tools")):
                source = r.mapping(tool.get("from"), (*tool_path, "from"))
                if not tool.get("name") or (not source and "instruction" not in tool):
                    message = "a skill tool needs a name and either from (a sibling's tool) or instruction"
                    r.issues.append(SpecIssue("unserved", tool_path, message + ": left out of the skill"))
                    continue
                tools.append(
                    SkillTool(
                        name=str(tool["name"]),
                        description=r.text(tool, "description"),
                        source=str(source["sourceNamespace"]) if source.get("sourceNamespace") else None,
                        action=str(source["action"]) if source.get("action") else None,
                        instruction=str(tool["instruction"]) if "instruction" in tool else None,
                    )
                )
            metadata = {key: skill[key] for key in SKILL_FIELDS if key in skill}
            skills.append(Skill(name, r.text(skill, "description"), tuple(tools), MappingProxyType(metadata)))
        return SkillExposes(namespace, tuple(skills), r.text(raw, "description"))


def _response_media_type(r: Reader, raw: Mapping[str, Any], path: FieldPath) -> str | None:
    """The media type a REST operation's ``responses`` (or ``responseBinary``) declare binary."""
    shorthand, responses = raw.get("responseBinary"), raw.get("responses")
    if shorthand is not None and responses is not None:
        r.error((*path, "responseBinary"), "give responses or responseBinary, not both")
        return None
    if shorthand is not None:
        media = r.mapping(shorthand, (*path, "responseBinary")).get("mediaType")
        if not isinstance(media, str) or not media:
            r.error((*path, "responseBinary", "mediaType"), "responseBinary needs a mediaType")
            return None
        return media
    for status, response in r.mapping(responses, (*path, "responses")).items():
        content = response.get("content") if isinstance(response, Mapping) else None
        for media, spec in (content or {}).items() if isinstance(content, Mapping) else ():
            if isinstance(spec, Mapping) and spec.get("binary") is True and str(status).startswith("2"):
                return str(media)
    return None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _hints(raw: Mapping[str, Any], function: Function | None) -> Hints:
    """Tool hints: the format's defaults, then the function's semantics, then the tool's own hints."""
    hints = Hints()
    if function is not None:
        safe, idempotent = function.semantics.safe, function.semantics.idempotent
        if safe is True:
            hints = replace(hints, read_only=True, destructive=False)
        elif safe is False:
            hints = replace(hints, read_only=False)
        if idempotent is not None:
            hints = replace(hints, idempotent=idempotent)
    own = {
        "read_only": raw.get("readOnly"),
        "destructive": raw.get("destructive"),
        "idempotent": raw.get("idempotent"),
        "open_world": raw.get("openWorld"),
    }
    return replace(hints, **{k: v for k, v in own.items() if isinstance(v, bool)})
