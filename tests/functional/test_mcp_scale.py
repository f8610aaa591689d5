"""Issue 21: MCP at agent scale, through the real MCP handler and the official client.

Search mode (search_tools and call_tool on /mcp), the deployment's hard deny (MCP_TOOLS_INCLUDE /
MCP_TOOLS_EXCLUDE / MCP_READ_ONLY) and read-only callers (read-only bearer tokens, an OAuth token
without the write scope): a denied tool is absent from every list and search, and calling it is
the unknown-tool error with the upstream untouched.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, MCPError
from naftiko_lambda.cli import main

from ..conftest import SEED_ENV, SEED_FILES
from ..support.authserver import AuthServer
from ..support.deployment import MCP_TOKEN, Deployment
from ..support.upstream import Reply, UpstreamServer

READ_TOKEN = "read-only-test-token-0123456789abcdef"
MODES = ["auto", "legacy"]


def seeds(tmp_path: Path, compiled: bool = False) -> Path:
    folder = tmp_path / "capabilities"
    folder.mkdir(parents=True)
    for file in SEED_FILES:
        shutil.copyfile(file, folder / file.name)
    if compiled:
        assert main(["compile", str(folder)]) == 0
    return folder


def deployment(tmp_path: Path, upstream: UpstreamServer, compiled: bool = False, **environ: str) -> Deployment:
    return Deployment(seeds(tmp_path, compiled), upstream.url, {**SEED_ENV, **environ})


async def names(client: Client) -> list[str]:
    found, cursor = [], None
    while True:
        page = await client.list_tools(cursor=cursor) if cursor else await client.list_tools()
        found += [t.name for t in page.tools]
        cursor = page.next_cursor
        if not cursor:
            return found


# -- search mode ------------------------------------------------------------------------------------


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("mode", MODES)
def test_search_mode_lists_two_tools_that_find_and_call_the_rest(
    tmp_path: Path, upstream: UpstreamServer, mode: str, compiled: bool
) -> None:
    served = deployment(tmp_path, upstream, compiled, MCP_TOOL_MODE="search")
    if compiled:
        assert (served.folder / ".naftiko-cache" / "mcp" / "search.json").is_file()
    upstream.reply(Reply(200, {"id": "bj-1", "status": "CANCELLED"}))

    async def scenario(client: Client) -> Any:
        listed = await names(client)
        found = await client.call_tool("search_tools", {"query": "cancel a bill job", "limit": 3})
        called = await client.call_tool(
            "call_tool", {"name": "m3ter-billjob__cancel-billjob", "arguments": {"orgId": "o1", "id": "bj-1"}}
        )
        direct = await client.call_tool("m3ter-billjob__cancel-billjob", {"orgId": "o1", "id": "bj-1"})
        return listed, found, called, direct

    listed, found, called, direct = served.mcp(scenario, mode=mode)
    assert listed == ["search_tools", "call_tool"]
    tools = found.structured_content["tools"]
    assert tools[0]["name"] == "m3ter-billjob__cancel-billjob" and len(tools) == 3
    assert set(tools[0]) >= {"name", "description", "inputSchema", "annotations"}
    assert json.loads(found.content[0].text) == found.structured_content
    assert not called.is_error and called.structured_content == direct.structured_content
    assert [r.path for r in upstream.received][-2:] == ["/organizations/o1/billjobs/bj-1/cancel"] * 2


def test_call_tool_refuses_what_a_direct_call_refuses(tmp_path: Path, upstream: UpstreamServer) -> None:
    served = deployment(tmp_path, upstream, MCP_TOOL_MODE="search")

    async def scenario(client: Client) -> Any:
        bad_argument = await client.call_tool(
            "call_tool", {"name": "m3ter-billjob__cancel-billjob", "arguments": {"orgId": 3}}
        )
        no_query = await client.call_tool("search_tools", {"query": " "})
        with pytest.raises(MCPError) as unknown:
            await client.call_tool("call_tool", {"name": "nope__nothing"})
        return bad_argument, no_query, unknown.value

    bad_argument, no_query, unknown = served.mcp(scenario)
    assert bad_argument.is_error and bad_argument.structured_content["argument"] in ("orgId", "id")
    assert no_query.is_error and no_query.structured_content["argument"] == "query"
    assert unknown.error.code == -32602 and "unknown tool" in unknown.error.message
    assert upstream.received == []


def test_per_capability_endpoints_keep_listing_unless_search_all(tmp_path: Path, upstream: UpstreamServer) -> None:
    search = deployment(tmp_path / "a", upstream, MCP_TOOL_MODE="search")
    listed = search.mcp(names, path="/mcp/m3ter-billjob")
    assert len(listed) == 5 and "search_tools" not in listed
    everywhere = deployment(tmp_path / "b", upstream, MCP_TOOL_MODE="search-all")

    async def scenario(client: Client) -> Any:
        found = await client.call_tool("search_tools", {"query": "recalculate a bill job"})
        return await names(client), found.structured_content["tools"]

    listed, tools = everywhere.mcp(scenario, path="/mcp/m3ter-billjob")
    assert listed == ["search_tools", "call_tool"]
    assert {t["name"] for t in tools} <= {
        "list-billjobs",
        "create-billjob",
        "retrieve-billjob",
        "cancel-billjob",
        "recalculate-billjobs",
        "create-recalculation-billjob",
    }


# -- hard deny ---------------------------------------------------------------------------------------


def test_excluded_tools_are_absent_everywhere_and_unknown_when_called(tmp_path: Path, upstream: UpstreamServer) -> None:
    served = deployment(tmp_path, upstream, MCP_TOOLS_EXCLUDE="m3ter__*, *__cancel-*")

    async def scenario(client: Client) -> Any:
        listed = await names(client)
        errors = []
        for name in ("m3ter__listaccounts", "m3ter-billjob__cancel-billjob"):
            with pytest.raises(MCPError) as raised:
                await client.call_tool(name, {"orgId": "o", "id": "x"})
            errors.append(raised.value.error)
        return listed, errors

    listed, errors = served.mcp(scenario)
    assert not [n for n in listed if n.startswith("m3ter__") or "__cancel-" in n]
    assert "m3ter-billjob__list-billjobs" in listed
    assert [(e.code, "unknown tool" in e.message) for e in errors] == [(-32602, True)] * 2
    own = served.mcp(names, path="/mcp/m3ter-billjob")
    assert "cancel-billjob" not in own and "list-billjobs" in own
    assert upstream.received == []


def test_include_by_tag_and_search_respects_it(tmp_path: Path, upstream: UpstreamServer) -> None:
    served = deployment(tmp_path, upstream, MCP_TOOLS_INCLUDE="tag:metering", MCP_TOOL_MODE="search")

    async def scenario(client: Client) -> Any:
        found = await client.call_tool("search_tools", {"query": "cancel a bill job", "limit": 10})
        return [t["name"] for t in found.structured_content["tools"]]

    found = served.mcp(scenario)
    assert found and all(n.startswith("suger-metering__") for n in found)  # info.tags: [Suger, Metering]


@pytest.mark.parametrize("mode", MODES)
def test_read_only_deployment_serves_read_only_tools(tmp_path: Path, upstream: UpstreamServer, mode: str) -> None:
    served = deployment(tmp_path, upstream, MCP_READ_ONLY="true")

    async def scenario(client: Client) -> Any:
        page = await client.list_tools()
        with pytest.raises(MCPError) as raised:
            await client.call_tool("m3ter-billjob__cancel-billjob", {"orgId": "o", "id": "x"})
        return page.tools, raised.value.error

    tools, error = served.mcp(scenario, mode=mode)
    assert tools and all(t.annotations.read_only_hint for t in tools)
    assert error.code == -32602 and upstream.received == []


# -- read-only callers --------------------------------------------------------------------------------


def test_a_read_only_token_sees_and_calls_read_only_tools(tmp_path: Path, upstream: UpstreamServer) -> None:
    served = deployment(tmp_path, upstream, MCP_READ_ONLY_BEARER_TOKENS=READ_TOKEN)
    full = served.mcp(names)
    upstream.reply(Reply(200, {"data": []}))

    async def scenario(client: Client) -> Any:
        listed = await names(client)
        read = await client.call_tool("m3ter-billjob__list-billjobs", {"orgId": "o"})
        with pytest.raises(MCPError) as raised:
            await client.call_tool("m3ter-billjob__cancel-billjob", {"orgId": "o", "id": "x"})
        return listed, read, raised.value.error

    listed, read, error = served.mcp(scenario, token=READ_TOKEN)
    assert "m3ter-billjob__cancel-billjob" in full and "m3ter-billjob__cancel-billjob" not in listed
    assert 0 < len(listed) < len(full) and not read.is_error
    assert error.code == -32602
    assert [r.path for r in upstream.received] == ["/organizations/o/billjobs"]


def test_read_only_tokens_from_the_token_secret(
    tmp_path: Path, upstream: UpstreamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto import mock_aws

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")

    with mock_aws():
        import boto3

        client = boto3.client("secretsmanager", region_name="us-east-1")
        arn = client.create_secret(
            Name="mcp-tokens", SecretString=json.dumps({"tokens": [MCP_TOKEN], "readOnlyTokens": [READ_TOKEN]})
        )["ARN"]
        served = Deployment(
            seeds(tmp_path),
            upstream.url,
            {**SEED_ENV, "MCP_BEARER_TOKENS": "", "MCP_TOKENS_SECRET": arn},
        )
        full, limited = served.mcp(names), served.mcp(names, token=READ_TOKEN)
    assert "m3ter-billjob__cancel-billjob" in full and "m3ter-billjob__cancel-billjob" not in limited
    assert limited and set(limited) < set(full)


def test_an_oauth_token_without_the_write_scope_is_a_read_only_caller(tmp_path: Path, upstream: UpstreamServer) -> None:
    resource = "https://mcp.example"
    with AuthServer() as auth:
        served = deployment(
            tmp_path,
            upstream,
            MCP_AUTH="oauth2",
            MCP_OAUTH_ISSUER=auth.url,
            MCP_OAUTH_AUDIENCE=resource,
            MCP_OAUTH_WRITE_SCOPE="tools:write",
        )
        writer = served.mcp(names, token=auth.sign({"aud": resource, "scope": "tools:read tools:write"}))
        reader = served.mcp(names, token=auth.sign({"aud": resource, "scope": "tools:read"}))
    assert "m3ter-billjob__cancel-billjob" in writer and "m3ter-billjob__cancel-billjob" not in reader
    assert reader and set(reader) < set(writer)
