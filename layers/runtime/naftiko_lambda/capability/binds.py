"""What a capability may read from outside its file: its bind variables, and nothing else (pure).

A capability file is input we did not write, so the names it may look up in the environment (or
the capability's secret) are decided here, once, at load:

- a file with ``binds`` reads exactly the variables they declare (and their provider keys);
- a file with no ``binds`` (the real-world dialect writes ``{{M3TER_TOKEN}}`` bare) reads the
  names its own templates use where a bound value is read (base URI, authentication, parameter
  values and body templates that no input feeds, ``{{env.X}}``);
- a reserved runtime name (``AWS_*``, ``LAMBDA_*``, ``PYTHON*``, ``PATH``, the runtime's own
  settings such as ``MCP_*`` or ``UPSTREAM_BASE_URI_*``: ``is_reserved``) is never read from the
  environment. A template naming one that no bind declares is a load error at its field; a bind
  that declares one (AWS capabilities bind ``AWS_ACCESS_KEY_ID``) is read from the capability's
  secret or binds location only, never from the function's own (role) credentials.

Output values (``outputParameters`` ``value`` templates, mocks, mappings) never read a bind variable: what
they render goes to the caller (runner/steps.py hands them a scope without credentials).

The result is ``Capability.variables``: the credential source refuses every other name at run
time, and `naftiko-lambda template` declares exactly these on the functions.
"""

from __future__ import annotations

from collections.abc import Iterator

from .issues import FieldPath, SpecIssue
from .model import Auth, CallStep, Capability, Input, LookupStep, McpExposes, Plan, RestExposes
from .templates import Template, Var, body_templates

RESERVED_PREFIXES = (
    "AWS_",
    "LAMBDA_",
    "_",  # _HANDLER, _X_AMZN_TRACE_ID, _AWS_XRAY_*
    "PYTHON",
    "LD_",
    "SSL_",
    "MCP_",
    "POWERTOOLS_",
    "UPSTREAM_BASE_URI_",
    "CAPABILITY_",
    "CAPABILITIES_",
    "IDEMPOTENCY_",
    "REST_API_",
)
"""Prefixes of names the Lambda runtime, the interpreter or naftiko-lambda itself sets."""
RESERVED_NAMES = frozenset(
    {
        "PATH",
        "HOME",
        "TZ",
        "LANG",
        "LC_ALL",
        "PWD",
        "SHELL",
        "USER",
        "HOSTNAME",
        "TMPDIR",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "ALL_PROXY",
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
        "SSH_AUTH_SOCK",
    }
)
INTROSPECTION_CLIENT = ("OAUTH_CLIENT_ID", "OAUTH_CLIENT_SECRET")
"""What an inbound oauth2 block that introspects tokens reads: this server's own client credentials."""


def is_reserved(name: str) -> bool:
    """True for a name a capability may never read from the environment: the runtime's, Lambda's,
    the interpreter's (environment names are case-sensitive: ``hostname`` is not ``HOSTNAME``)."""
    return name in RESERVED_NAMES or name.startswith(RESERVED_PREFIXES)


def bind_qualifiers(capability: Capability) -> frozenset[str]:
    """Qualifiers that name a bind variable: ``{{env.X}}`` and ``{{<binds namespace>.X}}``."""
    return frozenset(capability.bind_namespaces | {"env"})


def bind_variables(capability: Capability) -> tuple[frozenset[str], list[SpecIssue]]:
    """(the names the capability may read, the issues found): see the module docstring."""
    issues: list[SpecIssue] = []
    declared: set[str] = set()
    for bound in capability.binds.values():
        where: FieldPath = ("binds", bound.namespace, "keys", bound.name)
        for name in dict.fromkeys((bound.name, bound.provider_key)):
            declared.add(name)
            if is_reserved(name):
                message = (
                    f"{name!r} is a reserved runtime name: it is read from the capability's secret or binds "
                    "location only, never from the environment"
                )
                issues.append(SpecIssue("warning", where, message))
    used: set[str] = set()
    for where, var in credential_reads(capability):
        if is_reserved(var.name) and var.name not in capability.binds:
            issues.append(SpecIssue("error", where, _reserved(var.name)))
        elif capability.binds and var.name not in capability.binds:
            issues.append(
                SpecIssue(
                    "warning",
                    where,
                    f"variable {var} is not declared in binds: it is never read from the environment or the "
                    f"secret (declare {var.name} under binds to use it)",
                )
            )
        else:
            used.add(var.name)
            if not capability.binds:
                issues.append(
                    SpecIssue(
                        "warning",
                        where,
                        f"variable {var} is not declared in binds: it is read from the environment variable {var.name}",
                    )
                )
    readable = declared if capability.binds else used
    if _introspects(capability):
        readable |= set(INTROSPECTION_CLIENT)
    return frozenset(readable), _unique(issues)


def _reserved(name: str) -> str:
    return (
        f"{name!r} is a reserved runtime name: a capability may not read it from the environment "
        "(choose a name of your own, or declare it under binds to read it from the capability's secret)"
    )


def _unique(issues: list[SpecIssue]) -> list[SpecIssue]:
    return list(dict.fromkeys(issues))


def _introspects(capability: Capability) -> bool:
    blocks: list[RestExposes | McpExposes] = [*capability.rest, *capability.mcp]
    return any(b.auth is not None and b.auth.type == "oauth2" and _introspection(b.auth) for b in blocks)


def _introspection(auth: Auth) -> bool:
    return auth.text("tokenValidation") == "introspection"


def credential_reads(capability: Capability) -> Iterator[tuple[FieldPath, Var]]:
    """Every place a template reads a bound value (``Scope.resolve`` reaching the credentials),
    with the variable it reads: the one walk over a capability's templates."""
    qualifiers = bind_qualifiers(capability)
    for consumes in capability.consumes.values():
        at: FieldPath = ("capability", "consumes", consumes.namespace)
        for var in consumes.base_uri.variables:  # every base URI variable is configuration
            yield (*at, "baseUri"), var
        yield from _auth_reads(consumes.auth, (*at, "authentication"), qualifiers)
    blocks: tuple[RestExposes | McpExposes, ...] = (*capability.rest, *capability.mcp)
    for block in blocks:
        yield from _auth_reads(block.auth, ("capability", "exposes", block.namespace, "authentication"), qualifiers)
    for where, inputs, plan in _runnables(capability):
        yield from _plan_reads(plan, inputs, where, qualifiers)


def _auth_reads(auth: Auth | None, where: FieldPath, qualifiers: frozenset[str]) -> Iterator[tuple[FieldPath, Var]]:
    if auth is None:
        return
    for key, template in auth.fields.items():
        for var in template.variables:
            if var.qualifier is None or var.qualifier in qualifiers:
                yield (*where, key), var


def _runnables(capability: Capability) -> Iterator[tuple[FieldPath, tuple[Input, ...], Plan]]:
    for op in (*capability.rest_operations, *capability.tools):
        yield ("capability", "exposes", op.exposes_namespace, op.name), op.inputs, op.plan
    for block in capability.mcp:
        for resource in block.resources:
            if resource.plan is not None:
                yield ("capability", "exposes", block.namespace, resource.name), resource.inputs, resource.plan
    for function in capability.functions.values():
        yield ("capability", "aggregates", function.namespace, function.name), function.inputs, function.plan


def _plan_reads(
    plan: Plan, inputs: tuple[Input, ...], where: FieldPath, qualifiers: frozenset[str]
) -> Iterator[tuple[FieldPath, Var]]:
    names = {i.name.lower() for i in inputs}
    found: list[tuple[FieldPath, Template, set[str]]] = []
    for item in inputs:
        if item.static is not None:
            found.append(((*where, "inputParameters", item.name), item.static, names))
    for step in plan.steps:
        if isinstance(step, CallStep):
            consumed = step.operation
            local = names | {k.lower() for k in step.with_}
            for key, value in step.with_.items():
                if isinstance(value, Template):
                    found.append(((*where, "with", key), value, local))
            for param in consumed.params:
                if param.value is not None:
                    found.append(((*where, "call", param.name), param.value, local))
            for template in body_templates(consumed.body.data if consumed.body else None):
                found.append(((*where, "call", "body"), template, local))
            for var in consumed.path.variables:  # an unqualified path variable is an argument, never a bind
                if var.qualifier in qualifiers:
                    yield (*where, "call", "path"), var
        elif isinstance(step, LookupStep) and isinstance(step.value, Template):
            found.append(((*where, "steps", step.name), step.value, names))
    for path, template, local in found:
        for var in template.variables:
            if var.qualifier in qualifiers or (var.qualifier is None and var.name.lower() not in local):
                yield path, var
