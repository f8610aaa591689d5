"""Rows for RELIABILITY.md: each reliability test records what it tried and what came out.

`python scripts/reliability.py` runs tests/reliability with NAFTIKO_RELIABILITY_REPORT set and
renders the rows; without the variable, recording is a no-op.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

ROWS: list[dict[str, object]] = []


def record(area: str, what: str, cases: int, outcome: str) -> None:
    ROWS.append({"area": area, "what": what, "cases": cases, "outcome": outcome})


def write_report() -> None:
    target = os.environ.get("NAFTIKO_RELIABILITY_REPORT")
    if target and ROWS:
        Path(target).write_text(json.dumps(ROWS, indent=2))
