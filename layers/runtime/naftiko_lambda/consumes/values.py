"""What the upstream request builders ask of the values they are given (pure).

consumes/ builds requests from a ``Values``: the current call's arguments and the rendering of
templates. The runner's Scope (runner/scope.py) is one; consumes never needs to know more of
it. ``MISSING`` marks a variable with no value, ``as_text`` says how a value travels in a URL,
a header or a text body.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # types only: what a cold start never builds
    from ..capability.model import Json
    from ..capability.templates import Template, Var

MISSING: Any = object()
"""A variable with no value: an optional input the caller left out."""


class Credentials(Protocol):
    def get(self, key: str) -> Any: ...  # -> Secret; raises CredentialError


class Values(Protocol):
    """The values one upstream call is built from."""

    @property
    def arguments(self) -> Mapping[str, Json]: ...

    def resolve(self, var: Var) -> Json: ...

    def value(self, template: Template) -> Json: ...

    def render(self, template: Template, escape: Callable[[str], str] = ...) -> str | None: ...


def lookup(values: Mapping[str, Json], name: str) -> Json:
    """``values[name]``, else the case-insensitive match, else MISSING."""
    if name in values:
        return values[name]
    lowered = name.lower()
    for key, value in values.items():
        if key.lower() == lowered:
            return value
    return MISSING


def as_text(value: Json) -> str:
    """How a value travels in a URL, header or text body: ``True`` -> ``true``, objects as JSON."""
    if hasattr(value, "reveal"):
        return str(value.reveal())
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)
