"""Which tools an MCP caller may see and call: the deployment's hard deny and read-only callers (pure).

The operator narrows what the function serves with MCP_TOOLS_INCLUDE / MCP_TOOLS_EXCLUDE
(comma-separated globs over ``<capability>__<tool>``, or ``tag:<tag>`` for a capability's
``info.tags`` and a tool's own beta4 ``tags``) and MCP_READ_ONLY (only tools whose hints say
readOnly). A caller may be narrowed further to read-only tools: a token without the
MCP_OAUTH_WRITE_SCOPE scope, or one of the token secret's ``readOnlyTokens``.

A tool the policy denies is not there: absent from tools/list and from search, and calling it is
the error an unknown name gets, before anything is run. Every endpoint applies the same policy.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from fnmatch import fnmatchcase

TAG = "tag:"


@dataclass(frozen=True, slots=True)
class ToolPolicy:
    include: tuple[str, ...] = ()  # empty: every tool
    exclude: tuple[str, ...] = ()
    read_only: bool = False  # the deployment serves readOnly tools only

    @classmethod
    def from_settings(cls, include: str | None, exclude: str | None, read_only: bool) -> ToolPolicy:
        return cls(_patterns(include), _patterns(exclude), read_only)

    @property
    def open(self) -> bool:
        """Nothing is denied (the common case: no filtering work at all)."""
        return not (self.include or self.exclude or self.read_only)

    def for_caller(self, read_only: bool) -> ToolPolicy:
        """The policy for a caller allowed read-only tools only, when ``read_only``."""
        return ToolPolicy(self.include, self.exclude, True) if read_only and not self.read_only else self

    def allows(self, capability: str, tool: str, *, read_only: bool, tags: Collection[str] = ()) -> bool:
        """Whether ``<capability>__<tool>`` is served: included (when includes are given), not
        excluded, and read-only when the policy says so."""
        if self.read_only and not read_only:
            return False
        name = f"{capability}__{tool}"
        if self.include and not any(_matches(p, name, tags) for p in self.include):
            return False
        return not any(_matches(p, name, tags) for p in self.exclude)


def _patterns(text: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (text or "").split(",") if p.strip())


def _matches(pattern: str, name: str, tags: Collection[str]) -> bool:
    if pattern.startswith(TAG):  # tags are words people write: Billing and billing are one tag
        wanted = pattern[len(TAG) :].lower()
        return any(fnmatchcase(tag.lower(), wanted) for tag in tags)
    return fnmatchcase(name, pattern)
