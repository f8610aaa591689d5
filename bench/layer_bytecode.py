"""The layer's bytecode: MCP cold start with the layer `sam build` makes (layers/runtime/Makefile:
wheels + compiled .pyc) against the same layer built by SAM's own python builder (no .pyc).

Lambda's /opt is read-only, so a layer without bytecode is compiled again at every cold start.
Both layers are built here, then fresh processes alternate between them, each importing the
built MCP function's handler from the layer only (``python -S``, bytecode writes off, as on
Lambda) and answering its first tools/list on the built function's capabilities.

    python bench/layer_bytecode.py [--runs 9]      (needs ./dev's .tools: SAM CLI, python3.13)
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAM = ROOT / ".tools" / "sam" / "bin" / "sam"
EVENT = ROOT / "events" / "mcp-tools-list.function-url.json"

FIRST_LIST = """
import json, time
t0 = time.perf_counter()
from mcp_server.handler import handler
event = json.load(open({event!r}))
response = handler(event, None)
assert response["statusCode"] == 200, response
print(json.dumps({{"total": (time.perf_counter() - t0) * 1e3}}))
"""


def build(template: Path, out: Path, *resources: str) -> None:
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "PATH": f"{ROOT / '.tools' / 'bin'}:{os.environ['PATH']}"}
    command = [str(SAM), "build", "--build-dir", str(out), "--template", str(template), *resources]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(result.stdout[-2000:] + result.stderr[-2000:])


def first_list(layer: Path, function: Path) -> float:
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": f"{function}:{layer}",
        "PYTHONDONTWRITEBYTECODE": "1",
        "LAMBDA_TASK_ROOT": str(function),
        "MCP_AUTH": "none",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
    code = FIRST_LIST.format(event=str(EVENT))
    out = subprocess.run([sys.executable, "-S", "-c", code], env=env, cwd=function, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(out.stderr[-2000:])
    return float(json.loads(out.stdout.strip().splitlines()[-1])["total"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="layer-bytecode-"))
    plain_template = ROOT / ".bench-sam-builder.yaml"  # beside template.yaml: CodeUri paths are relative
    try:
        build(ROOT / "template.yaml", work / "ours")  # the whole stack: sam build takes one resource id
        text = (ROOT / "template.yaml").read_text()
        marker = "    Metadata:\n      BuildMethod: makefile\n  RestApi:"
        assert marker in text, "the layer's Metadata moved: update this benchmark"
        plain_template.write_text(text.replace(marker, "    Metadata:\n      BuildMethod: python3.13\n  RestApi:"))
        build(plain_template, work / "sam", "RuntimeLayer")
        function = work / "ours" / "McpFunction"
        layers = {"ours": work / "ours" / "RuntimeLayer" / "python", "sam": work / "sam" / "RuntimeLayer" / "python"}
        pyc = {name: sum(1 for _ in path.rglob("*.pyc")) for name, path in layers.items()}
        times: dict[str, list[float]] = {name: [] for name in layers}
        for _ in range(args.runs):
            for name, layer in layers.items():
                times[name].append(first_list(layer, function))
        ours, theirs = statistics.median(times["ours"]), statistics.median(times["sam"])
        print(
            f"MCP cold start, built function, first tools/list, {args.runs} fresh processes each, alternating, medians"
        )
        print(f"  layer from SAM's python builder ({pyc['sam']:5d} .pyc) : {theirs:7.0f} ms")
        print(f"  layer from layers/runtime/Makefile ({pyc['ours']:5d} .pyc): {ours:7.0f} ms   {ours / theirs:.2f}x")
    finally:
        plain_template.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
