"""The compiled MCP bundle: a cold start reads the index, loads a capability only to run it, and
serves exactly what a full load serves; a stale compiled file is never used.

Loads are counted by wrapping ``load_capability`` (the one way a model is built), never timed.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from naftiko_lambda.capability import load
from naftiko_lambda.cli import main
from naftiko_lambda.exposes.mcp import bundle
from naftiko_lambda.exposes.mcp.handler import create_handler
from naftiko_lambda.settings import Settings, base_uri_variable

from ..conftest import CAPABILITIES, CORPUS, SEED_ENV
from ..support.mcp_lambda import function_url_event
from ..support.upstream import Reply, UpstreamServer
from .test_composition import LEGACY, REGISTRY, SHIPYARD
from .test_mcp import SEED_CAPABILITIES

TOKEN = "bundle-test-token-0123456789abcdef0123"
M3TER = CORPUS / "m3ter" / "2026-05-19-f04487f"


class Served:
    """One warm MCP handler on a folder (one Lambda instance): raw JSON-RPC over function URL events."""

    def __init__(self, folder: Path, environ: dict[str, str] | None = None) -> None:
        settings = Settings.from_environ(
            {"CAPABILITIES_DIR": str(folder), "MCP_BEARER_TOKENS": TOKEN, **SEED_ENV, **(environ or {})}
        )
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.handler = create_handler(settings)

    def close(self) -> None:
        self.loop.close()
        asyncio.set_event_loop(None)

    def rpc(self, method: str, params: dict[str, Any] | None = None, path: str = "/mcp") -> dict[str, Any]:
        headers = {
            "authorization": f"Bearer {TOKEN}",
            "content-type": "application/json",
            "accept": "application/json, text/event-stream",
            "mcp-protocol-version": "2025-11-25",
        }
        message = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}}
        response = self.handler(function_url_event("POST", path, headers, json.dumps(message).encode()), None)
        assert response["statusCode"] == 200, response
        body = json.loads(response["body"])
        assert "result" in body, body
        return body["result"]  # type: ignore[no-any-return]

    def list_all(self, method: str = "tools/list", path: str = "/mcp") -> list[Any]:
        field = {"tools/list": "tools", "resources/list": "resources", "prompts/list": "prompts"}.get(
            method, "resourceTemplates"
        )
        found, cursor = [], None
        while True:
            page = self.rpc(method, {"cursor": cursor} if cursor else {}, path)
            found += page[field]
            cursor = page.get("nextCursor")
            if not cursor:
                return found


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The stem of every capability file loaded into a model from now on."""
    seen: list[str] = []
    real = load.load_capability

    def counting(path: Any) -> Any:
        seen.append(Path(path).stem)
        return real(path)

    monkeypatch.setattr(load, "load_capability", counting)
    return seen


@pytest.fixture
def served() -> Iterator[list[Served]]:
    started: list[Served] = []
    yield started
    for one in started:
        one.close()


def serve(started: list[Served], folder: Path, environ: dict[str, str] | None = None) -> Served:
    one = Served(folder, environ)
    started.append(one)
    return one


def need_m3ter() -> None:
    if not M3TER.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"the shared corpus is missing at {CORPUS}: CI must run the corpus tests")
        pytest.skip("the shared corpus is not beside the project")


def copy_folder(source: Path, target: Path, *, compiled: bool) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".naftiko-cache", "__pycache__"))
    if compiled:
        assert main(["compile", str(target)]) == 0
    return target


def shipyard(folder: Path) -> Path:
    """The composition test's capability (imports, resources, prompts) beside a small one."""
    (folder / "shared").mkdir(parents=True)
    (folder / "shared" / "registry.yaml").write_text(REGISTRY.lstrip())
    (folder / "shared" / "legacy.yaml").write_text(LEGACY.lstrip())
    (folder / "docs").mkdir()
    (folder / "docs" / "fleet.json").write_text('{"type": "object"}')
    (folder / "shipyard.yaml").write_text(SHIPYARD.lstrip())
    shutil.copy(CAPABILITIES / "suger-metering.yaml", folder / "suger-metering.yaml")
    return folder


def test_listing_every_tool_of_a_compiled_folder_loads_no_capability(
    tmp_path: Path, loads: list[str], served: list[Served]
) -> None:
    folder = copy_folder(CAPABILITIES, tmp_path / "capabilities", compiled=True)
    loads.clear()  # compiling loads each file once
    server = serve(served, folder)
    tools = server.list_all()
    assert len(tools) == sum(len(c.tools) for c in SEED_CAPABILITIES)
    server.rpc(
        "initialize", {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    )
    assert loads == []


def test_a_call_on_the_all_capabilities_endpoint_loads_that_capability_only(
    tmp_path: Path, loads: list[str], served: list[Served]
) -> None:
    folder = copy_folder(CAPABILITIES, tmp_path / "capabilities", compiled=True)
    loads.clear()  # compiling loads each file once
    with UpstreamServer() as upstream:
        upstream.reply(Reply(200, {"id": "bm-1"}))
        environ = {base_uri_variable(ns): upstream.url for c in SEED_CAPABILITIES for ns in c.consumes}
        server = serve(served, folder, environ)
        arguments = {"orgId": "org-1", "billableMetricId": "bm-1"}
        result = server.rpc("tools/call", {"name": "suger-metering__get-billable-metric", "arguments": arguments})
        assert result["structuredContent"] == {"id": "bm-1"}, result
        assert upstream.last.path.startswith("/org/org-1/billableMetric/bm-1")
        server.rpc("tools/call", {"name": "suger-metering__get-billable-metric", "arguments": arguments})
    assert loads == ["suger-metering"]


def test_a_capability_endpoint_loads_that_capability_only(
    tmp_path: Path, loads: list[str], served: list[Served]
) -> None:
    folder = copy_folder(CAPABILITIES, tmp_path / "capabilities", compiled=True)
    loads.clear()  # compiling loads each file once
    server = serve(served, folder)
    tools = server.list_all(path="/mcp/m3ter-billjob")
    assert {t["name"] for t in tools} == {
        t.name for c in SEED_CAPABILITIES if c.name == "m3ter-billjob" for t in c.tools
    }
    assert loads == ["m3ter-billjob"]


def test_compiled_and_plain_folders_serve_the_same_lists(
    tmp_path: Path, loads: list[str], served: list[Served]
) -> None:
    """Tools, resources, templates, prompts and instructions, through /mcp and per capability."""
    plain = serve(served, shipyard(tmp_path / "plain"))
    compiled_folder = copy_folder(tmp_path / "plain", tmp_path / "compiled", compiled=True)
    loads.clear()
    compiled = serve(served, compiled_folder)
    hello = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    for path in ("/mcp", "/mcp/shipyard", "/mcp/shipyard/shipyard-tools", "/mcp/suger-metering"):
        assert compiled.rpc("initialize", hello, path) == plain.rpc("initialize", hello, path)
        for method in ("tools/list", "resources/list", "resources/templates/list", "prompts/list"):
            if path == "/mcp/suger-metering" and method != "tools/list":
                continue
            assert compiled.list_all(method, path) == plain.list_all(method, path), (path, method)
    # /mcp loaded shipyard for its resources and prompts; suger-metering only for its own endpoint.
    assert loads == ["shipyard", "suger-metering"]


@pytest.mark.corpus
def test_the_whole_m3ter_api_lists_the_same_tools_compiled_or_not(
    tmp_path: Path, loads: list[str], served: list[Served]
) -> None:
    """All 58 files of one m3ter generation: tools/list page by page, and three per-capability lists."""
    need_m3ter()
    plain = serve(served, copy_folder(M3TER, tmp_path / "plain", compiled=False))
    compiled = serve(served, copy_folder(M3TER, tmp_path / "compiled", compiled=True))
    loads.clear()
    pages = [compiled.rpc("tools/list")]
    while pages[-1].get("nextCursor"):
        pages.append(compiled.rpc("tools/list", {"cursor": pages[-1]["nextCursor"]}))
    assert sum(len(p["tools"]) for p in pages) == 323
    assert loads == []
    expected = [plain.rpc("tools/list")]
    while expected[-1].get("nextCursor"):
        expected.append(plain.rpc("tools/list", {"cursor": expected[-1]["nextCursor"]}))
    assert pages == expected
    for name in ("m3ter-account", "m3ter-bill", "m3ter-user"):
        assert compiled.list_all(path=f"/mcp/{name}") == plain.list_all(path=f"/mcp/{name}")


def test_a_stale_entry_is_never_used(tmp_path: Path, loads: list[str], served: list[Served]) -> None:
    folder = copy_folder(CAPABILITIES, tmp_path / "capabilities", compiled=True)
    loads.clear()  # compiling loads each file once
    spec = folder / "suger-metering.yaml"
    text = spec.read_text()
    old = next(t for c in SEED_CAPABILITIES if c.name == "suger-metering" for t in c.tools).description
    assert old in text
    spec.write_text(text.replace(old, "Edited after compiling."))
    tools = serve(served, folder).list_all()
    described = {t["name"]: t["description"] for t in tools}
    assert "Edited after compiling." in described.values()
    assert old not in described.values()
    assert loads == ["suger-metering"]  # from its YAML; the others from the index


def test_an_edited_import_makes_its_importer_stale(tmp_path: Path, loads: list[str], served: list[Served]) -> None:
    folder = shipyard(tmp_path / "capabilities")
    assert main(["compile", str(folder)]) == 0
    shared = folder / "shared" / "legacy.yaml"
    shared.write_text(shared.read_text().replace("{name: status, in: query}", "{name: state, in: query}"))
    loads.clear()
    tools = {t["name"]: t for t in serve(served, folder).list_all()}
    arguments = tools["shipyard__list-legacy-vessels"]["inputSchema"]["properties"]
    assert "state" in arguments  # the consumed parameter nothing maps is an optional input of its own name
    assert "shipyard" in loads


def test_a_capability_added_after_compiling_is_served(tmp_path: Path, loads: list[str], served: list[Served]) -> None:
    folder = copy_folder(CAPABILITIES, tmp_path / "capabilities", compiled=True)
    loads.clear()  # compiling loads each file once
    (folder / "suger-metering.yaml").rename(folder / "suger-metering-copy.yaml")
    server = serve(served, folder)
    names = {t["name"] for t in server.list_all()}
    assert any(n.startswith("suger-metering-copy__") for n in names)
    assert not any(n.startswith("suger-metering__") for n in names)
    assert server.list_all(path="/mcp/suger-metering-copy")
    assert loads == ["suger-metering-copy"]


def test_an_index_compiled_by_other_code_is_not_read(tmp_path: Path, loads: list[str], served: list[Served]) -> None:
    folder = copy_folder(CAPABILITIES, tmp_path / "capabilities", compiled=True)
    loads.clear()  # compiling loads each file once
    index = folder / ".naftiko-cache" / bundle.BUNDLE_DIRNAME / bundle.INDEX_FILE
    document = json.loads(index.read_text())
    document["code_digest"] = "0" * 64
    index.write_text(json.dumps(document))
    assert bundle.read_index(folder) is None
    serve(served, folder).list_all()
    assert sorted(loads) == sorted(c.name for c in SEED_CAPABILITIES)  # every one, at cold start


def test_a_missing_listing_file_falls_back_to_the_model(tmp_path: Path, loads: list[str], served: list[Served]) -> None:
    folder = copy_folder(CAPABILITIES, tmp_path / "capabilities", compiled=True)
    loads.clear()  # compiling loads each file once
    entry = bundle.read_index(folder)["m3ter-billjob.yaml"]  # type: ignore[index]
    assert entry.listing is not None
    (folder / ".naftiko-cache" / bundle.BUNDLE_DIRNAME / entry.listing).unlink()
    tools = serve(served, folder).list_all()
    assert any(t["name"].startswith("m3ter-billjob__") for t in tools)
    assert loads == ["m3ter-billjob"]


def test_compiling_a_folder_refuses_a_broken_spec_and_writes_no_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copy_folder(CAPABILITIES, tmp_path / "capabilities", compiled=False)
    (folder / "broken.yaml").write_text("capability: {consumes: []}\n")  # no version: refused
    assert main(["compile", str(folder)]) == 2
    assert "broken.yaml" in capsys.readouterr().err
    assert bundle.read_index(folder) is None


def test_shared_consumes_files_are_indexed_as_not_served(tmp_path: Path) -> None:
    folder = copy_folder(CAPABILITIES, tmp_path / "capabilities", compiled=False)
    (folder / "shared-adapter.yaml").write_text(REGISTRY.lstrip())
    assert main(["compile", str(folder)]) == 0
    index = bundle.read_index(folder)
    assert index is not None
    assert not index["shared-adapter.yaml"].served
    assert index["m3ter-billjob.yaml"].served


def test_a_warm_tools_list_page_is_shaped_by_the_sdk_once(
    tmp_path: Path, served: list[Served], monkeypatch: pytest.MonkeyPatch
) -> None:
    """server.KeptListings: the SDK validates and dumps a page the first time it is asked for;
    the same request again gets that answer as it was, with no SDK work; another page, a bad
    cursor or another method still goes through the SDK."""
    import mcp_types.methods as methods

    shaped: list[str] = []
    real = methods.serialize_server_result

    def counting(method: str, *args: Any, **kwargs: Any) -> Any:
        shaped.append(method)
        return real(method, *args, **kwargs)

    monkeypatch.setattr(methods, "serialize_server_result", counting)
    need_m3ter()
    one = serve(served, copy_folder(M3TER, tmp_path / "m3ter", compiled=True))
    first = one.rpc("tools/list")
    assert shaped == ["tools/list"] and len(first["tools"]) == 50 and first["nextCursor"]
    assert one.rpc("tools/list") == first and shaped == ["tools/list"]
    second = one.rpc("tools/list", {"cursor": first["nextCursor"]})
    assert second["tools"] != first["tools"] and len(shaped) == 2
    assert one.rpc("tools/list", {"cursor": first["nextCursor"]}) == second and len(shaped) == 2
    everything = one.list_all()
    assert len(everything) == 323 and len({t["name"] for t in everything}) == 323
    assert shaped.count("tools/list") == 7  # one per page, however often each was asked for
    # Another _meta is checked by the SDK before it is answered from what is kept; a page keeps
    # a few (a client sending a new one every time gets the SDK every time, not more memory).
    shaped.clear()
    for token in range(12):
        assert one.rpc("tools/list", {"_meta": {"progressToken": token}}) == first
    assert len(shaped) == 12
    one.rpc("tools/list", {"_meta": {"progressToken": 3}})
    assert len(shaped) == 12  # kept with the page
    one.rpc("tools/list", {"_meta": {"progressToken": 11}})
    assert len(shaped) == 13  # past the bound: not kept, shaped again
    headers = {
        "authorization": f"Bearer {TOKEN}",
        "content-type": "application/json",
        "accept": "application/json, text/event-stream",
        "mcp-protocol-version": "2025-11-25",
    }
    for _ in range(2):  # a refused cursor is refused every time, never kept
        message = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"cursor": "not-ours"}}
        event = function_url_event("POST", "/mcp", headers, json.dumps(message).encode())
        body = json.loads(one.handler(event, None)["body"])
        assert body["error"]["code"] == -32602
