"""`sam build` of the committed template, then the built functions run with only their layer.

The built REST and MCP functions are imported by a bare interpreter (``python3 -S``: no
site-packages) with the task root and the layer's python/ on the path, as Lambda lays them out,
and answer real events against a loopback upstream. Needs the SAM CLI (./dev test installs it in
.tools/sam); skipped without it outside CI, a failure under CI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..conftest import EVENTS, ROOT
from ..support.upstream import Reply, UpstreamServer

SAM = ROOT / ".tools" / "sam" / "bin" / "sam"
pytestmark = pytest.mark.sam


@pytest.fixture(autouse=True, scope="module")
def _sam_cli() -> None:
    """Under CI a missing SAM CLI is a failure, never a silent skip (issue 11 item 9)."""
    if not SAM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI needs the SAM CLI at {SAM}: ./dev test installs it")
        pytest.skip("SAM CLI not installed (./dev test installs it in .tools/sam)")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("sam-build")
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
    result = subprocess.run(
        [str(SAM), "build", "--build-dir", str(out), "--template", str(ROOT / "template.yaml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    yield out


def _invoke(built: Path, function: str, module: str, event: dict, env: dict[str, str]) -> dict:
    code = f"import json, sys\nfrom {module} import handler\nprint(json.dumps(handler(json.loads(sys.stdin.read()), None)))\n"
    return _run(built, function, code, json.dumps(event), env)


def _run(built: Path, function: str, code: str, stdin: str = "", env: dict[str, str] | None = None) -> dict:
    """Run ``code`` (which prints one JSON value last) in the built function with only its layer."""
    root = built / function
    environment = {
        "PATH": "/usr/bin:/bin",
        "LAMBDA_TASK_ROOT": str(root),
        "PYTHONPATH": f"{root}:{built / 'RuntimeLayer' / 'python'}",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    result = subprocess.run(
        [sys.executable, "-S", "-c", code],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        cwd=root,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_built_rest_function_answers_with_only_its_layer(built: Path) -> None:
    assert (built / "M3terBilljobFunction" / "capabilities" / "m3ter-billjob.yaml").exists()
    with UpstreamServer() as upstream:
        upstream.reply(Reply(200, {"data": ["job"]}))
        event = json.loads((EVENTS / "m3ter-billjob-get.apigw-v1.json").read_text())
        env = {
            "CAPABILITY_FILE": "capabilities/m3ter-billjob.yaml",
            "M3TER_API_KEY": "built-key",
            "UPSTREAM_BASE_URI_M3TER_BILLJOB": upstream.url,
        }
        response = _invoke(built, "M3terBilljobFunction", "rest.handler", event, env)
        assert response["statusCode"] == 200, response
        assert json.loads(response["body"]) == {"data": ["job"]}
        assert upstream.last.headers["Authorization"] == "Bearer built-key"


def test_built_mcp_function_answers_with_only_its_layer(built: Path) -> None:
    event = json.loads((EVENTS / "mcp-tools-list.function-url.json").read_text())
    env = {"CAPABILITIES_DIR": "capabilities", "MCP_BEARER_TOKENS": "local-dev-token-change-me-0123456789abcdef"}
    response = _invoke(built, "McpFunction", "mcp_server.handler", event, env)
    assert response["statusCode"] == 200, response
    assert len(json.loads(response["body"])["result"]["tools"]) == 50


def test_built_mcp_function_carries_a_current_compiled_index(built: Path) -> None:
    """sam build compiled the MCP function's capabilities (functions/Makefile): the layer's own
    code reads the index, and every capability file has a current entry."""
    code = (
        "import json\nfrom pathlib import Path\nfrom naftiko_lambda.exposes.mcp import bundle\n"
        "index = bundle.read_index('capabilities')\n"
        "print(json.dumps(index and sorted(f for f, e in index.items() if bundle.is_current(Path('capabilities'), e))))\n"
    )
    current = _run(built, "McpFunction", code)
    assert current == sorted(p.name for p in (ROOT / "capabilities").glob("*.yaml"))
