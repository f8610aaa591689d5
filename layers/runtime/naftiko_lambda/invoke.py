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
from typing import Any, Protocol

from .capability.model import CallStep, Capability, Input, Json, Plan, Step, StepRef
from .capability.templates import Template
from .compose import plan_result, run_lookup, with_named_fields
from .consumes.auth import apply_auth
from .consumes.bind import Credentials, Scope, call_scope, make_scope
from .consumes.request import UpstreamRequest, build_request, resolve_base_uri
from .consumes.response import Outcome, UpstreamResponse, decode_response
from .consumes.scrub import Recording, scrub, scrub_value, secrets_of
from .deadline import Deadline, now_or_default
from .errors import NaftikoError, UpstreamError
from .observability import record_upstream_call, upstream_span

BASE_URI_PREFIX = "UPSTREAM_BASE_URI_"
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
"""Methods a call may be sent twice with (RFC 9110 section 9.2.2)."""
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that change nothing upstream (RFC 9110 section 9.2.1)."""
MAX_PARALLEL_CALLS = 4
"""Most upstream calls of one orchestration in flight at once."""
SECRET_REFRESH_BUDGET_S = 6.0
"""Least time left for a forced secret fetch (connect + read timeouts) and one more call (seconds)."""


class Transport(Protocol):
    def send(self, request: UpstreamRequest, operation: str, deadline: Deadline | None = None) -> UpstreamResponse: ...


class LazyTransport:
    """The urllib3 transport, imported on the first upstream call rather than on the cold start
    (~30 ms an MCP tools/list, a mock or a REST 400 never needs)."""

    def __init__(self) -> None:
        self._transport: Transport | None = None

    def send(self, request: UpstreamRequest, operation: str, deadline: Deadline | None = None) -> UpstreamResponse:
        if self._transport is None:
            from .consumes.transport import Urllib3Transport

            self._transport = Urllib3Transport()
        return self._transport.send(request, operation, deadline)


class RefreshableCredentials(Credentials, Protocol):
    @property
    def refreshable(self) -> bool: ...

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
    """Where each consumes namespace is sent when its spec ``baseUri`` is overridden: ``base_uris``
    by namespace, else the ``UPSTREAM_BASE_URI_<NAMESPACE>`` variable of ``environ``, looked up on
    use (so no capability needs loading to know its overrides)."""

    base_uris: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    environ: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Upstreams:
        return cls(environ=environ)  # read by name on use, never listed (template_env's check)

    def base_uri(self, namespace: str) -> str | None:
        """The override of ``namespace``'s base URI, or None: the spec's ``baseUri`` applies."""
        return self.base_uris.get(namespace) or self.environ.get(base_uri_variable(namespace)) or None


def run(
    capability: Capability,
    operation: Runnable,
    inputs: Mapping[str, Json],
    *,
    credentials: RefreshableCredentials,
    transport: Transport,
    upstreams: Upstreams,
    deadline: Deadline | None = None,
) -> Outcome:
    """Run ``operation``'s plan with the caller's (checked) ``inputs``, within ``deadline``.

    Raises:
        InvocationError: an input is missing or unusable (names the parameter).
        CredentialError: a bound variable has no value.
        UpstreamError (and subclasses): an upstream failed, with its status and body; UpstreamTimeout
            when the deadline passes first.
    """
    deadline = deadline or now_or_default()
    plan = operation.plan
    if plan is None:
        raise ValueError(f"{operation.name} has no plan to run")  # a static MCP resource: read, not run
    declared = [i.name for i in operation.inputs]  # an omitted optional input is never a credential
    results: dict[str, Json] = {}
    effects: list[str] = []
    try:
        scope = make_scope(capability, plan, inputs, credentials, declared)
        statics = {i.name: scope.value(i.static) for i in operation.inputs if i.static is not None}
        if statics:
            scope = make_scope(capability, plan, {**inputs, **statics}, credentials, declared)
        context = _Context(capability, plan, scope, credentials, transport, upstreams, deadline, effects)
        status = _run_steps(context, results)
    except Exception as exc:
        # For the idempotency guard: may this failed run have changed something upstream?
        exc.effects_possible = bool(effects)  # type: ignore[attr-defined]
        raise
    final = replace(scope, results=results, arguments={})
    return Outcome(status if not plan.orchestrated and plan.steps else 200, plan_result(plan, final))


def _run_steps(context: _Context, results: dict[str, Json]) -> int:
    """Run the plan's steps in order (independent calls together); the last call's status."""
    status = 200
    for group in _groups(context.plan.steps):
        if len(group) > 1:
            with ThreadPoolExecutor(min(len(group), MAX_PARALLEL_CALLS)) as pool:
                futures = [pool.submit(_step, context, step, dict(results)) for step in group]
                done = [f.result() for f in futures]
        else:
            done = [_step(context, group[0], dict(results))]
        for step, (step_status, output) in zip(group, done, strict=True):
            results[step.name] = output
            status = step_status
    return status


@dataclass(frozen=True, slots=True)
class _Context:
    """What every step of one invocation shares."""

    capability: Capability
    plan: Plan
    scope: Scope
    credentials: RefreshableCredentials
    transport: Transport
    upstreams: Upstreams
    deadline: Deadline
    effects: list[str]  # calls that may have changed something upstream (run() reads it on failure)


def _step(context: _Context, step: Step, results: Mapping[str, Json]) -> tuple[int, Json]:
    orchestrated = context.plan.orchestrated
    try:
        if not isinstance(step, CallStep):
            return 200, run_lookup(step, replace(context.scope, results=results))
        recording = Recording(context.credentials)  # every secret this call uses, to mask in its answer
        scope = call_scope(replace(context.scope, credentials=recording), step, results)
        name = f"{step.name} ({step.operation.ref})" if orchestrated else step.operation.ref
        context.deadline.check(name)
        status, document = _call(context, step, scope, name, recording)
        if orchestrated:
            document = with_named_fields(step.operation.outputs, document, scope)
        return status, document
    except NaftikoError as exc:
        if orchestrated:
            exc.step = step.name
        raise


def _call(context: _Context, step: CallStep, scope: Scope, name: str, recording: Recording) -> tuple[int, Json]:
    consumed = step.operation
    consumes = context.capability.consumes[consumed.namespace]
    # The base URI is configuration, not a secret: read it without recording (it is not masked).
    plain = replace(scope, credentials=context.credentials)
    base = resolve_base_uri(consumes.base_uri, plain, context.upstreams.base_uri(consumes.namespace), name)
    unsigned = build_request(consumed, scope, base, op_name=name)
    request = apply_auth(unsigned, consumes.auth, scope)
    response = _send(context, request, name)
    # The key may have been rotated since we cached it: fetch it afresh for the next call, and
    # re-send this one only when sending it twice cannot write twice and there is time to.
    credentials = context.credentials
    if (
        response.status == 401
        and consumes.auth is not None
        and credentials.refreshable
        and context.deadline.remaining() > SECRET_REFRESH_BUDGET_S
        and credentials.refresh()
        and unsigned.method in IDEMPOTENT
    ):
        request = apply_auth(unsigned, consumes.auth, scope)
        response = _send(context, request, name)
    secrets = secrets_of(request, recording.values)
    clean = scrub(response, secrets)
    try:
        document = decode_response(consumed, clean, name)
    except UpstreamError as exc:
        exc.body = scrub_value(exc.body, secrets)
        raise
    return clean.status, scrub_value(document, secrets)


def _send(context: _Context, request: UpstreamRequest, name: str) -> UpstreamResponse:
    """Send, noting a request that may have changed something: not a read, and not refused
    (a 4xx, or 503: the upstream did not act on it) or never sent."""
    try:
        response = context.transport.send(request, name, context.deadline)
    except UpstreamError as exc:
        if exc.sent and request.method not in SAFE:
            context.effects.append(name)
        raise
    refused = 400 <= response.status < 500 or response.status == 503
    if request.method not in SAFE and (response.after_write or not refused):
        context.effects.append(name)
    return response


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
    idempotency: Any = None  # exposes/idempotency.Guard: runs writes that carry an idempotency key
    _credentials: dict[str, RefreshableCredentials] = field(default_factory=dict)

    def credentials_for(self, capability: Capability) -> RefreshableCredentials:
        found = self._credentials.get(capability.name)
        if found is None:
            found = self._credentials[capability.name] = self.credentials_factory(capability)
        return found

    def call(
        self, capability: Capability, operation: Runnable, inputs: Mapping[str, Json], deadline: Deadline | None = None
    ) -> Outcome:
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
                    deadline=deadline,
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
