"""Scope: what a template or ``with`` value sees during one invocation; and the binding of a call's
arguments from it (pure).

A compiled ``with`` value (capability/plan.py decides which) is evaluated here: an input
reference reads the caller's input (matched case-insensitively, so ``{orgid}`` feeds ``orgId``),
a step reference reads an earlier step's output, a template is rendered, a literal is itself.
A Scope is the ``Values`` consumes/ builds requests from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..capability.binds import bind_qualifiers
from ..capability.model import Auth, BoundVariable, CallStep, Capability, InputRef, Json, Plan, StepRef
from ..capability.plan import input_qualifiers
from ..capability.templates import Template, Var
from ..consumes.auth import field_value, key_name
from ..consumes.values import MISSING, Credentials, as_text, lookup


@dataclass(frozen=True, slots=True)
class Scope:
    """What a template or ``with`` value can see during one invocation.

    ``{{tools.x}}`` (an input qualifier) reads input ``x``; ``{{get-ship.name}}`` reads the
    ``name`` field of step ``get-ship``'s output; a bare ``{{x}}`` reads the current call's
    argument, then the input, then the bind variable; ``{{env.X}}`` and ``{{<bind-namespace>.X}}``
    read bind variables only.
    """

    inputs: Mapping[str, Json]
    credentials: Credentials
    input_qualifiers: frozenset[str]
    bind_qualifiers: frozenset[str]
    binds: Mapping[str, BoundVariable]
    arguments: Mapping[str, Json] = field(default_factory=dict)
    results: Mapping[str, Json] = field(default_factory=dict)  # step name -> its output
    argument_names: frozenset[str] = frozenset()  # lower-cased names the operation maps: never a credential
    omitted_inputs: frozenset[str] = frozenset()  # lower-cased declared inputs: left out, not credentials

    def resolve(self, var: Var) -> Json:
        """The variable's value (a Secret for bound variables), or MISSING."""
        if var.qualifier in self.input_qualifiers:
            return lookup(self.inputs, var.name)
        if var.qualifier is not None and var.qualifier in self.results:
            found = self.results[var.qualifier]
            return lookup(found, var.name) if isinstance(found, Mapping) else MISSING
        if var.qualifier is None or var.qualifier not in self.bind_qualifiers:
            found = lookup(self.arguments, var.name)
            if found is MISSING:
                found = lookup(self.inputs, var.name)
            if found is not MISSING or var.qualifier is not None:
                return found
            lowered = var.name.lower()
            if (lowered in self.argument_names or lowered in self.omitted_inputs) and var.name not in self.binds:
                return MISSING  # an optional argument the caller left out, not a bound variable
        return self.credentials.get(var.name)

    def render(self, template: Template, escape: Callable[[str], str] = str) -> str | None:
        """Render to text; None when any variable is MISSING (the whole value is then left out)."""
        out = []
        for part in template.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            value = self.resolve(part)
            if value is MISSING or value is None:
                return None
            out.append(escape(as_text(value)))
        return "".join(out)

    def value(self, template: Template) -> Json:
        """A template that is exactly ``{{x}}`` keeps x's type; otherwise render to text."""
        var = template.single_var
        if var is not None:
            resolved = self.resolve(var)
            return as_text(resolved) if hasattr(resolved, "reveal") else resolved
        rendered = self.render(template)
        return MISSING if rendered is None else rendered

    def mustache(self, template: Template) -> Json:
        """Mustache rendering for mock values: ``{{x}}`` alone keeps x's type (missing: None);
        inside text a missing value renders as nothing (``"Hello, {{name}}!"`` -> ``"Hello, !"``)."""
        var = template.single_var
        if var is not None:
            resolved = self.resolve(var)
            return None if resolved is MISSING else as_text(resolved) if hasattr(resolved, "reveal") else resolved
        out = []
        for part in template.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            resolved = self.resolve(part)
            out.append("" if resolved is MISSING or resolved is None else as_text(resolved))
        return "".join(out)

    def evaluate(self, value: Any) -> Json:
        """A compiled ``with`` / lookup / mapping value -> its value now, or MISSING."""
        if isinstance(value, InputRef):
            return lookup(self.inputs, value.name)
        if isinstance(value, StepRef):
            if value.step not in self.results:
                return MISSING
            return value.path.evaluate(self.results[value.step])
        if isinstance(value, Template):
            return self.value(value)
        return value

    def without_credentials(self) -> Scope:
        """This scope for what goes back to the caller (output values, mocks): a bind variable
        renders as nothing, so no template of a file can hand a secret to whoever calls it."""
        return replace(self, credentials=_NO_CREDENTIALS)

    def for_credentials(self) -> Scope:
        """This scope for an authentication block: credentials are bound variables, so an input
        the caller left out never stands in for one (an optional input "api_key" must not hide
        the environment's API_KEY)."""
        return replace(self, omitted_inputs=frozenset())

    def auth_field(self, auth: Auth, name: str) -> str:
        """The text of an authentication block's field. Raises CredentialError when it is unset."""
        return field_value(auth, name, self)

    def auth_key_name(self, auth: Auth) -> str:
        """The header or query parameter an apikey block names (``X-API-Key`` when it names none)."""
        return key_name(auth, self)


class _NoCredentials:
    def get(self, key: str) -> Any:
        return MISSING


_NO_CREDENTIALS = _NoCredentials()


def make_scope(
    capability: Capability,
    plan: Plan,
    inputs: Mapping[str, Json],
    credentials: Credentials,
    declared: Iterable[str] = (),
) -> Scope:
    """The scope of one invocation of ``plan`` (no call arguments, no step results yet);
    ``declared``: the operation's input names, given or not."""
    names = {k.lower() for step in plan.calls for k in step.with_} | {k.lower() for k in inputs}
    return Scope(
        inputs=inputs,
        credentials=credentials,
        input_qualifiers=plan.qualifiers | frozenset(input_qualifiers()),
        bind_qualifiers=bind_qualifiers(capability),
        binds=capability.binds,
        argument_names=frozenset(names),
        omitted_inputs=frozenset(k.lower() for k in declared if k not in inputs),
    )


def call_scope(scope: Scope, step: CallStep, results: Mapping[str, Json]) -> Scope:
    """The scope of one call step: earlier steps' outputs, and the step's bound arguments."""
    with_results = replace(scope, results=results, arguments={})
    return replace(with_results, arguments=bind_arguments(step, with_results))


def bind_arguments(step: CallStep, scope: Scope) -> dict[str, Json]:
    """The consumed operation's arguments: inputs passed through by name, then ``with`` on top."""
    arguments: dict[str, Json] = {}
    consumed = step.operation
    placeholders = {v.name.lower() for v in consumed.path.variables}
    for name, value in scope.inputs.items():
        if consumed.param(name) is not None or name.lower() in placeholders:
            arguments[name] = value
    for key, spec_value in step.with_.items():
        value = scope.evaluate(spec_value)
        # Drop a passed-through input of the same name in another case ("orgid" vs "orgId").
        for existing in [k for k in arguments if k.lower() == key.lower() and k != key]:
            del arguments[existing]
        if value is MISSING or value is None:
            arguments.pop(key, None)
        else:
            arguments[key] = value
    return arguments
