"""Inputs + ``with`` -> arguments of the consumed operation; templates -> values (pure).

A ``with`` value is one of: an input reference (``rest.x``, ``tools.x``, ``<exposes-ns>.x``:
input ``x``, matched case-insensitively so ``{orgid}`` feeds ``orgId``), a Mustache template, or
a literal (any other string, a number, a list).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from ..capability.check import input_reference
from ..capability.model import BoundVariable, Capability, ExposedOperation, Json
from ..capability.templates import Template, Var

MISSING: Any = object()
"""A variable with no value: an optional input the caller left out."""


class Credentials(Protocol):
    def get(self, key: str) -> Any: ...  # -> Secret; raises CredentialError


def lookup(values: Mapping[str, Json], name: str) -> Json:
    """``values[name]``, else the case-insensitive match, else MISSING."""
    if name in values:
        return values[name]
    lowered = name.lower()
    for key, value in values.items():
        if key.lower() == lowered:
            return value
    return MISSING


@dataclass(frozen=True, slots=True)
class Scope:
    """What a template can see during one invocation."""

    inputs: Mapping[str, Json]
    arguments: Mapping[str, Json]
    credentials: Credentials
    input_qualifiers: frozenset[str]
    bind_qualifiers: frozenset[str]
    binds: Mapping[str, BoundVariable]
    argument_names: frozenset[str] = frozenset()  # lower-cased names the operation maps: never a credential

    def resolve(self, var: Var) -> Json:
        """The variable's value (a Secret for bound keys), or MISSING."""
        if var.qualifier in self.input_qualifiers:
            return lookup(self.inputs, var.name)
        if var.qualifier is None or var.qualifier not in self.bind_qualifiers:
            found = lookup(self.arguments, var.name)
            if found is MISSING:
                found = lookup(self.inputs, var.name)
            if found is not MISSING or var.qualifier is not None:
                return found
            if var.name.lower() in self.argument_names and var.name not in self.binds:
                return MISSING  # an optional argument the caller left out, not a bound variable
        return self.credentials.get(var.name)

    def render(self, template: Template, escape: Any = str) -> str | None:
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


def as_text(value: Json) -> str:
    """How a value travels in a URL, header or text body: ``True`` -> ``true``, objects as JSON."""
    if hasattr(value, "reveal"):
        return str(value.reveal())
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def make_scope(
    capability: Capability, operation: ExposedOperation, inputs: Mapping[str, Json], credentials: Credentials
) -> Scope:
    base = Scope(
        inputs=inputs,
        arguments={},
        credentials=credentials,
        input_qualifiers=frozenset({"rest", "tools", operation.exposes_namespace}),
        bind_qualifiers=frozenset(capability.bind_namespaces | {"env"}),
        binds=capability.binds,
        argument_names=frozenset(k.lower() for k in operation.with_) | {p.name.lower() for p in operation.params},
    )
    return replace(base, arguments=bind_arguments(operation, base))


def bind_arguments(operation: ExposedOperation, scope: Scope) -> dict[str, Json]:
    """The consumed operation's arguments: inputs passed through by name, then ``with`` on top."""
    arguments: dict[str, Json] = {}
    consumed = operation.call
    placeholders = {v.name.lower() for v in consumed.path.variables}
    for name, value in scope.inputs.items():
        if consumed.param(name) is not None or name.lower() in placeholders:
            arguments[name] = value
    for key, spec_value in operation.with_.items():
        ref = input_reference(spec_value, operation.exposes_namespace)
        if ref is not None:
            value = lookup(scope.inputs, ref)
        elif isinstance(spec_value, Template):
            value = scope.value(spec_value)
        else:
            value = spec_value
        # Drop a passed-through input of the same name in another case ("orgid" vs "orgId").
        for existing in [k for k in arguments if k.lower() == key.lower() and k != key]:
            del arguments[existing]
        if value is MISSING or value is None:
            arguments.pop(key, None)
        else:
            arguments[key] = value
    return arguments
