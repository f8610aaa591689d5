"""Tiny helpers shared by the benchmarks: run a snippet in fresh processes, take medians."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys


def fresh(code: str, runs: int) -> list[dict[str, float]]:
    """Run ``code`` (which prints one JSON object of timings) in ``runs`` fresh interpreters."""
    results = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def median(results: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in results)
