"""Names the importer makes: kebab-case identifiers, upper-snake variables, JSON pointers (pure).

``kebab("ListBillableMetrics")`` gives ``list-billable-metrics``; ``upper_snake("suger")`` gives
``SUGER``; ``pointer("paths", "/pets/{id}", "get")`` gives ``/paths/~1pets~1{id}/get``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD_BREAK = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z]{2})")
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]+")
PARAM_NAME = re.compile(r"^[A-Za-z0-9_*-]+$")
"""What the format accepts as a parameter name (IdentifierExtended)."""


def kebab(text: str) -> str:
    """Lower kebab-case: camelCase and PascalCase words split, anything not alphanumeric a hyphen."""
    spaced = _WORD_BREAK.sub("-", text)
    return _NOT_ALNUM.sub("-", spaced).strip("-").lower()


def upper_snake(text: str) -> str:
    """``m3ter-billjob`` -> ``M3TER_BILLJOB``; a leading digit gets an ``X`` (variables start with a letter)."""
    snake = kebab(text).replace("-", "_").upper() or "API"
    return snake if snake[0].isalpha() else "X" + snake


def namespace_of(title: str) -> str:
    """A default namespace from the document's title: ``Suger API`` -> ``suger``."""
    words = kebab(title).split("-")
    while len(words) > 1 and words[-1] in ("api", "apis", "openapi", "spec", "service"):
        words.pop()
    return "-".join(w for w in words if w) or "api"


def operation_name(method: str, path: str) -> str:
    """A name for an operation without ``operationId``: ``DELETE /widgets/{id}`` -> ``delete-widgets-id``."""
    return kebab(f"{method} {path}") or method.lower()


def unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name-2``, ``name-3``... : the first one not in ``taken`` (which it joins)."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}-{n}"
    taken.add(candidate)
    return candidate


def pointer(*parts: str | int) -> str:
    """A JSON pointer (RFC 6901) from unescaped reference tokens."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def join_pointer(base: str, parts: Iterable[str | int]) -> str:
    """``base`` (``/paths/...`` or ``file.yaml#/...``) extended by ``parts``."""
    return base + pointer(*parts)
