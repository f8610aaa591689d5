"""`import openapi` on Suger's document: import time, and the MCP cold start it buys.

1. Import time: a fresh process reads suger-openapi.yml (1.3 MB), converts it and renders the
   capability (done once, offline, and committed), against the floor of only parsing the YAML.
2. MCP cold start, side by side with fastmcp 4.1.0 `FastMCP.from_openapi`, which converts the
   document in-process at every cold start: a fresh process imports the server, builds it and
   answers its first tools/list, both driven as ASGI apps in-process (no server, no Lambda
   adapter), alternating run by run, medians. Ours serves the imported capability with its
   compile cache (`naftiko-lambda compile`, as deployed) and without. The peer is handed the
   document as JSON (its fastest parse), pointed at the same loopback upstream. Target: ours
   at least 3x faster.
   Needs `pip install fastmcp==4.1.0`; the peer comparison is skipped with a note otherwise.

    python bench/import_openapi.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(ROOT))
from _stats import fresh_interleaved, median  # noqa: E402

SUGER = ROOT.parent / "shared" / "openapi" / "suger-openapi.yml"
TOKEN = "bench-token-0123456789abcdef0123456789"  # 32+ characters, as the MCP handler requires
LIST = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}

IMPORT = """
import json, time
from pathlib import Path
t0 = time.perf_counter()
from naftiko_lambda.cli.importer import ImportOptions, import_document, read_document, render
document = read_document(Path({source!r}))
(file,) = import_document(document, ImportOptions(namespace="suger", today="2026-01-01"))
text = render(file.mapping, [], file.issues)
assert file.operations == 105
print(json.dumps({{"total": (time.perf_counter() - t0) * 1e3}}))
"""

PARSE_ONLY = """
import json, time
t0 = time.perf_counter()
import yaml
yaml.load(open({source!r}, "rb").read(), Loader=yaml.CSafeLoader)
print(json.dumps({{"total": (time.perf_counter() - t0) * 1e3}}))
"""

OURS = """
import asyncio, json, os, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {bench!r})
from _asgi import AsgiDriver
from naftiko_lambda.exposes.mcp.handler import build_mcp_app
from naftiko_lambda.settings import Settings
app = build_mcp_app(Settings.from_environ({{**os.environ, "CAPABILITIES_DIR": {folder!r}}}))
async def main():
    driver = AsgiDriver(app, lifespan=False)
    headers = {{"authorization": "Bearer {token}", "mcp-protocol-version": "2025-11-25"}}
    status, body = await driver.post("/mcp", {list_}, headers)
    assert status == 200 and len(body["result"]["tools"]) == 50, (status, body)
asyncio.run(main())
print(json.dumps({{"total": (time.perf_counter() - t0) * 1e3}}))
"""

PEER = """
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
    assert status == 200 and len(body["result"]["tools"]) >= 105, (status, len(body["result"]["tools"]))
    await driver.stop()
asyncio.run(main())
print(json.dumps({{"total": (time.perf_counter() - t0) * 1e3}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    from naftiko_lambda.capability.load import compile_capabilities
    from naftiko_lambda.cli.importer import ImportOptions, import_document, read_document, render
    from naftiko_lambda.settings import base_uri_variable

    from tests.support.upstream import UpstreamServer

    with UpstreamServer() as upstream, tempfile.TemporaryDirectory() as tmp:
        document = read_document(SUGER)
        (file,) = import_document(document, ImportOptions(namespace="suger", today="2026-01-01"))
        cold, cached = Path(tmp) / "plain", Path(tmp) / "compiled"
        cold.mkdir()
        (cold / "suger.yaml").write_text(render(file.mapping, [], file.issues))
        shutil.copytree(cold, cached)
        compile_capabilities([cached / "suger.yaml"])
        os.environ.update(
            MCP_BEARER_TOKENS=TOKEN,
            SUGER_API_KEY="Key k",
            POWERTOOLS_LOG_LEVEL="WARNING",
            **{base_uri_variable("suger"): upstream.url},
        )
        bench = str(Path(__file__).parent)
        imports = fresh_interleaved(
            {"parse": PARSE_ONLY.format(source=str(SUGER)), "import": IMPORT.format(source=str(SUGER))}, args.runs
        )
        parse, took = median(imports["parse"], "total"), median(imports["import"], "total")
        print(f"import openapi, suger-openapi.yml (1.3 MB, 106 operations), {args.runs} fresh processes, medians")
        print(f"  floor: parse the YAML only           : {parse:7.1f} ms")
        print(f"  read + convert + render (105 tools)  : {took:7.1f} ms   ratio {took / parse:.2f}x the parse")

        try:
            import fastmcp  # noqa: F401
        except ImportError:
            print("peer comparison skipped: pip install fastmcp==4.1.0")
            return
        spec = dict(document.root)  # read_document's copy: dates as text, JSON-ready
        spec["servers"] = [{"url": upstream.url}]
        openapi = Path(tmp) / "suger-openapi.json"
        openapi.write_text(json.dumps(spec))
        common = {"bench": bench, "list_": LIST, "token": TOKEN}
        runs = fresh_interleaved(
            {
                "peer": PEER.format(openapi=str(openapi), **common),
                "ours": OURS.format(folder=str(cached), **common),
                "ours-nocache": OURS.format(folder=str(cold), **common),
            },
            args.runs,
        )
    peer = median(runs["peer"], "total")
    ours, nocache = median(runs["ours"], "total"), median(runs["ours-nocache"], "total")
    print("MCP cold start to the first tools/list (fresh process, ASGI in-process), medians")
    print(f"  fastmcp 4.1.0 from_openapi (JSON document)      : {peer:7.1f} ms")
    print(
        f"  naftiko, imported capability + compile cache    : {ours:7.1f} ms   {peer / ours:.2f}x faster (target >= 3x)"
    )
    print(f"  naftiko, imported capability, YAML parsed cold  : {nocache:7.1f} ms   {peer / nocache:.2f}x faster")


if __name__ == "__main__":
    main()
