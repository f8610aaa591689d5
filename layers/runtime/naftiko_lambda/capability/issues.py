"""A problem found in a capability file, located by its field path (pure)."""

from __future__ import annotations

from dataclasses import dataclass

FieldPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class SpecIssue:
    severity: str  # "error" | "warning"
    path: FieldPath
    message: str

    @property
    def field(self) -> str:
        """``("capability", "consumes", 0, "baseUri")`` -> ``capability.consumes[0].baseUri``."""
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
        return out or "(document)"
