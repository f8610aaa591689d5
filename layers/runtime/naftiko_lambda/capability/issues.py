"""A problem found in a capability file, located by its field path (pure).

Severities: ``error`` (the file is not served), ``unserved`` (one operation, tool, resource or
prompt cannot run and is left out; the rest of the file is served), ``schema`` (where the
file departs from the format's JSON Schema, which the runtime does not need), ``warning``. Loading, and so
`validate`, `compile`, `serve` and `template`, fail only on errors; `validate --strict` also on
unserved operations and schema departures.
"""

from __future__ import annotations

from dataclasses import dataclass

FieldPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class SpecIssue:
    severity: str  # "error" | "unserved" | "schema" | "warning"
    path: FieldPath
    message: str

    @property
    def fails_validation(self) -> bool:
        """The file is not served (the loader's one rule)."""
        return self.severity == "error"

    @property
    def fails_strict(self) -> bool:
        """`validate --strict`: not served, or not served whole, or not as the schema says."""
        return self.severity in ("error", "unserved", "schema")

    @property
    def field(self) -> str:
        """``("capability", "consumes", 0, "baseUri")`` -> ``capability.consumes[0].baseUri``."""
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
        return out or "(document)"
