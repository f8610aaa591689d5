"""MCP Lambda handler: cold start against a floor, and side by side with fastmcp's from_openapi.

1. Cold start: a fresh process imports the MCP handler and answers tools/list (function URL
   event) for all five capabilities, against a floor measured in the same run: a fresh process
   importing the mcp SDK's server pieces + mangum. Target <= 1.15x.
2. Warm, in-process: tools/list and tools/call medians through the handler (loopback upstream).
3. The nearest peer: fastmcp's FastMCP.from_openapi serving the same operations, from an OpenAPI
   document generated from our specs and pointed at the same loopback upstream. Both apps are
   driven as ASGI apps in-process (no server, no Lambda adapter): cold start (fresh process:
   import + build + first tools/list) and warm tools/call, ours over theirs.
   Needs `pip install fastmcp==4.1.0` (./dev bench installs it); skipped with a note otherwise.

    python bench/mcp_handler.py [--runs 7] [--calls 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(ROOT))
from _stats import fresh_interleaved, median  # noqa: E402

TOKEN = "bench-token-0123456789abcdef0123456789"  # 32+ characters, as the MCP handler requires
LIST = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
CALL_TOOL = ("suger-metering", "get-billable-metric", {"orgId": "org-1", "billableMetricId": "bm-1"})

FLOOR = """
import json, time
t0 = time.perf_counter()
from mcp.server import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
import mangum
print(json.dumps({"total": (time.perf_counter() - t0) * 1e3}))
"""

OURS_LAMBDA = """
import json, time
t0 = time.perf_counter()
from naftiko_lambda.exposes.mcp.handler import handler
event = json.load(open({event!r}))
event["headers"]["authorization"] = "Bearer {token}"
response = handler(event, None)
assert response["statusCode"] == 200, response
assert len(json.loads(response["body"])["result"]["tools"]) == 50
print(json.dumps({{"total": (time.perf_counter() - t0) * 1e3}}))
"""

OURS_ASGI = """
import asyncio, json, os, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {bench!r})
from _asgi import AsgiDriver
from naftiko_lambda.exposes.mcp.handler import build_mcp_app
from naftiko_lambda.settings import Settings
app = build_mcp_app(Settings.from_environ(os.environ))
async def main():
    driver = AsgiDriver(app, lifespan=False)
    status, body = await driver.post("/mcp", {list_}, {{"authorization": "Bearer {token}", "mcp-protocol-version": "2025-11-25"}})
    assert status == 200 and len(body["result"]["tools"]) == 50, (status, body)
asyncio.run(main())
print(json.dumps({{"total": (time.perf_counter() - t0) * 1e3}}))
"""

PEER_ASGI = """
import asyncio, json, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {bench!r})
from _asgi import AsgiDriver
import httpx2
from fastmcp import FastMCP
spec = json.load(open({openapi!r}))
mcp = FastMCP.from_openapi(spec, client=httpx2.AsyncClient(base_url=spec["servers"][0]["url"]), name="peer")
app = mcp.http_app(path="/mcp", stateless_http=True, json_response=True)
async def main():
    driver = AsgiDriver(app, lifespan=True)
    await driver.start()
    status, body = await driver.post("/mcp", {list_}, {{"mcp-protocol-version": "2025-11-25"}})
    assert status == 200 and len(body["result"]["tools"]) > 0, (status, body)
    await driver.stop()
asyncio.run(main())
print(json.dumps({{"total": (time.perf_counter() - t0) * 1e3}}))
"""


def upstream_openapi(base_url: str) -> dict[str, Any]:
    """OpenAPI 3.1 for the consumed operations behind every seed MCP tool (for the peer)."""
    from naftiko_lambda.capability.load import load_capabilities

    paths: dict[str, Any] = {}
    for capability in load_capabilities(ROOT / "capabilities"):
        for tool in capability.tools:
            consumed = tool.call
            assert consumed is not None  # the seeds' tools are single calls
            path = "".join(p if isinstance(p, str) else "{" + p.name + "}" for p in consumed.path.parts)
            params, body = [], None
            for item in tool.inputs:
                param = consumed.param(item.name)
                where = param.location if param else "query"
                if where == "body":
                    body = item
                    continue
                schema: dict[str, Any] = {"type": item.type}
                if item.type == "array":
                    schema["items"] = {"type": "string"}
                params.append(
                    {
                        "name": item.name,
                        "in": "path" if where == "path" else "query",
                        "required": where == "path" or item.required,
                        "schema": schema,
                    }
                )
            operation: dict[str, Any] = {
                "operationId": f"{capability.name}-{tool.name}",
                "summary": tool.description,
                "parameters": params,
                "responses": {"200": {"description": "ok"}},
            }
            if body is not None:
                operation["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            paths.setdefault(path, {})[consumed.method.lower()] = operation
    # One operation per path and method: where two seeds cover the same upstream operation
    # (m3ter.yaml overlaps the per-tag files) the peer serves it once.
    return {
        "openapi": "3.1.0",
        "info": {"title": "seeds", "version": "1"},
        "servers": [{"url": base_url}],
        "paths": paths,
    }


async def warm_calls(
    app: Any, lifespan: bool, name: str, arguments: dict[str, Any], calls: int, headers: dict[str, str]
) -> list[float]:
    sys.path.insert(0, str(Path(__file__).parent))
    from _asgi import AsgiDriver

    driver = AsgiDriver(app, lifespan)
    await driver.start()
    payload = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": name, "arguments": arguments}}
    status, body = await driver.post("/mcp", payload, headers)
    assert status == 200 and not body["result"].get("isError"), body
    times = []
    for _ in range(calls):
        t = time.perf_counter()
        await driver.post("/mcp", payload, headers)
        times.append(time.perf_counter() - t)
    await driver.stop()
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()

    from naftiko_lambda.capability.load import compile_capabilities, load_capabilities
    from naftiko_lambda.settings import base_uri_variable

    from tests.support.upstream import Reply, UpstreamServer

    capabilities = load_capabilities(ROOT / "capabilities")
    compile_capabilities(sorted((ROOT / "capabilities").glob("*.yaml")))
    event = ROOT / "events" / "mcp-tools-list.function-url.json"
    with UpstreamServer() as upstream, tempfile.TemporaryDirectory() as tmp:
        upstream.reply(Reply(200, {"id": "bj-1", "status": "PENDING"}))
        os.environ.update(
            CAPABILITIES_DIR=str(ROOT / "capabilities"),
            MCP_BEARER_TOKENS=TOKEN,
            M3TER_API_KEY="k",
            M3TER_TOKEN="k",
            SUGER_API_KEY="Key k",
            POWERTOOLS_LOG_LEVEL="WARNING",
        )
        for capability in capabilities:
            for namespace in capability.consumes:
                os.environ[base_uri_variable(namespace)] = upstream.url

        cold = fresh_interleaved({"floor": FLOOR, "ours": OURS_LAMBDA.format(event=str(event), token=TOKEN)}, args.runs)
        floor, ours = median(cold["floor"], "total"), median(cold["ours"], "total")
        print(f"MCP cold start, 5 capabilities (87 tools), {args.runs} fresh processes, medians")
        print(f"  floor (import mcp server pieces + mangum)   : {floor:7.1f} ms")
        print(
            f"  naftiko MCP handler, first tools/list       : {ours:7.1f} ms   ratio {ours / floor:.2f}x (target <= 1.15x)"
        )

        from naftiko_lambda.exposes.mcp.handler import build_mcp_app, create_handler
        from naftiko_lambda.settings import Settings

        handler = create_handler(Settings.from_environ(os.environ))
        list_event = json.loads(event.read_text())
        list_event["headers"]["authorization"] = f"Bearer {TOKEN}"
        call_event = json.loads((ROOT / "events" / "mcp-tools-call.function-url.json").read_text())
        call_event["headers"]["authorization"] = f"Bearer {TOKEN}"
        for sample in (list_event, call_event):
            assert handler(sample, None)["statusCode"] == 200
        timings: dict[str, list[float]] = {"tools/list": [], "tools/call": []}
        for _ in range(args.calls):
            for label, sample in (("tools/list", list_event), ("tools/call", call_event)):
                t = time.perf_counter()
                handler(sample, None)
                timings[label].append(time.perf_counter() - t)
        print(f"MCP warm through the Lambda handler, {args.calls} requests each, medians")
        for label, values in timings.items():
            print(f"  {label:10}: {statistics.median(values) * 1e3:7.3f} ms")

        try:
            import fastmcp  # noqa: F401
        except ImportError:
            print("peer comparison skipped: pip install fastmcp==4.1.0")
            return
        spec_file = Path(tmp) / "seeds-openapi.json"
        spec_file.write_text(json.dumps(upstream_openapi(upstream.url)))
        bench_dir = str(Path(__file__).parent)
        peers = fresh_interleaved(
            {
                "ours": OURS_ASGI.format(bench=bench_dir, list_=LIST, token=TOKEN),
                "peer": PEER_ASGI.format(bench=bench_dir, openapi=str(spec_file), list_=LIST),
            },
            args.runs,
        )
        ours_cold, peer_cold = median(peers["ours"], "total"), median(peers["peer"], "total")

        import httpx2
        from fastmcp import FastMCP

        spec = json.loads(spec_file.read_text())
        peer = FastMCP.from_openapi(spec, client=httpx2.AsyncClient(base_url=upstream.url), name="peer")
        peer_app = peer.http_app(path="/mcp", stateless_http=True, json_response=True)
        ours_app = build_mcp_app(Settings.from_environ(os.environ))
        cap, tool, arguments = CALL_TOOL
        modern = {"mcp-protocol-version": "2025-11-25"}
        ours_warm = asyncio.run(
            warm_calls(
                ours_app, False, f"{cap}__{tool}", arguments, args.calls, {**modern, "authorization": f"Bearer {TOKEN}"}
            )
        )
        # fastmcp names a tool after its operationId in snake case.
        peer_tool = f"{cap}-{tool}".replace("-", "_")
        peer_warm = asyncio.run(warm_calls(peer_app, True, peer_tool, arguments, args.calls, modern))
    o, p = statistics.median(ours_warm) * 1e3, statistics.median(peer_warm) * 1e3
    print("Side by side with fastmcp 4.1.0 FastMCP.from_openapi (same operations, same upstream, ASGI in-process)")
    print(f"  {'':28} {'naftiko':>10} {'fastmcp':>10} {'ours/theirs':>12}")
    print(f"  {'cold start + tools/list ms':28} {ours_cold:10.1f} {peer_cold:10.1f} {ours_cold / peer_cold:11.2f}x")
    print(f"  {'warm tools/call ms (median)':28} {o:10.3f} {p:10.3f} {o / p:11.2f}x")


if __name__ == "__main__":
    main()
