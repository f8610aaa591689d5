"""A bounded load run against `naftiko-lambda serve` (sandbox upstream), REST and MCP mixed.

Each client thread keeps one HTTP/1.1 connection and sends its share of requests in a fixed
rotation: REST GET, REST POST (a write), MCP tools/call list, MCP tools/call create (a write).
Every write carries a unique ``load_id``; afterwards the sandbox's record must hold each exactly
once. Used by tests/reliability/test_load.py (small) and bench/load.py (bigger).
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "load-test-mcp-token-0123456789abcdef0123"


@contextmanager
def serve_process(log: Path) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith(("_API_KEY", "_TOKEN")) and not k.startswith(("UPSTREAM_BASE_URI_", "MCP_"))
    }
    env["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    env["MCP_BEARER_TOKENS"] = TOKEN
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "naftiko_lambda.cli",
                "serve",
                "--capabilities",
                str(ROOT / "capabilities"),
                "--port",
                str(port),
                "--sandbox",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(base + "/_sandbox/requests", timeout=1).read()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("serve did not start: " + log.read_text()) from None
                    time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=10)


@dataclass
class LoadResult:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)

    def add(self, kind: str, seconds: float) -> None:
        self.latencies.setdefault(kind, []).append(seconds)

    @property
    def all(self) -> list[float]:
        return [v for values in self.latencies.values() for v in values]

    def percentile(self, p: float, kind: str | None = None) -> float:
        values = sorted(self.latencies[kind] if kind else self.all)
        return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] * 1000


def _client(base: str, count: int, offset: int, result: LoadResult, lock: threading.Lock) -> None:
    host = base.removeprefix("http://")
    connection = http.client.HTTPConnection(host, timeout=30)
    mcp_headers = {
        "content-type": "application/json",
        "accept": "application/json, text/event-stream",
        "authorization": f"Bearer {TOKEN}",
        "mcp-protocol-version": "2025-11-25",
    }
    try:
        for i in range(count):
            kind = ("rest-get", "rest-post", "mcp-list", "mcp-create")[(i + offset) % 4]
            load_id = str(uuid.uuid4())
            if kind == "rest-get":
                request = ("GET", "/m3ter-billjob/v1/organizations/org-1/billjobs?pageSize=5", None, {})
            elif kind == "rest-post":
                request = (
                    "POST",
                    "/m3ter-billjob/v1/organizations/org-1/billjobs",
                    {"load_id": load_id},
                    {"content-type": "application/json"},
                )
            elif kind == "mcp-list":
                call = {
                    "jsonrpc": "2.0",
                    "id": i,
                    "method": "tools/call",
                    "params": {"name": "suger-metering__list-billable-metrics", "arguments": {"orgId": "org-1"}},
                }
                request = ("POST", "/mcp", call, {**mcp_headers, "mcp-method": "tools/call"})
            else:
                call = {
                    "jsonrpc": "2.0",
                    "id": i,
                    "method": "tools/call",
                    "params": {
                        "name": "suger-metering__create-billable-metric",
                        "arguments": {"orgId": "org-1", "body": {"load_id": load_id}},
                    },
                }
                request = ("POST", "/mcp", call, {**mcp_headers, "mcp-method": "tools/call"})
            method, path, body, headers = request
            started = time.perf_counter()
            try:
                connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                ok = response.status in (200, 201)
                if ok and kind.startswith("mcp"):
                    ok = not json.loads(payload)["result"].get("isError")
            except (OSError, http.client.HTTPException, ValueError, KeyError) as exc:
                ok, payload = False, repr(exc).encode()
                connection.close()
                connection = http.client.HTTPConnection(host, timeout=30)
            elapsed = time.perf_counter() - started
            with lock:
                result.add(kind, elapsed)
                if not ok:
                    result.failures.append(f"{kind}: {payload[:200]!r}")
                if kind in ("rest-post", "mcp-create"):
                    result.writes.append(load_id)
    finally:
        connection.close()


def run_load(base: str, clients: int, per_client: int) -> LoadResult:
    result, lock = LoadResult(), threading.Lock()
    threads = [threading.Thread(target=_client, args=(base, per_client, n, result, lock)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return result


def writes_received(base: str) -> dict[str, int]:
    """load_id -> how many times the sandbox upstream received that write."""
    with urllib.request.urlopen(base + "/_sandbox/requests", timeout=30) as response:
        records = json.loads(response.read())
    counts: dict[str, int] = {}
    for record in records:
        body = record.get("body")
        if record["method"] == "POST" and isinstance(body, dict) and "load_id" in body:
            counts[body["load_id"]] = counts.get(body["load_id"], 0) + 1
    return counts


def summary(result: LoadResult, clients: int, per_client: int, seconds: float) -> str:
    lines = [
        f"{clients} clients x {per_client} requests = {clients * per_client} in {seconds:.1f} s ({clients * per_client / seconds:.0f} req/s), failures {len(result.failures)}"
    ]
    lines.append(f"  all      p50 {result.percentile(50):7.1f} ms  p99 {result.percentile(99):7.1f} ms")
    for kind in sorted(result.latencies):
        lines.append(
            f"  {kind:9} p50 {result.percentile(50, kind):7.1f} ms  p99 {result.percentile(99, kind):7.1f} ms  (n={len(result.latencies[kind])}, median {statistics.median(result.latencies[kind]) * 1000:.1f} ms)"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> Any:  # pragma: no cover - bench entry
    import argparse
    import tempfile

    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=40, help="per client")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, serve_process(Path(tmp) / "serve.log") as base:
        started = time.perf_counter()
        result = run_load(base, args.clients, args.requests)
        seconds = time.perf_counter() - started
        counts = writes_received(base)
    print(summary(result, args.clients, args.requests, seconds))
    duplicated = [w for w in result.writes if counts.get(w, 0) != 1]
    print(f"writes {len(result.writes)}, each received exactly once: {not duplicated} ({len(duplicated)} off)")
    return result
