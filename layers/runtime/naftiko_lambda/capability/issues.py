"""A problem found in a capability file, located by its field path (pure).

Severities: ``error`` (the file is not served), ``unserved`` (one operation, tool, resource or
prompt cannot run and is left out; the rest of the file is served), ``warning``. ``validate``
fails on both errors and unserved operations; loading fails only on errors.
"""

from __future__ import annotations

from dataclasses import dataclass

FieldPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class SpecIssue:
    severity: str  # "error" | "unserved" | "warning"
    path: FieldPath
    message: str

    @property
    def fails_validation(self) -> bool:
        return self.severity in ("error", "unserved")

    @property
    def field(self) -> str:
        """``("capability", "consumes", 0, "baseUri")`` -> ``capability.consumes[0].baseUri``."""
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
        return out or "(document)"
