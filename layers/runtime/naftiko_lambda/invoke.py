"""run(): one exposed operation's plan, called with the caller's inputs -> Outcome.

The single entry both adapters (REST and MCP) call, for tools, REST operations and MCP resources
alike. It runs the plan's steps in order: a call step binds its arguments, builds the request
(base URI, path, query, headers, body, auth), sends it and decodes the answer; a lookup step
searches an earlier step's output (compose.py). Consecutive call steps that do not use each
other's outputs run concurrently. Then the plan's output rule builds the result. Raises only
errors from errors.py; an error in an orchestration names its step.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Protocol

from .capability.model import CallStep, Capability, Input, Json, Plan, Step, StepRef
from .capability.templates import Template
from .compose import plan_result, run_lookup, with_named_fields
from .consumes.auth import apply_auth
from .consumes.bind import Credentials, Scope, call_scope, make_scope
from .consumes.request import UpstreamRequest, build_request, resolve_base_uri
from .consumes.response import Outcome, UpstreamResponse, decode_response
from .errors import NaftikoError, UpstreamError
from .observability import record_upstream_call, upstream_span

BASE_URI_PREFIX = "UPSTREAM_BASE_URI_"
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
"""Methods a call may be sent twice with (RFC 9110 section 9.2.2)."""
MAX_PARALLEL_CALLS = 4
"""Most upstream calls of one orchestration in flight at once."""


class Transport(Protocol):
    def send(self, request: UpstreamRequest, operation: str) -> UpstreamResponse: ...


class RefreshableCredentials(Credentials, Protocol):
    @property
    def uses_secret_store(self) -> bool: ...

    def refresh(self) -> bool: ...


class Runnable(Protocol):
    """What run() runs: a REST operation, an MCP tool or an MCP resource."""

    @property
    def name(self) -> str: ...

    @property
    def inputs(self) -> tuple[Input, ...]: ...

    @property
    def plan(self) -> Plan | None: ...


def base_uri_variable(namespace: str) -> str:
    """``m3ter-billjob`` -> ``UPSTREAM_BASE_URI_M3TER_BILLJOB``."""
    return BASE_URI_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", namespace).upper()


@dataclass(frozen=True, slots=True)
class Upstreams:
    """Where each consumes namespace is sent when its spec ``baseUri`` is overridden."""

    base_uris: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], capabilities: tuple[Capability, ...]) -> Upstreams:
        found = {}
        for capability in capabilities:
            for namespace in capability.consumes:
                value = environ.get(base_uri_variable(namespace))
                if value:
                    found[namespace] = value
        return cls(MappingProxyType(found))


def run(
    capability: Capability,
    operation: Runnable,
    inputs: Mapping[str, Json],
    *,
    credentials: RefreshableCredentials,
    transport: Transport,
    upstreams: Upstreams,
) -> Outcome:
    """Run ``operation``'s plan with the caller's (checked) ``inputs``.

    Raises:
        InvocationError: an input is missing or unusable (names the parameter).
        CredentialError: a bound variable has no value.
        UpstreamError (and subclasses): an upstream failed, with its status and body.
    """
    plan = operation.plan
    if plan is None:
        raise ValueError(f"{operation.name} has no plan to run")  # a static MCP resource: read, not run
    scope = make_scope(capability, plan, inputs, credentials)
    statics = {i.name: scope.value(i.static) for i in operation.inputs if i.static is not None}
    if statics:
        scope = make_scope(capability, plan, {**inputs, **statics}, credentials)
    results: dict[str, Json] = {}
    status = 200
    for group in _groups(plan.steps):
        if len(group) > 1:
            with ThreadPoolExecutor(min(len(group), MAX_PARALLEL_CALLS)) as pool:
                futures = [
                    pool.submit(_step, capability, step, plan, scope, results, credentials, transport, upstreams)
                    for step in group
                ]
                done = [f.result() for f in futures]
        else:
            done = [_step(capability, group[0], plan, scope, results, credentials, transport, upstreams)]
        for step, (step_status, output) in zip(group, done, strict=True):
            results[step.name] = output
            status = step_status
    final = replace(scope, results=results, arguments={})
    return Outcome(status if not plan.orchestrated and plan.steps else 200, plan_result(plan, final))


def _step(
    capability: Capability,
    step: Step,
    plan: Plan,
    scope: Scope,
    results: Mapping[str, Json],
    credentials: RefreshableCredentials,
    transport: Transport,
    upstreams: Upstreams,
) -> tuple[int, Json]:
    try:
        if not isinstance(step, CallStep):
            return 200, run_lookup(step, replace(scope, results=dict(results)))
        step_scope = call_scope(scope, step, dict(results))
        name = f"{step.name} ({step.operation.ref})" if plan.orchestrated else step.operation.ref
        status, document = _call(capability, step, step_scope, name, credentials, transport, upstreams)
        if plan.orchestrated:
            document = with_named_fields(step.operation.outputs, document, step_scope)
        return status, document
    except NaftikoError as exc:
        if plan.orchestrated:
            exc.step = step.name
        raise


def _call(
    capability: Capability,
    step: CallStep,
    scope: Scope,
    name: str,
    credentials: RefreshableCredentials,
    transport: Transport,
    upstreams: Upstreams,
) -> tuple[int, Json]:
    consumed = step.operation
    consumes = capability.consumes[consumed.namespace]
    base = resolve_base_uri(consumes.base_uri, scope, upstreams.base_uris.get(consumes.namespace), name)
    unsigned = build_request(consumed, scope, base, op_name=name)
    response = transport.send(apply_auth(unsigned, consumes.auth, scope), name)
    # The key may have been rotated since we cached it: fetch it afresh for the next call, and
    # re-send this one only when sending it twice cannot write twice.
    if (
        response.status == 401
        and consumes.auth is not None
        and credentials.uses_secret_store
        and credentials.refresh()
        and unsigned.method in IDEMPOTENT
    ):
        response = transport.send(apply_auth(unsigned, consumes.auth, scope), name)
    return response.status, decode_response(consumed, response, name)


def _groups(steps: Sequence[Step]) -> list[list[Step]]:
    """Consecutive call steps that do not read each other's outputs share a group (run together)."""
    groups: list[list[Step]] = []
    for step in steps:
        current = groups[-1] if groups else None
        if (
            current is not None
            and isinstance(step, CallStep)
            and all(isinstance(s, CallStep) for s in current)
            and not _reads(step, {s.name for s in current})
        ):
            current.append(step)
        else:
            groups.append([step])
    return groups


def _reads(step: CallStep, names: set[str]) -> bool:
    for value in step.with_.values():
        if isinstance(value, StepRef) and value.step in names:
            return True
        if isinstance(value, Template) and any(v.qualifier in names for v in value.variables):
            return True
    return False


@dataclass
class Runtime:
    """What run() needs besides the capability, built once per cold start by the entry.

    Holds the transport, the base URI overrides, and one credential source per capability
    (created on first use, then reused so its secret cache lives across warm invocations).
    """

    transport: Transport
    upstreams: Upstreams
    credentials_factory: Callable[[Capability], RefreshableCredentials]
    _credentials: dict[str, RefreshableCredentials] = field(default_factory=dict)

    def credentials_for(self, capability: Capability) -> RefreshableCredentials:
        found = self._credentials.get(capability.name)
        if found is None:
            found = self._credentials[capability.name] = self.credentials_factory(capability)
        return found

    def call(self, capability: Capability, operation: Runnable, inputs: Mapping[str, Json]) -> Outcome:
        """run() plus one structured log line per invocation (never the arguments or headers),
        naming what ran: the consumed ``ns.operation`` of a single call, else the operation."""
        target = getattr(operation, "target", None) or f"resource:{operation.name}"
        started = time.perf_counter()
        status: int | str = "error"
        try:
            with upstream_span(capability.name, target):
                outcome = run(
                    capability,
                    operation,
                    inputs,
                    credentials=self.credentials_for(capability),
                    transport=self.transport,
                    upstreams=self.upstreams,
                )
            status = outcome.status
            return outcome
        except UpstreamError as exc:
            status = exc.status or type(exc).__name__
            raise
        except NaftikoError as exc:
            status = type(exc).__name__
            raise
        finally:
            record_upstream_call(capability.name, target, status, time.perf_counter() - started)
