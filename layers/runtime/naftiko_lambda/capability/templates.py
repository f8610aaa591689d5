"""Every placeholder form of the format, owned here: templates compiled once at load time (pure).

``compile_template("Bearer {{env.TOKEN}}")`` gives
``Template(parts=("Bearer ", Var(qualifier="env", name="TOKEN")))``. Only plain variables are
supported: the real files use no sections, partials or filters. Paths, base URIs and resource
URIs take both dialects, the format's ``{{x}}`` and OpenAPI's ``{x}`` (``compile_path``); what
is built from them (a REST route, a route's collision key, a resource URI's pattern, an
imported path's check) is derived from that one parse.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

_MUSTACHE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
# Path placeholders come in both dialects: the format's {{x}} and OpenAPI's {x}.
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}|\{([^{}]+)\}")
_IDENTIFIER_PATH = re.compile(r"(?:[^{}]|\{[A-Za-z_][A-Za-z0-9_-]*\})*")


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


def fill(template: Template, value: Any) -> str:
    """The template with each variable replaced by ``value(var)`` (text)."""
    return "".join(part if isinstance(part, str) else str(value(part)) for part in template.parts)


def route_path(spec_path: str) -> str:
    """``/a/{{id}}/b/{x}/`` -> ``/a/{id}/b/{x}``: a REST route, one placeholder dialect, no trailing slash."""
    path = fill(compile_path(spec_path.strip()), lambda var: "{" + str(var) + "}")
    if not path.startswith("/"):
        path = "/" + path
    return path.rstrip("/") or "/"


def route_key(spec_path: str) -> str:
    """What makes two REST routes the same route: ``/A/{id}`` and ``/a/{{x}}/`` both give ``/a/{}``."""
    return fill(compile_path(spec_path.strip().rstrip("/")), lambda var: "{}").lower()


def uri_pattern(template: str) -> tuple[re.Pattern[str], list[str]]:
    """``data://users/{userId}/profile`` -> (a regex with one group per placeholder, their names)."""
    compiled = compile_path(template)
    regex = "".join(re.escape(part) if isinstance(part, str) else "([^/]+)" for part in compiled.parts)
    return re.compile(regex), [str(var) for var in compiled.variables]


def has_identifier_placeholders_only(path: str) -> bool:
    """True when every brace of ``path`` belongs to a ``{identifier}`` placeholder (what the
    importer writes as a template: ``{env.X}``, ``{{x}}`` or a stray ``}`` would be a variable)."""
    return _IDENTIFIER_PATH.fullmatch(path) is not None


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
