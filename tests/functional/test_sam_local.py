"""The real `sam local invoke` and `sam local start-api` against the built template, in containers.

Unlike test_sam_build.py (which imports the built functions in a bare interpreter), this runs the
SAM CLI's own emulation: the function image with the layer, the env file, API Gateway's proxy events.
It needs a Docker daemon and a Lambda python3.13 image, so it is skipped unless the machine has been
prepared. On a machine that reaches package registries but no container registry (as root):

    bash ../shared/samlocal/build-standin.sh /tmp/samlocal-scratch
        # apt-installs docker.io and debootstrap, starts a dockerd without a bridge (prints its PID)
        # and builds the stand-in image local/lambda-python:3.13 (about 1.5 minutes)
    python3 -m venv /tmp/samlocal-venv && /tmp/samlocal-venv/bin/pip install -q 'aws-sam-cli==1.170.0'
    patch /tmp/samlocal-venv/lib/python3.*/site-packages/samcli/local/docker/container.py \\
        ../shared/samlocal/samcli-host-network.patch
        # host networking for --docker-network host: that dockerd has no bridge

Then point NAFTIKO_SAM_LOCAL_SAM at the patched SAM CLI (default /tmp/samlocal-venv/bin/sam). Every
`sam local` command here gets the stand-in flags (``STANDIN``): the stand-in image, no pull, host
networking (so the container reaches the loopback upstream below), and the AWS endpoints the
functions could call pointed at 127.0.0.1 (refused at once, never a timeout). Set
NAFTIKO_SAM_LOCAL_IMAGE to use another python3.13 image. A cold container takes 9-30 s (SAM builds
the function image with the layer first), so the timeouts are generous.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ..conftest import EVENTS, ROOT
from ..support.upstream import Received, Reply, UpstreamServer

SAM = Path(os.environ.get("NAFTIKO_SAM_LOCAL_SAM", "/tmp/samlocal-venv/bin/sam"))
IMAGE = os.environ.get("NAFTIKO_SAM_LOCAL_IMAGE", "local/lambda-python:3.13")
STANDIN = [
    "--invoke-image",
    IMAGE,
    "--skip-pull-image",
    "--docker-network",
    "host",
    "--add-host",
    "secretsmanager.us-east-1.amazonaws.com:127.0.0.1",
    "--add-host",
    "dynamodb.us-east-1.amazonaws.com:127.0.0.1",
]
KEY = "sam-local-key"
MCP_TOKEN = "local-dev-token-change-me-0123456789abcdef"  # events/env.local.json and the MCP events
JOBS = {"data": ["job"]}
COLD_S = 300  # a cold container: the function image build, the container start, the first import
pytestmark = pytest.mark.sam


def _ok(command: list[str]) -> bool:
    try:
        return subprocess.run(command, capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(autouse=True, scope="module")
def _machine_allows() -> None:
    """Skipped, with the reason, unless Docker, the Lambda image and the patched SAM CLI are here."""
    if shutil.which("docker") is None or not _ok(["docker", "info"]):
        pytest.skip("no Docker daemon (`docker info` fails): see this module's docstring to prepare the machine")
    if not _ok(["docker", "image", "inspect", IMAGE]):
        pytest.skip(f"no image {IMAGE}: build it with ../shared/samlocal/build-standin.sh (module docstring)")
    if not SAM.exists():
        pytest.skip(f"no patched SAM CLI at {SAM} (set NAFTIKO_SAM_LOCAL_SAM; module docstring)")


def _env() -> dict[str, str]:
    tools = ROOT / ".tools" / "bin"  # python3.13 for the layer's Makefile, when there is no .venv
    return {
        **os.environ,
        "PATH": f"{tools}{os.pathsep}{os.environ.get('PATH', '')}",
        "SAM_CLI_TELEMETRY": "0",
        "AWS_DEFAULT_REGION": "us-east-1",  # the region of the --add-host names
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`sam build` as test_sam_build.py runs it: the committed template, a build folder of its own."""
    out = tmp_path_factory.mktemp("sam-local-build")
    result = subprocess.run(
        [str(SAM), "build", "--build-dir", str(out), "--template", str(ROOT / "template.yaml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return out / "template.yaml"


@pytest.fixture(scope="module")
def upstream() -> Iterator[UpstreamServer]:
    """The billjob upstream on 127.0.0.1: the container shares the host's loopback (host network)."""
    with UpstreamServer() as server:
        server.reply(Reply(200, JOBS))
        yield server


@pytest.fixture(scope="module")
def env_file(tmp_path_factory: pytest.TempPathFactory, upstream: UpstreamServer) -> Path:
    """events/env.local.json as a user fills it in: the key and the upstream of the billjob function."""
    document = json.loads((EVENTS / "env.local.json").read_text())
    document["M3terBilljobFunction"].update({"M3TER_API_KEY": KEY, "UPSTREAM_BASE_URI_M3TER_BILLJOB": upstream.url})
    file = tmp_path_factory.mktemp("sam-local-env") / "env.json"
    file.write_text(json.dumps(document))
    return file


def _new(upstream: UpstreamServer, before: int) -> list[Received]:
    return upstream.received[before:]


def _sam_containers() -> set[str]:
    result = subprocess.run(
        ["docker", "ps", "-a", "--format", "{{.ID}} {{.Image}}"], capture_output=True, text=True, timeout=60
    )
    rows = [line.split() for line in result.stdout.splitlines()]
    return {row[0] for row in rows if len(row) == 2 and row[1].startswith("samcli/")}


@pytest.fixture(autouse=True, scope="module")
def _no_containers_left() -> Iterator[None]:
    """Every container SAM started here is gone afterwards, whatever happened to the tests."""
    before = _sam_containers()
    yield
    left = _sam_containers() - before
    if left:
        subprocess.run(["docker", "rm", "-f", *sorted(left)], capture_output=True, timeout=120)


def _invoke(template: Path, function: str, event: str, env_file: Path) -> dict[str, Any]:
    """`sam local invoke`: a cold container each time; the response is the last line of stdout."""
    command = [str(SAM), "local", "invoke", function, "--template", str(template), "--event", str(EVENTS / event)]
    result = subprocess.run(
        [*command, "--env-vars", str(env_file), *STANDIN],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=COLD_S,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    assert lines, result.stderr[-3000:]
    response: dict[str, Any] = json.loads(lines[-1])
    return response


def test_sam_local_invoke_rest_function_calls_the_upstream_with_the_env_file_key(
    built: Path, env_file: Path, upstream: UpstreamServer
) -> None:
    before = len(upstream.received)
    response = _invoke(built, "M3terBilljobFunction", "m3ter-billjob-get.apigw-v1.json", env_file)
    assert response["statusCode"] == 200, response
    assert json.loads(response["body"]) == JOBS
    calls = _new(upstream, before)
    assert len(calls) == 1
    assert calls[0].method == "GET" and calls[0].path.endswith("/billjobs")
    assert calls[0].headers["Authorization"] == f"Bearer {KEY}"


def test_sam_local_invoke_without_a_key_names_it_at_once(built: Path, upstream: UpstreamServer) -> None:
    """events/env.local.json as shipped (no key): the secret's Ref is a logical id under sam local,
    so the answer is a 503 naming the key and --env-vars, and the upstream is never called."""
    before = len(upstream.received)
    response = _invoke(built, "M3terBilljobFunction", "m3ter-billjob-get.apigw-v1.json", EVENTS / "env.local.json")
    assert response["statusCode"] == 503, response
    problem = json.loads(response["body"])
    assert problem["credential"] == "M3TER_API_KEY" and "--env-vars" in problem["detail"]
    assert _new(upstream, before) == []


def test_sam_local_invoke_mcp_function_lists_the_tools(built: Path, env_file: Path) -> None:
    response = _invoke(built, "McpFunction", "mcp-tools-list.function-url.json", env_file)
    assert response["statusCode"] == 200, response
    result = json.loads(response["body"])["result"]
    tools = result["tools"]
    assert len(tools) == 50  # the first page (test_sam_build.py): the rest follow nextCursor
    assert result.get("nextCursor")
    assert all(tool["name"] and tool["inputSchema"]["type"] == "object" for tool in tools)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Api:
    url: str
    log: Path

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@pytest.fixture(scope="module")
def api(built: Path, env_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """`sam local start-api` with warm containers, in a process group of its own (stopped as one)."""
    port = _free_port()
    log = tmp_path_factory.mktemp("sam-local-api") / "start-api.log"
    command = [str(SAM), "local", "start-api", "--template", str(built), "--env-vars", str(env_file)]
    command += ["--warm-containers", "LAZY", "--host", "127.0.0.1", "--port", str(port), *STANDIN]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=_env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    api = Api(f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, f"start-api exited {process.returncode}:\n{api.tail()}"
            assert time.monotonic() < deadline, f"start-api never listened on {port}:\n{api.tail()}"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.25)
        yield api
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the group (SAM then removes its warm containers), SIGKILL if it lingers."""
    for sig, wait_s in ((signal.SIGTERM, 60), (signal.SIGKILL, 30)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=wait_s)
            break
        except subprocess.TimeoutExpired:
            continue
    if process.poll() is None:
        process.wait(timeout=30)


def _get(api: Api, path: str, timeout_s: float) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(f"{api.url}{path}", timeout=timeout_s) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers.get("Content-Type", ""), error.read().decode()


def test_sam_local_start_api_calls_the_upstream_cold_then_warm(api: Api, upstream: UpstreamServer) -> None:
    path = "/m3ter-billjob/v1/organizations/org-1/billjobs?pageSize=2"
    before = len(upstream.received)
    status, content_type, body = _get(api, path, COLD_S)
    assert status == 200, f"{body}\n{api.tail()}"
    assert content_type.startswith("application/json") and json.loads(body) == JOBS
    started = time.monotonic()
    status, _, body = _get(api, path, 60)  # the warm container (--warm-containers LAZY)
    warm_s = time.monotonic() - started
    assert status == 200, f"{body}\n{api.tail()}"
    assert warm_s < 10, warm_s
    calls = _new(upstream, before)
    assert [call.target for call in calls] == ["/organizations/org-1/billjobs?pageSize=2"] * 2
    assert all(call.headers["Authorization"] == f"Bearer {KEY}" for call in calls)


def test_sam_local_start_api_serves_the_docs_page(api: Api) -> None:
    status, content_type, body = _get(api, "/m3ter-billjob/docs", COLD_S)
    assert status == 200, f"{body}\n{api.tail()}"
    assert content_type.startswith("text/html")
    assert body.lstrip().lower().startswith("<!doctype html") and "m3ter API" in body
