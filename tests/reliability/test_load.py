"""A bounded load test on loopback against `naftiko-lambda serve`: zero failed or lost requests,
every write reaching the upstream exactly once. (A bigger run: python bench/load.py.)"""

from __future__ import annotations

import time
from pathlib import Path

from ..support.load import run_load, serve_process, summary, writes_received
from ..support.reliability import record

CLIENTS = 50
PER_CLIENT = 6


def test_mixed_load_loses_nothing(tmp_path: Path) -> None:
    with serve_process(tmp_path / "serve.log") as base:
        started = time.perf_counter()
        result = run_load(base, CLIENTS, PER_CLIENT)
        seconds = time.perf_counter() - started
        counts = writes_received(base)
    text = summary(result, CLIENTS, PER_CLIENT, seconds)
    print("\n" + text)
    assert len(result.all) == CLIENTS * PER_CLIENT
    assert result.failures == []
    assert len(result.writes) == CLIENTS * PER_CLIENT // 2
    assert all(counts.get(w) == 1 for w in result.writes), "a write was lost or sent twice"
    record(
        "load",
        f"{CLIENTS} concurrent clients x {PER_CLIENT} requests against serve (REST GET/POST, MCP tools/call list/create)",
        CLIENTS * PER_CLIENT,
        f"0 failed, {len(result.writes)} writes each upstream exactly once; p50 {result.percentile(50):.1f} ms, p99 {result.percentile(99):.1f} ms",
    )
