"""The MCP Lambda handler and app, through the official SDK client in both protocol generations."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client, MCPError
from mcp.client.streamable_http import streamable_http_client
from naftiko_lambda.capability.load import load_capabilities
from naftiko_lambda.exposes.mcp.handler import build_mcp_app, create_handler
from naftiko_lambda.settings import Settings, base_uri_variable

from ..conftest import CAPABILITIES, EVENTS, ROOT, SEED_DIR, SEED_ENV
from ..support.mcp_lambda import FUNCTION_URL, LambdaTransport, UvicornServer, function_url_event
from ..support.upstream import Reply, UpstreamServer

TOKEN = "test-mcp-token-0123456789abcdef0123456"
SEED_CAPABILITIES = load_capabilities(SEED_DIR)
ALL_TOOLS = sum(len(c.tools) for c in SEED_CAPABILITIES)
MODES = ["auto", "legacy"]


def seed_settings(upstream_url: str, **extra: str) -> Settings:
    environ = {"CAPABILITIES_DIR": str(SEED_DIR), "MCP_BEARER_TOKENS": TOKEN, **SEED_ENV, **extra}
    for capability in SEED_CAPABILITIES:
        for namespace in capability.consumes:
            environ[base_uri_variable(namespace)] = upstream_url
    return Settings.from_environ(environ)


@pytest.fixture(scope="module")
def shared_upstream() -> Iterator[UpstreamServer]:
    with UpstreamServer() as server:
        yield server


@pytest.fixture(scope="module")
def lambda_transport(shared_upstream: UpstreamServer) -> Iterator[LambdaTransport]:
    """One warm handler for the module, as one Lambda instance would be."""
    with LambdaTransport(lambda: create_handler(seed_settings(shared_upstream.url))) as transport:
        yield transport


@asynccontextmanager
async def lambda_client(
    transport: LambdaTransport, mode: str, path: str = "/mcp", token: str = TOKEN
) -> AsyncIterator[Client]:
    async with (
        httpx2.AsyncClient(transport=transport, headers={"Authorization": f"Bearer {token}"}) as http,
        Client(streamable_http_client(FUNCTION_URL + path, http_client=http), mode=mode) as client,
    ):
        yield client


async def list_all(client: Client) -> list[Any]:
    tools, cursor = [], None
    while True:
        page = await client.list_tools(cursor=cursor) if cursor else await client.list_tools()
        tools += page.tools
        cursor = page.next_cursor
        if not cursor:
            return tools


@pytest.mark.parametrize("mode", MODES)
def test_lists_every_seed_tool_through_the_lambda_handler(lambda_transport: LambdaTransport, mode: str) -> None:
    async def scenario() -> list[Any]:
        async with lambda_client(lambda_transport, mode) as client:
            return await list_all(client)

    tools = anyio.run(scenario)
    assert len(tools) == ALL_TOOLS == 87
    names = {t.name for t in tools}
    assert len(names) == ALL_TOOLS
    assert "m3ter-billjob__list-billjobs" in names and "suger-metering__list-billable-metrics" in names
    listed = next(t for t in tools if t.name == "m3ter-billjob__list-billjobs")
    assert listed.annotations.read_only_hint is True and listed.annotations.destructive_hint is False
    assert listed.input_schema["required"] == ["orgId"]
    assert listed.input_schema["properties"]["pageSize"]["type"] == "integer"
    for tool in tools:
        assert tool.input_schema["type"] == "object"
        assert tool.input_schema["properties"], tool.name  # every seed tool takes parameters
        for prop in tool.input_schema["properties"].values():
            assert prop.get("type") in {"string", "integer", "number", "boolean", "array", "object"}
            assert prop.get("items", {"type": "string"}) != {}


def test_hint_defaults_follow_the_format(tmp_path: Any, shared_upstream: UpstreamServer) -> None:
    spec = (CAPABILITIES / "m3ter-marketplace-integrations.yaml").read_text()
    spec = spec.replace(
        "      hints:\n        readOnly: true\n        destructive: false\n        idempotent: true\n", ""
    )
    (tmp_path / "nohints.yaml").write_text(spec)

    async def scenario(transport: LambdaTransport) -> Any:
        async with lambda_client(transport, "auto") as client:
            return (await client.list_tools()).tools[0]

    with LambdaTransport(
        lambda: create_handler(seed_settings(shared_upstream.url, CAPABILITIES_DIR=str(tmp_path)))
    ) as transport:
        tool = anyio.run(scenario, transport)
    assert (tool.annotations.read_only_hint, tool.annotations.destructive_hint) == (False, True)
    assert (tool.annotations.idempotent_hint, tool.annotations.open_world_hint) == (False, True)


def _arguments(tool: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, prop in tool.input_schema["properties"].items():
        if name not in tool.input_schema.get("required", []) and prop["type"] != "integer":
            continue
        values[name] = {
            "string": f"v-{name}",
            "integer": 5,
            "object": {"k": name},
            "array": ["a"],
            "boolean": True,
            "number": 1.5,
        }[prop["type"]]
    return values


@pytest.mark.parametrize("mode", MODES)
def test_calls_every_seed_tool_against_the_upstream(
    lambda_transport: LambdaTransport, shared_upstream: UpstreamServer, mode: str
) -> None:
    by_name = {f"{c.name}__{t.name}": t for c in SEED_CAPABILITIES for t in c.tools}

    async def scenario() -> None:
        async with lambda_client(lambda_transport, mode) as client:
            for tool in await list_all(client):
                shared_upstream.reply(Reply(200, [{"id": tool.name}]))
                arguments = _arguments(tool)
                result = await client.call_tool(tool.name, arguments)
                assert not result.is_error, (tool.name, result.content)
                assert result.structured_content == {"result": [{"id": tool.name}]}
                assert json.loads(result.content[0].text) == [{"id": tool.name}]
                got = shared_upstream.last
                operation = by_name[tool.name].call
                assert got.method == operation.method
                for name, value in arguments.items():
                    if isinstance(value, str) and operation.param(name) and operation.param(name).location == "path":
                        assert f"/{value}" in got.path
                    if isinstance(value, dict):
                        assert got.json() == value

    anyio.run(scenario)


def test_per_capability_endpoint_serves_only_its_tools(lambda_transport: LambdaTransport) -> None:
    async def scenario() -> list[str]:
        async with lambda_client(lambda_transport, "legacy", path="/mcp/m3ter-billjob") as client:
            return [t.name for t in await list_all(client)]

    assert anyio.run(scenario) == [
        "list-billjobs",
        "create-billjob",
        "create-recalculation-billjob",
        "retrieve-billjob",
        "cancel-billjob",
    ]


@pytest.mark.parametrize("mode", MODES)
def test_bad_argument_is_an_error_result_naming_it(
    lambda_transport: LambdaTransport, shared_upstream: UpstreamServer, mode: str
) -> None:
    async def scenario() -> Any:
        async with lambda_client(lambda_transport, mode) as client:
            missing = await client.call_tool("m3ter-billjob__list-billjobs", {"pageSize": 2})
            wrong = await client.call_tool("m3ter-billjob__list-billjobs", {"orgId": "o", "pageSize": "two"})
            return missing, wrong

    before = len(shared_upstream.received)
    missing, wrong = anyio.run(scenario)
    assert missing.is_error and missing.structured_content["argument"] == "orgId"
    assert wrong.is_error and wrong.structured_content["argument"] == "pageSize"
    assert "integer" in wrong.content[0].text
    assert len(shared_upstream.received) == before


@pytest.mark.parametrize("mode", MODES)
def test_upstream_error_is_an_error_result_with_status_and_body(
    lambda_transport: LambdaTransport, shared_upstream: UpstreamServer, mode: str
) -> None:
    shared_upstream.reply(Reply(404, {"message": "no such billjob"}))

    async def scenario() -> Any:
        async with lambda_client(lambda_transport, mode) as client:
            return await client.call_tool("m3ter-billjob__retrieve-billjob", {"orgId": "o", "id": "nope"})

    result = anyio.run(scenario)
    assert result.is_error
    assert result.structured_content["status"] == 404
    assert result.structured_content["body"] == {"message": "no such billjob"}


@pytest.mark.parametrize("mode", MODES)
def test_unknown_tool_is_a_jsonrpc_invalid_params_error(lambda_transport: LambdaTransport, mode: str) -> None:
    async def scenario() -> int:
        async with lambda_client(lambda_transport, mode) as client:
            try:
                await client.call_tool("no-such-tool", {})
            except MCPError as exc:
                return exc.code
        return 0

    assert anyio.run(scenario) == -32602


def _raw(
    transport: LambdaTransport,
    method: str,
    path: str = "/mcp",
    headers: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    base = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
    data = json.dumps(body).encode() if body is not None else b""
    return transport.invoke(function_url_event(method, path, {**base, **(headers or {})}, data))


def test_get_and_delete_get_405(lambda_transport: LambdaTransport) -> None:
    for method in ("GET", "DELETE"):
        response = _raw(lambda_transport, method, headers={"authorization": f"Bearer {TOKEN}"})
        assert response["statusCode"] == 405
        assert response["headers"]["allow"] == "POST"


LIST = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer wrong",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        f"Basic {TOKEN}",
        TOKEN,
    ],
)
def test_bearer_token_is_required(lambda_transport: LambdaTransport, authorization: str | None) -> None:
    headers = {"mcp-protocol-version": "2025-11-25"}
    if authorization is not None:
        headers["authorization"] = authorization
    response = _raw(lambda_transport, "POST", headers=headers, body=LIST)
    assert response["statusCode"] == 401
    assert response["headers"]["www-authenticate"].startswith("Bearer")


def test_auth_can_be_turned_off(shared_upstream: UpstreamServer) -> None:
    with LambdaTransport(lambda: create_handler(seed_settings(shared_upstream.url, MCP_AUTH="none"))) as transport:
        response = _raw(transport, "POST", headers={"mcp-protocol-version": "2025-11-25"}, body=LIST)
    assert response["statusCode"] == 200
    assert len(json.loads(response["body"])["result"]["tools"]) == 50


def test_committed_function_url_events_work(lambda_transport: LambdaTransport, shared_upstream: UpstreamServer) -> None:
    shared_upstream.reply(Reply(200, {"data": []}))
    for name in ("mcp-initialize", "mcp-tools-list", "mcp-tools-call"):
        event = json.loads((EVENTS / f"{name}.function-url.json").read_text())
        event["headers"]["authorization"] = f"Bearer {TOKEN}"
        response = lambda_transport.invoke(event)
        assert response["statusCode"] == 200, response
        assert "result" in json.loads(response["body"]), name


def test_cursor_from_elsewhere_is_refused(lambda_transport: LambdaTransport) -> None:
    body = {**LIST, "params": {"cursor": "bm90LW91cnM6NTA"}}
    response = _raw(
        lambda_transport,
        "POST",
        headers={"authorization": f"Bearer {TOKEN}", "mcp-protocol-version": "2025-11-25"},
        body=body,
    )
    assert json.loads(response["body"])["error"]["code"] == -32602


def test_hundred_invocations_in_one_warm_process(shared_upstream: UpstreamServer) -> None:
    """Mangum runs the lifespan per call and run() is single-use: the 100th call must work too."""
    shared_upstream.reply(Reply(200, {"ok": True}))

    async def scenario(transport: LambdaTransport) -> None:
        for i in range(50):
            async with lambda_client(transport, MODES[i % 2]) as client:
                result = await client.call_tool("m3ter-billjob__retrieve-billjob", {"orgId": "o", "id": str(i)})
                assert not result.is_error

    with LambdaTransport(lambda: create_handler(seed_settings(shared_upstream.url))) as transport:
        anyio.run(scenario, transport)
        assert transport.invocations >= 100


def test_fresh_processes_answer_the_sample_event(shared_upstream: UpstreamServer) -> None:
    code = (
        "import json, sys\n"
        "from naftiko_lambda.exposes.mcp.handler import handler\n"
        "event = json.load(open(sys.argv[1]))\n"
        "event['headers']['authorization'] = 'Bearer " + TOKEN + "'\n"
        "print(json.dumps(handler(event, None)))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "CAPABILITIES_DIR": str(CAPABILITIES), "MCP_BEARER_TOKENS": TOKEN}
    for _ in range(2):
        out = subprocess.run(
            [sys.executable, "-c", code, str(EVENTS / "mcp-tools-list.function-url.json")],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            check=True,
        )
        response = json.loads(out.stdout.strip().splitlines()[-1])
        assert response["statusCode"] == 200
        assert len(json.loads(response["body"])["result"]["tools"]) == 50


@pytest.mark.parametrize("mode", MODES)
def test_sdk_client_over_uvicorn(shared_upstream: UpstreamServer, mode: str) -> None:
    from mcp.server.transport_security import TransportSecuritySettings

    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=["127.0.0.1:*"], allowed_origins=["http://127.0.0.1:*"]
    )
    app = build_mcp_app(seed_settings(shared_upstream.url), security_settings=security)
    shared_upstream.reply(Reply(200, {"balance": 10}))
    with UvicornServer(app) as base:

        async def scenario() -> tuple[int, Any]:
            async with (
                httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}) as http,
                Client(streamable_http_client(base + "/mcp", http_client=http), mode=mode) as client,
            ):
                tools = await list_all(client)
                result = await client.call_tool("m3ter-balances__retrieve-balance", {"orgId": "o", "id": "b1"})
                return len(tools), result

        count, result = anyio.run(scenario)
    assert count == ALL_TOOLS
    assert result.structured_content == {"balance": 10}
    assert shared_upstream.last.path == "/organizations/o/balances/b1"


def test_under_sam_local_the_token_secrets_logical_id_is_unset_and_no_secret_store_is_asked(
    upstream: UpstreamServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `sam local` puts the template's logical id in MCP_TOKENS_SECRET; the "Secrets Manager" here
    # is a loopback server that records any request made to it, with credentials boto3 would use.
    for key, value in {
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": upstream.url,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(key, value)
    environ = {"CAPABILITIES_DIR": str(SEED_DIR), "AWS_SAM_LOCAL": "true", "MCP_TOKENS_SECRET": "McpTokensSecret"}
    handler = create_handler(Settings.from_environ(environ))
    event = json.loads((EVENTS / "mcp-tools-list.function-url.json").read_text())
    response = handler(event, None)
    assert response["statusCode"] == 503 and upstream.received == []
    reasons = [getattr(r, "reason", "") for r in caplog.records]
    assert any("set MCP_BEARER_TOKENS (under sam local, with --env-vars)" in r for r in reasons), reasons
