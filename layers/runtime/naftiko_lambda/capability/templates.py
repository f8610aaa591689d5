"""Mustache-style templates of the spec, compiled once at load time (pure).

``compile_template("Bearer {{env.TOKEN}}")`` gives
``Template(parts=("Bearer ", Var(qualifier="env", name="TOKEN")))``. Only plain variables are
supported: the real files use no sections, partials or filters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

_MUSTACHE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
# Path placeholders come in both dialects: the format's {{x}} and OpenAPI's {x}.
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}|\{([^{}]+)\}")


@dataclass(frozen=True, slots=True)
class Var:
    """One ``{{qualifier.name}}`` reference; ``qualifier`` is None for a bare ``{{name}}``."""

    qualifier: str | None
    name: str

    def __str__(self) -> str:
        return f"{self.qualifier}.{self.name}" if self.qualifier else self.name


@dataclass(frozen=True, slots=True)
class Template:
    """A string split into literal text and variables."""

    parts: tuple[str | Var, ...]

    @property
    def variables(self) -> tuple[Var, ...]:
        return tuple(p for p in self.parts if isinstance(p, Var))

    @property
    def single_var(self) -> Var | None:
        """The variable when the template is exactly one ``{{x}}`` (its value keeps its type)."""
        return self.parts[0] if len(self.parts) == 1 and isinstance(self.parts[0], Var) else None


def parse_var(expr: str) -> Var:
    """``"env.X"`` -> Var("env", "X"); ``"$this.ns.x"`` -> Var("ns", "x"); ``"x"`` -> Var(None, "x")."""
    expr = expr.strip()
    if expr.startswith("$this."):
        expr = expr[len("$this.") :]
    elif expr.startswith("$"):
        expr = expr[1:]
    qualifier, dot, name = expr.rpartition(".")
    if not dot:
        return Var(None, name)
    # "$this.ns.resource.x" style: keep the first segment as the qualifier.
    return Var(qualifier.split(".")[0], name)


def _split(text: str, pattern: re.Pattern[str]) -> Template:
    parts: list[str | Var] = []
    pos = 0
    for match in pattern.finditer(text):
        if match.start() > pos:
            parts.append(text[pos : match.start()])
        parts.append(parse_var(next(g for g in match.groups() if g is not None)))
        pos = match.end()
    if pos < len(text):
        parts.append(text[pos:])
    return Template(tuple(parts))


def compile_template(text: str) -> Template:
    """Split ``text`` on ``{{...}}`` into literals and variables."""
    return _split(text, _MUSTACHE)


def compile_path(path: str) -> Template:
    """A path or base URI with ``{x}`` or ``{{x}}`` placeholders: ``/a/{id}`` -> ("/a/", Var(None, "id"))."""
    return _split(path, _PLACEHOLDER)


def body_templates(data: Any) -> Iterator[Template]:
    """Every templated string of a JSON tree (a ``body:`` template, a mock value), compiled."""
    pending = [data]
    while pending:
        node = pending.pop()
        if isinstance(node, Mapping):
            pending.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            pending.extend(reversed(node))
        elif isinstance(node, str) and "{{" in node:
            yield compile_template(node)
