"""run(): one exposed operation's plan, called with the caller's inputs -> Outcome.

The single runner of every plan: tools, REST operations and MCP resources alike. It runs the
plan's steps in order, each kind by its function in STEP_KINDS: a call step binds its arguments
(scope.py), builds the request (consumes/: base URI, path, query, headers, body, auth), sends it
through the transport and decodes the answer; a lookup step searches an earlier step's output.
Consecutive call steps that do not use each other's outputs run concurrently. Then the plan's
output rule builds the result (outputs.py). Raises only errors from errors.py; an error in an
orchestration names its step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Protocol

from ..capability.model import DEFAULT_BINARY_BYTES, CallStep, Capability, Input, Json, LookupStep, Plan, Step, StepRef
from ..capability.templates import Template
from ..consumes.auth import apply_auth
from ..consumes.request import UpstreamRequest, build_request, resolve_base_uri
from ..consumes.response import UpstreamResponse, decode_response
from ..consumes.scrub import Recording, scrub, scrub_value, secrets_of
from ..consumes.values import MISSING, as_text
from ..deadline import Deadline, now_or_default
from ..errors import NaftikoError, UpstreamError, UpstreamInvalidResponse
from .outputs import Outcome, plan_result, with_named_fields
from .scope import Scope, call_scope, make_scope
from .seams import RefreshableCredentials, Transport, Upstreams

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
"""Methods a call may be sent twice with (RFC 9110 section 9.2.2)."""
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that change nothing upstream (RFC 9110 section 9.2.1)."""
MAX_PARALLEL_CALLS = 4
"""Most upstream calls of one orchestration in flight at once."""
SECRET_REFRESH_BUDGET_S = 6.0
"""Least time left for a forced secret fetch (connect + read timeouts) and one more call (seconds)."""


class Runnable(Protocol):
    """What run() runs: a REST operation, an MCP tool or an MCP resource."""

    @property
    def name(self) -> str: ...

    @property
    def inputs(self) -> tuple[Input, ...]: ...

    @property
    def plan(self) -> Plan | None: ...


def run(
    capability: Capability,
    operation: Runnable,
    inputs: Mapping[str, Json],
    *,
    credentials: RefreshableCredentials,
    transport: Transport,
    upstreams: Upstreams,
    deadline: Deadline | None = None,
    effects: list[str] | None = None,
) -> Outcome:
    """Run ``operation``'s plan with the caller's (checked) ``inputs``, within ``deadline``.

    ``effects``, when given, receives the name of every call that may have changed something
    upstream (sent, not a read, not refused): the idempotency guard reads it after a failure.

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
    scope = make_scope(capability, plan, inputs, credentials, declared)
    statics = {i.name: scope.value(i.static) for i in operation.inputs if i.static is not None}
    if statics:
        scope = make_scope(capability, plan, {**inputs, **statics}, credentials, declared)
    noted = effects if effects is not None else []
    limit = getattr(operation, "max_binary", 0) or DEFAULT_BINARY_BYTES
    context = _Context(capability, plan, scope, credentials, transport, upstreams, deadline, noted, limit)
    status = _run_steps(context, results)
    final = replace(scope, results=results, arguments={}).without_credentials()
    return Outcome(status if not plan.orchestrated and plan.steps else 200, plan_result(plan, final))


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
    effects: list[str]  # calls that may have changed something upstream (run's caller reads it)
    binary_limit: int  # the most bytes a binary answer may have (the operation's maxBinarySize)


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


def _step(context: _Context, step: Step, results: Mapping[str, Json]) -> tuple[int, Json]:
    try:
        return STEP_KINDS[type(step)](context, step, results)
    except NaftikoError as exc:
        if context.plan.orchestrated:
            exc.step = step.name
        raise


def _call_step(context: _Context, step: Step, results: Mapping[str, Json]) -> tuple[int, Json]:
    """Call a consumed operation with the step's arguments."""
    assert isinstance(step, CallStep)
    recording = Recording(context.credentials)  # every secret this call uses, to mask in its answer
    scope = call_scope(replace(context.scope, credentials=recording), step, results)
    orchestrated = context.plan.orchestrated
    name = f"{step.name} ({step.operation.ref})" if orchestrated else step.operation.ref
    context.deadline.check(name)
    status, document = _call(context, step, scope, name, recording)
    if orchestrated:
        document = with_named_fields(step.operation.outputs, document, scope.without_credentials())
    return status, document


def _lookup_step(context: _Context, step: Step, results: Mapping[str, Json]) -> tuple[int, Json]:
    """The elements of an earlier step's array whose ``match`` field equals (as text) the looked-up
    value, or each of the looked-up values, projected to the listed fields: a list of matches
    for a list of values (unmatched ones left out), one match or None for a value."""
    assert isinstance(step, LookupStep)
    scope = replace(context.scope, results=results)
    table = scope.results.get(step.index)
    if not isinstance(table, list):
        raise UpstreamInvalidResponse(step.name, f"lookup {step.name}: the output of step {step.index} is not an array")
    wanted = scope.evaluate(step.value)
    by_key: dict[str, Json] = {}
    for entry in table:
        if isinstance(entry, Mapping) and entry.get(step.match) is not None:
            by_key.setdefault(as_text(entry[step.match]), entry)  # the first entry with a key wins

    def project(entry: Json) -> Json:
        if not step.fields or not isinstance(entry, Mapping):
            return entry
        return {name: entry.get(name) for name in step.fields}

    if isinstance(wanted, list):
        return 200, [project(by_key[as_text(v)]) for v in wanted if v is not None and as_text(v) in by_key]
    if wanted is MISSING or wanted is None:
        return 200, None
    found = by_key.get(as_text(wanted))
    return 200, None if found is None else project(found)


STEP_KINDS: dict[type, Callable[[_Context, Step, Mapping[str, Json]], tuple[int, Json]]] = {
    CallStep: _call_step,
    LookupStep: _lookup_step,
}
"""Every kind of step a plan holds, and the function that runs it."""


def _call(context: _Context, step: CallStep, scope: Scope, name: str, recording: Recording) -> tuple[int, Json]:
    consumed = step.operation
    consumes = context.capability.consumes[consumed.namespace]
    # The base URI is configuration, not a secret: read it without recording (it is not masked).
    override = context.upstreams.base_uri(consumes.namespace)
    base = resolve_base_uri(consumes.base_uri, context.credentials, override, name)
    unsigned = build_request(consumed, scope, base, op_name=name)
    if consumed.binary:
        unsigned = replace(unsigned, max_bytes=context.binary_limit)
    request = apply_auth(unsigned, consumes.auth, scope.for_credentials())
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
        request = apply_auth(unsigned, consumes.auth, scope.for_credentials())
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
