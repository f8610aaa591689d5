"""The JSONPath subset the real files use, compiled once at load time (pure).

Supported: ``$``, ``$.``, ``$.a.b``, ``$['a']``, ``$.a[0]``, ``$.a[-1]``, ``$[*]``, ``$.a[*].b``.
``compile_jsonpath("$.data[*].id")`` gives ``JsonPath(("data", WILDCARD, "id"))``; evaluating it
over ``{"data": [{"id": 1}, {"id": 2}]}`` gives ``[1, 2]``. Anything else is a SpecError at load.
A missing key evaluates to None rather than failing: upstream bodies omit optional fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

WILDCARD = "*"
_STEP = re.compile(r"""\.([A-Za-z0-9_\-$@]+)|\[(\*|-?\d+)\]|\[['"]([^'"]+)['"]\]|\.\*""")


class JsonPathSyntaxError(ValueError):
    """The expression is outside the supported subset."""


@dataclass(frozen=True, slots=True)
class JsonPath:
    steps: tuple[str | int, ...]

    def evaluate(self, document: Any) -> Any:
        return _walk(document, self.steps)


def compile_jsonpath(expression: str) -> JsonPath:
    text = expression.strip()
    if not text.startswith("$"):
        raise JsonPathSyntaxError(f"JSONPath {expression!r} must start with '$'")
    rest = text[1:]
    if rest in ("", "."):
        return JsonPath(())
    steps: list[str | int] = []
    pos = 0
    while pos < len(rest):
        match = _STEP.match(rest, pos)
        if not match:
            raise JsonPathSyntaxError(f"JSONPath {expression!r}: unsupported syntax at {rest[pos:]!r}")
        name, index, quoted = match.groups()
        if name is not None:
            steps.append(name)
        elif quoted is not None:
            steps.append(quoted)
        elif index == "*" or match.group(0) == ".*":
            steps.append(WILDCARD)
        else:
            steps.append(int(index))
        pos = match.end()
    return JsonPath(tuple(steps))


def _walk(node: Any, steps: tuple[str | int, ...]) -> Any:
    for i, step in enumerate(steps):
        if node is None:
            return None
        if step == WILDCARD:
            items = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
            return [_walk(item, steps[i + 1 :]) for item in items]
        if isinstance(step, int):
            if not isinstance(node, list) or not -len(node) <= step < len(node):
                return None
            node = node[step]
        elif isinstance(node, dict):
            node = node.get(step)
        else:
            return None
    return node
