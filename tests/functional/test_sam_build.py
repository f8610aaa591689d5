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
        "PYTHONDONTWRITEBYTECODE": "1",  # /opt and the task root are read-only on Lambda
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


def _translated(parameters: dict[str, str]) -> dict:
    """template.yaml as CloudFormation would expand it (SAM's own translator) for these values."""
    result = subprocess.run(
        [
            str(SAM.parent / "python"),
            str(ROOT / "tests" / "support" / "sam_translate.py"),
            "template.yaml",
            json.dumps(parameters),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)["Resources"]


@pytest.mark.parametrize("snapstart", ["On", "Off"])
def test_the_template_expands_both_ways_with_every_entry_on_the_alias(snapstart: str) -> None:
    """Issue 13 item 6: SnapStart On or Off, the API and the function URL call the published alias."""
    resources = _translated({"SnapStart": snapstart})
    functions = {k: v for k, v in resources.items() if v["Type"] == "AWS::Lambda::Function"}
    assert functions and all(f["Properties"]["Runtime"] == "python3.13" for f in functions.values())
    apply_on = "PublishedVersions" if snapstart == "On" else "None"
    assert all(f["Properties"]["SnapStart"] == {"ApplyOn": apply_on} for f in functions.values())
    aliases = {v["Properties"]["FunctionName"]["Ref"] for v in resources.values() if v["Type"] == "AWS::Lambda::Alias"}
    assert aliases == set(functions)
    invoked = [v["Properties"]["FunctionName"] for v in resources.values() if v["Type"] == "AWS::Lambda::Permission"]
    assert invoked and all(ref["Ref"].endswith("Aliaslive") for ref in invoked)
    assert resources["McpFunctionUrl"]["Properties"]["TargetFunctionArn"] == {"Ref": "McpFunctionAliaslive"}


def test_an_open_function_url_is_callable() -> None:
    """SAM grants public access to a function URL only for a literal AuthType NONE, not for a
    parameter: without the template's own permissions every MCP call was a 403 from AWS."""
    resources = _translated({})
    granted = {
        v["Properties"]["Action"]: v
        for v in resources.values()
        if v["Type"] == "AWS::Lambda::Permission" and v.get("Condition") == "McpUrlOpen"
    }
    assert granted["lambda:InvokeFunctionUrl"]["Properties"]["FunctionUrlAuthType"] == "NONE"
    assert granted["lambda:InvokeFunction"]["Properties"]["InvokedViaFunctionUrl"] is True


def _sam_local_env(function: str, env_file: Path) -> dict[str, str]:
    """The environment `sam local invoke <function> --env-vars <env_file>` gives it (SAM's own code)."""
    result = subprocess.run(
        [
            str(SAM.parent / "python"),
            str(ROOT / "tests" / "support" / "sam_env.py"),
            "template.yaml",
            function,
            str(env_file),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def _env_file(tmp_path: Path, **entries: dict[str, str]) -> Path:
    """events/env.local.json as a user fills it in."""
    document = json.loads((EVENTS / "env.local.json").read_text())
    for function, values in entries.items():
        document[function].update(values)
    file = tmp_path / "env.json"
    file.write_text(json.dumps(document))
    return file


def test_sam_local_env_file_reaches_the_function(built: Path, tmp_path: Path) -> None:
    """Issue 13 item 1: the key and the upstream given in the env file are what the function uses."""
    with UpstreamServer() as upstream:
        upstream.reply(Reply(200, {"data": ["job"]}))
        values = {"M3TER_API_KEY": "key-from-env-file", "UPSTREAM_BASE_URI_M3TER_BILLJOB": upstream.url}
        env = _sam_local_env("M3terBilljobFunction", _env_file(tmp_path, M3terBilljobFunction=values))
        event = json.loads((EVENTS / "m3ter-billjob-get.apigw-v1.json").read_text())
        response = _invoke(built, "M3terBilljobFunction", "rest.handler", event, env)
        assert response["statusCode"] == 200, response
        assert upstream.last.headers["Authorization"] == "Bearer key-from-env-file"


def test_sam_local_without_a_key_names_it_at_once(built: Path) -> None:
    """No key in the env file: the secret's Ref is a logical id under sam local, not a secret, so
    the answer is an immediate 503 naming the key and --env-vars, not a Secrets Manager timeout."""
    env = _sam_local_env("M3terBilljobFunction", EVENTS / "env.local.json")
    assert env["AWS_SAM_LOCAL"] == "true" and env["CAPABILITY_SECRET_M3TER_BILLJOB"] == "M3terBilljobSecret"
    event = json.loads((EVENTS / "m3ter-billjob-get.apigw-v1.json").read_text())
    response = _invoke(built, "M3terBilljobFunction", "rest.handler", event, env)
    assert response["statusCode"] == 503
    problem = json.loads(response["body"])
    assert problem["credential"] == "M3TER_API_KEY" and "--env-vars" in problem["detail"]


def test_sam_local_mcp_events_authenticate_with_the_env_file_token(built: Path) -> None:
    env = _sam_local_env("McpFunction", EVENTS / "env.local.json")
    event = json.loads((EVENTS / "mcp-tools-list.function-url.json").read_text())
    response = _invoke(built, "McpFunction", "mcp_server.handler", event, env)
    assert response["statusCode"] == 200, response


@pytest.mark.parametrize("public", ["true", "false"])
def test_the_docs_page_opens_without_the_key_only_where_allowed(public: str) -> None:
    """A browser opening /{capability}/docs sends no x-api-key: the docs routes are exempt unless
    PublicApiDocs=false; every operation needs the key either way."""
    api = _translated({"PublicApiDocs": public})["RestApi"]["Properties"]["Body"]["paths"]
    keyed = [{"api_key": []}]
    for capability in ("m3ter-billjob", "suger-metering"):
        for path in ("docs", "docs/{proxy+}", "openapi.json"):
            assert api[f"/{capability}/{path}"]["get"]["security"] == ([] if public == "true" else keyed)
        assert api[f"/{capability}/{{proxy+}}"]["x-amazon-apigateway-any-method"]["security"] == keyed


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


COUNT_COMPILES = """
import importlib._bootstrap_external as bootstrap
compiled = []
source_to_code = bootstrap.SourceLoader.source_to_code
def counting(self, data, path, *args, **kwargs):
    compiled.append(path)
    return source_to_code(self, data, path, *args, **kwargs)
bootstrap.SourceLoader.source_to_code = counting
"""


def test_the_built_layer_carries_its_bytecode(built: Path) -> None:
    """SAM's python builder ships no .pyc and /opt is read-only: every cold start compiled every
    module it imported (about 1 s of MCP's first tools/list). layers/runtime/Makefile compiles
    them; a cold MCP tools/list in the built function compiles nothing from source."""
    layer = built / "RuntimeLayer" / "python"
    sources = list(layer.rglob("*.py"))
    assert len(sources) > 1000
    missing = [str(s) for s in sources if not (s.parent / "__pycache__" / f"{s.stem}.cpython-313.pyc").exists()]
    assert missing == []
    event = (EVENTS / "mcp-tools-list.function-url.json").read_text()
    code = (
        COUNT_COMPILES
        + "import json\nfrom mcp_server.handler import handler\n"
        + f"response = handler(json.loads({event!r}), None)\n"
        + "print(json.dumps([response['statusCode'], [p for p in compiled if '/RuntimeLayer/' in p]]))\n"
    )
    status, compiled = _run(built, "McpFunction", code, env={"MCP_AUTH": "none"})
    assert status == 200 and compiled == []
