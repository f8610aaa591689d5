"""MCP cold start independent of how many capabilities a bundle holds (the compiled MCP index).

The bundle: every corpus file that loads and exposes MCP tools, imports nothing (its shared files
would need their own folders), one per capability name (the first in path order), copied into
one folder and compiled as `sam build` compiles it (`naftiko-lambda compile FOLDER`).

1. Cold starts, fresh processes, alternating run by run, medians:
   - floor: importing the mcp SDK's server pieces + mangum (as bench/mcp_handler.py);
   - the whole m3ter API (58 files of m3ter/2026-05-19-f04487f/, 323 tools), first tools/list
     through the Lambda handler: target <= 1.10x the floor;
   - the whole-corpus bundle, first tools/list on /mcp: target <= 2.5 s;
   - /mcp/{capability} first tools/list with the whole corpus in the bundle, against the same
     call with that capability alone in its folder: target <= 1.10x.
   With --before, the same bundle and m3ter without the index (each spec's JSON compile cache
   only: what a cold start did before), fewer runs: they take seconds each.
2. Warm, in one process: tools/list pages through the Lambda handler, p50 over every page of the
   corpus bundle visited once (each page built on its first visit), then again (kept); and page 1
   of the m3ter and seed folders: target p50 <= 2 ms at any bundle size.

    python bench/mcp_bundle.py [--runs 7] [--before] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(ROOT))
from _stats import fresh_interleaved, median  # noqa: E402
from mcp_handler import FLOOR  # noqa: E402

CORPUS = ROOT.parent / "shared" / "naftiko-corpus"
M3TER = CORPUS / "m3ter" / "2026-05-19-f04487f"
ALONE = "m3ter-account"
"""The capability of the /mcp/{capability} comparison (from the corpus bundle)."""
TOKEN = "bench-token-0123456789abcdef0123456789"
EVENT = ROOT / "events" / "mcp-tools-list.function-url.json"

FIRST_LIST = """
import json, os, time
t0 = time.perf_counter()
os.environ.update(CAPABILITIES_DIR={folder!r}, MCP_BEARER_TOKENS={token!r}, POWERTOOLS_LOG_LEVEL="WARNING")
from naftiko_lambda.exposes.mcp.handler import handler
event = json.load(open({event!r}))
event["headers"]["authorization"] = "Bearer {token}"
event["rawPath"] = event["requestContext"]["http"]["path"] = {path!r}
response = handler(event, None)
assert response["statusCode"] == 200, response
assert json.loads(response["body"])["result"]["tools"], response
print(json.dumps({{"total": (time.perf_counter() - t0) * 1e3}}))
"""

SELECT = """
import json, sys
from pathlib import Path
from naftiko_lambda.capability.load import load_capability
from naftiko_lambda.errors import SpecError
corpus = Path(sys.argv[1])
chosen = {}
for file in sorted(p for p in corpus.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()):
    if file.stem in chosen:
        continue
    try:
        capability = load_capability(file)
    except SpecError:
        continue
    if capability.tools and not capability.imports:
        chosen[file.stem] = [str(file), len(capability.tools)]
print(json.dumps(chosen))
"""


def build_bundle(target: Path) -> tuple[int, int]:
    """Copy the bundle's files into ``target``; (capabilities, tools)."""
    out = subprocess.run([sys.executable, "-c", SELECT, str(CORPUS)], capture_output=True, text=True, check=True)
    chosen = json.loads(out.stdout)
    target.mkdir(parents=True)
    for source, _ in chosen.values():
        shutil.copy(source, target / Path(source).name)
    return len(chosen), sum(count for _, count in chosen.values())


def compile_folder(folder: Path) -> float:
    started = time.perf_counter()
    command = [sys.executable, "-m", "naftiko_lambda.cli", "compile", str(folder)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def uncompiled_copy(folder: Path, target: Path) -> Path:
    """The folder with each spec's JSON compile cache but no MCP index: a cold start before."""
    shutil.copytree(folder, target)
    shutil.rmtree(target / ".naftiko-cache" / "mcp")
    return target


def first_list(folder: Path, path: str = "/mcp") -> str:
    return FIRST_LIST.format(folder=str(folder), token=TOKEN, event=str(EVENT), path=path)


def warm_pages(folder: Path, rounds: int) -> tuple[list[float], list[float], int]:
    """(first visit of every page, later visits, pages) through one warm Lambda handler."""
    from naftiko_lambda.exposes.mcp.handler import create_handler
    from naftiko_lambda.settings import Settings

    os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"  # not the unserved operations' warnings again, here
    environ = {"CAPABILITIES_DIR": str(folder), "MCP_BEARER_TOKENS": TOKEN}
    handler = create_handler(Settings.from_environ(environ))
    template = json.loads(EVENT.read_text())
    template["headers"]["authorization"] = f"Bearer {TOKEN}"

    def page(cursor: str | None) -> tuple[float, str | None]:
        event = json.loads(json.dumps(template))
        params: dict[str, Any] = {"cursor": cursor} if cursor else {}
        event["body"] = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": params})
        started = time.perf_counter()
        response = handler(event, None)
        elapsed = time.perf_counter() - started
        assert response["statusCode"] == 200, response
        return elapsed, json.loads(response["body"])["result"].get("nextCursor")

    page(None)  # the cold start, not measured here
    cursors: list[str | None] = [None]
    first: list[float] = []
    while True:
        elapsed, cursor = page(cursors[-1])
        if len(cursors) > 1:
            first.append(elapsed)
        if not cursor:
            break
        cursors.append(cursor)
    again = [page(cursor)[0] for _ in range(rounds) for cursor in cursors]
    return first or again, again, len(cursors)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--before", action="store_true", help="also the cold starts without the index (slow)")
    parser.add_argument("--keep", type=Path, help="build the bundles here and keep them (default: a temp folder)")
    args = parser.parse_args()
    if not M3TER.is_dir():
        sys.exit(f"needs the shared corpus at {CORPUS}")

    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        corpus, m3ter, alone = work / "corpus-bundle", work / "m3ter", work / "alone"
        if not corpus.is_dir():
            count, tools = build_bundle(corpus)
            shutil.copytree(M3TER, m3ter, ignore=shutil.ignore_patterns(".naftiko-cache"))
            alone.mkdir()
            shutil.copy(next(f for f in corpus.iterdir() if f.stem == ALONE), alone)
        else:
            count, tools = len(list(corpus.glob("*.y*ml"))), 0
        compiled_s = compile_folder(corpus)
        compile_folder(m3ter)
        compile_folder(alone)
        print(f"bundle: {count} capabilities, {tools or '?'} tools; compiled in {compiled_s:.1f} s")

        cold = fresh_interleaved(
            {
                "floor": FLOOR,
                "m3ter": first_list(m3ter),
                "corpus": first_list(corpus),
                "corpus_one": first_list(corpus, f"/mcp/{ALONE}"),
                "alone": first_list(alone, f"/mcp/{ALONE}"),
            },
            args.runs,
        )
        floor, m3 = median(cold["floor"], "total"), median(cold["m3ter"], "total")
        whole, one, by_itself = (median(cold[k], "total") for k in ("corpus", "corpus_one", "alone"))
        print(f"MCP cold start, {args.runs} fresh processes each, alternating, medians")
        print(f"  floor (import mcp server pieces + mangum)            : {floor:7.0f} ms")
        print(
            f"  m3ter API, 58 files, first tools/list                : {m3:7.0f} ms   {m3 / floor:.2f}x the floor (target <= 1.10x)"
        )
        print(f"  corpus bundle, first tools/list on /mcp              : {whole:7.0f} ms   (target <= 2500 ms)")
        print(f"  /mcp/{ALONE}, first tools/list, corpus bundle    : {one:7.0f} ms")
        print(
            f"  /mcp/{ALONE}, first tools/list, alone            : {by_itself:7.0f} ms   {one / by_itself:.2f}x (target <= 1.10x)"
        )

        if args.before:
            runs = max(3, args.runs // 2)
            before = fresh_interleaved(
                {
                    "floor": FLOOR,
                    "m3ter": first_list(uncompiled_copy(m3ter, work / "m3ter-before")),
                    "corpus": first_list(uncompiled_copy(corpus, work / "corpus-before")),
                    "corpus_one": first_list(work / "corpus-before", f"/mcp/{ALONE}"),
                },
                runs,
            )
            floor_b = median(before["floor"], "total")
            m3_b, whole_b, one_b = (median(before[k], "total") for k in ("m3ter", "corpus", "corpus_one"))
            print(f"Before (no index: each spec's JSON compile cache only), {runs} fresh processes each, medians")
            print(f"  floor                                                : {floor_b:7.0f} ms")
            print(
                f"  m3ter API, 58 files, first tools/list                : {m3_b:7.0f} ms   {m3_b / floor_b:.2f}x the floor"
            )
            print(f"  corpus bundle, first tools/list on /mcp              : {whole_b:7.0f} ms")
            print(
                f"  /mcp/{ALONE}, first tools/list, corpus bundle    : {one_b:7.0f} ms   {one_b / by_itself:.2f}x alone (with index)"
            )
            for folder in ("m3ter-before", "corpus-before"):
                shutil.rmtree(work / folder)

        print("MCP warm tools/list pages through the Lambda handler, p50 (target <= 2 ms)")
        first, again, pages = warm_pages(corpus, rounds=2)
        print(
            f"  corpus bundle, {pages} pages: first visit {statistics.median(first) * 1e3:.3f} ms, again {statistics.median(again) * 1e3:.3f} ms"
        )
        for label, folder in (("m3ter API", m3ter), ("seeds", ROOT / "capabilities")):
            _, again, pages = warm_pages(folder, rounds=max(1, 300 // pages))
            print(f"  {label}, {pages} pages, again: {statistics.median(again) * 1e3:.3f} ms")


if __name__ == "__main__":
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    main()
