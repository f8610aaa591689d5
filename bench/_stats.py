"""Tiny helpers shared by the benchmarks: run snippets in fresh processes, take medians."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys


def _once(code: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def fresh(code: str, runs: int) -> list[dict[str, float]]:
    """Run ``code`` (which prints one JSON object of timings last) in ``runs`` fresh interpreters."""
    return [_once(code) for _ in range(runs)]


def fresh_interleaved(codes: dict[str, str], runs: int) -> dict[str, list[dict[str, float]]]:
    """Like fresh() for several snippets, alternating them run by run, so that drift in the
    machine's load hits every snippet alike and the ratios between them stay fair."""
    results: dict[str, list[dict[str, float]]] = {name: [] for name in codes}
    for _ in range(runs):
        for name, code in codes.items():
            results[name].append(_once(code))
    return results


def median(results: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in results)
