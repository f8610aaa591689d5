"""Issue 20: Ikanos ``1.0.0-beta4`` files through the real handlers, beside alpha2 ones.

A capability written the beta4 way (keyed maps, ``display``, ``flows``, ``target``, binary
content, cache hints, ``info.version``) is served over REST (API Gateway events through the REST
handler) and MCP (the official client through the MCP handler, both protocol generations);
shared section files are imported with ``{from, import, as}``; what beta4 changed in meaning is
tested against the same file in alpha2; and `migrate` is run the way the docs tell a user to.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from naftiko_lambda.capability.load import inspect_capability, load_capabilities, load_capability
from naftiko_lambda.cli import main
from naftiko_lambda.errors import SpecError
from naftiko_lambda.exposes.mcp.handler import create_handler as mcp_handler
from naftiko_lambda.exposes.rest.handler import create_handler as rest_handler
from naftiko_lambda.settings import Settings, base_uri_variable

from ..conftest import ROOT
from ..support.events import apigw_event, response_headers, response_json
from ..support.mcp_lambda import FUNCTION_URL, LambdaTransport
from ..support.upstream import Reply, UpstreamServer

TOKEN = "beta4-mcp-token-0123456789abcdef0123"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) + b"IEND"
SHIPYARD = """\
ikanos: "1.0.0-beta4"
info:
  display: Shipyard
  description: Ships, crews and photos, written in Ikanos beta4.
  version: "2.1.0"
binds:
- namespace: env
  keys:
    SHIPYARD_TOKEN: SHIPYARD_TOKEN
capability:
  consumes:
  - type: http
    namespace: registry
    baseUri: https://registry.example.com/v1
    authentication: {type: bearer, token: "{{SHIPYARD_TOKEN}}"}
    inputParameters:
      Registry-Version: {in: header, value: "2026-08-17"}
    resources:
      ships:
        path: /ships
        operations:
          list-ships:
            method: GET
            inputParameters:
              status: {in: query}
      ship:
        path: /ships/{{imo}}
        operations:
          get-ship:
            method: GET
            outputParameters:
              shipName: {type: string, value: $.name}
      crew:
        path: /crew
        operations:
          list-crew: {method: GET}
      photo:
        path: /ships/{{imo}}/photo
        operations:
          get-photo:
            method: GET
            outputRawFormat: binary
            maxBinarySize: 1KiB
  aggregates:
  - display: Fleet
    namespace: fleet
    flows:
      find-ships:
        description: List ships by status.
        semantics: {safe: true, idempotent: true}
        inputParameters:
          status: {type: string, description: Status filter, required: false}
        call: registry.list-ships
        with: {status: fleet.status}
  exposes:
  - type: rest
    namespace: shipyard-api
    port: 3000
    resources:
      ships:
        path: /ships
        operations:
          list-ships:
            method: GET
            ref: fleet.find-ships
      ship-crew:
        path: /ships/{imo}/crew
        operations:
          get-ship-crew:
            method: GET
            inputParameters:
              imo: {in: path, type: string, description: IMO number}
            steps:
              get-ship: {type: call, call: registry.get-ship, with: {imo: shipyard-api.imo}}
              list-crew: {type: call, call: registry.list-crew}
              resolve-crew:
                type: lookup
                index: list-crew
                match: crewId
                lookupValue: $.get-ship.assignedCrew
                outputParameters: [fullName, role]
            mappings:
            - {target: ship, value: $.get-ship.shipName}
            - {target: crew, value: $.resolve-crew}
            outputParameters:
              ship: {type: string}
              crew:
                type: array
                items:
                  fullName: {type: string}
                  role: {type: string}
      photo:
        path: /ships/{imo}/photo
        operations:
          get-photo:
            method: GET
            call: registry.get-photo
            with: {imo: shipyard-api.imo}
            responseBinary: {mediaType: image/png}
  - type: mcp
    namespace: shipyard-tools
    port: 3001
    description: Shipyard tools
    ttlMs: 60000
    cacheScope: public
    tools:
      find-ships:
        display: Find ships
        tags: [fleet, read]
        ref: fleet.find-ships
      ship-photo:
        display: Ship photo
        description: The ship's photo.
        inputParameters:
          imo: {type: string, description: IMO number}
        call: registry.get-photo
        with: {imo: shipyard-tools.imo}
      greet:
        description: A greeting (mock).
        inputParameters:
          name: {type: string, description: Who}
        outputParameters:
          message: {type: string, value: "Hello, {{name}}!"}
    resources:
      ship-photo:
        display: Ship photo
        uri: photos://ships/{imo}
        description: Photo bytes
        binary: true
        call: registry.get-photo
        with: {imo: "{imo}"}
    prompts:
      ship-summary:
        display: Ship summary
        description: Summarise a ship
        arguments:
          imo: {description: IMO number}
          tone: {display: Tone, description: Tone of voice, required: false}
        template:
        - role: user
          content: "Summarise ship {{imo}} in a {{tone}} tone."
"""


def write(folder: Path, name: str, text: str) -> Path:
    file = folder / name
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(textwrap.dedent(text), encoding="utf-8")
    return file


@pytest.fixture
def shipyard(tmp_path: Path) -> Path:
    return write(tmp_path, "shipyard.yaml", SHIPYARD)


def environ(folder: Path, upstream: UpstreamServer, **extra: str) -> dict[str, str]:
    env = {"SHIPYARD_TOKEN": "registry-secret-token", "MCP_BEARER_TOKENS": TOKEN, **extra}
    for capability in load_capabilities(folder):
        for namespace in capability.consumes:
            env[base_uri_variable(namespace)] = upstream.url
    return env


# -- the model ---------------------------------------------------------------------------------


def test_a_beta4_file_reads_into_the_one_model(shipyard: Path) -> None:
    capability, issues = inspect_capability(shipyard)
    assert capability is not None, issues
    assert [i for i in issues if i.severity != "warning"] == []
    assert capability.label == "Shipyard" and capability.version == "2.1.0"
    assert [op.name for op in capability.rest_operations] == ["list-ships", "get-ship-crew", "get-photo"]
    tools = {t.name: t for t in capability.tools}
    assert list(tools) == ["find-ships", "ship-photo", "greet"]
    assert tools["find-ships"].label == "Find ships" and tools["find-ships"].tags == ("fleet", "read")
    assert tools["find-ships"].hints.read_only is True  # the flow's semantics, as in alpha2
    assert tools["ship-photo"].max_binary == 1024 and tools["greet"].max_binary == 0
    block = capability.mcp[0]
    assert (block.ttl_ms, block.cache_scope) == (60000, "public")
    prompt = block.prompts[0]
    assert [(a.name, a.required) for a in prompt.arguments] == [("imo", True), ("tone", False)]
    assert capability.functions["fleet.find-ships"].inputs[0].name == "status"
    consumed = capability.consumes["registry"].operations
    assert consumed["get-photo"].binary and consumed["get-ship"].outputs[0].name == "shipName"


# -- REST --------------------------------------------------------------------------------------


@pytest.fixture
def rest(shipyard: Path, upstream: UpstreamServer) -> Any:
    env = {"CAPABILITY_FILE": str(shipyard), **environ(shipyard.parent, upstream)}
    return rest_handler(Settings.from_environ(env))


@pytest.mark.parametrize("version", [1, 2])
def test_rest_serves_a_beta4_ref_with_its_keyed_parameters(rest: Any, upstream: UpstreamServer, version: int) -> None:
    upstream.reply(Reply(200, [{"imo": "9321483", "status": "active"}]))
    response = rest(apigw_event(version, "GET", "/shipyard/ships", {"status": "active"}), None)
    assert response["statusCode"] == 200, response_json(response)
    assert response_json(response) == [{"imo": "9321483", "status": "active"}]
    got = upstream.last
    assert (got.path, dict(got.query)) == ("/ships", {"status": "active"})
    assert got.headers["Registry-Version"] == "2026-08-17"
    assert got.headers["Authorization"] == "Bearer registry-secret-token"


def test_rest_runs_keyed_steps_lookup_and_target_mappings(rest: Any, upstream: UpstreamServer) -> None:
    crew = Reply(
        200,
        [
            {"crewId": "c1", "fullName": "Ada", "role": "master", "pay": 1},
            {"crewId": "c2", "fullName": "Bo", "role": "mate"},
        ],
    )

    def by_path(handler: Any) -> None:  # the two calls run together: answer each by its path
        reply = crew if handler.path == "/crew" else Reply(200, {"name": "Northern Star", "assignedCrew": ["c1", "c2"]})
        body = json.dumps(reply.body).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    upstream.reply(Reply(action=by_path))
    response = rest(apigw_event(2, "GET", "/shipyard/ships/9321483/crew"), None)
    assert response["statusCode"] == 200, response_json(response)
    assert response_json(response) == {
        "ship": "Northern Star",
        "crew": [{"fullName": "Ada", "role": "master"}, {"fullName": "Bo", "role": "mate"}],
    }
    assert sorted(r.path for r in upstream.received) == ["/crew", "/ships/9321483"]


@pytest.mark.parametrize("version", [1, 2])
def test_rest_answers_binary_content_as_bytes(rest: Any, upstream: UpstreamServer, version: int) -> None:
    upstream.reply(Reply(200, PNG, {"Content-Type": "application/octet-stream"}))
    response = rest(apigw_event(version, "GET", "/shipyard/ships/9321483/photo"), None)
    assert response["statusCode"] == 200
    assert response["isBase64Encoded"] is True
    assert base64.b64decode(response["body"]) == PNG
    headers = response_headers(response)
    assert headers["content-type"] == "image/png"  # responseBinary wins over a generic upstream type
    assert headers["x-content-type-options"] == "nosniff"
    assert upstream.last.path == "/ships/9321483/photo"


def test_binary_content_over_max_binary_size_is_a_502_naming_the_limit(rest: Any, upstream: UpstreamServer) -> None:
    upstream.reply(Reply(200, b"x" * 1025, {"Content-Type": "image/png"}))
    response = rest(apigw_event(2, "GET", "/shipyard/ships/1/photo"), None)
    assert response["statusCode"] == 502
    assert "maxBinarySize (limit=1024 bytes)" in response_json(response)["detail"]


# -- MCP ---------------------------------------------------------------------------------------


@pytest.fixture
def mcp_transport(shipyard: Path, upstream: UpstreamServer) -> Iterator[LambdaTransport]:
    env = {"CAPABILITIES_DIR": str(shipyard.parent), **environ(shipyard.parent, upstream)}
    with LambdaTransport(lambda: mcp_handler(Settings.from_environ(env))) as transport:
        yield transport


def mcp(transport: LambdaTransport, mode: str, scenario: Any) -> Any:
    async def run() -> Any:
        async with (
            httpx2.AsyncClient(transport=transport, headers={"Authorization": f"Bearer {TOKEN}"}) as http,
            Client(streamable_http_client(FUNCTION_URL + "/mcp/shipyard", http_client=http), mode=mode) as client,
        ):
            return await scenario(client)

    return anyio.run(run)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
def test_mcp_lists_beta4_tools_with_display_titles(mcp_transport: LambdaTransport, mode: str) -> None:
    async def scenario(client: Client) -> Any:
        return await client.list_tools()

    listed = mcp(mcp_transport, mode, scenario)
    tools = {t.name: t for t in listed.tools}
    assert list(tools) == ["find-ships", "ship-photo", "greet"]
    assert tools["find-ships"].title == "Find ships"
    assert tools["find-ships"].annotations.read_only_hint is True
    assert tools["ship-photo"].output_schema is None  # bytes, not JSON
    if mode == "auto":  # MCP 2026-07-28 carries beta4's cache hints; 2025-11-25 has no such fields
        assert (listed.ttl_ms, listed.cache_scope) == (60000, "public")


@pytest.mark.parametrize("mode", ["auto", "legacy"])
def test_mcp_calls_a_beta4_mock_and_a_binary_tool(
    mcp_transport: LambdaTransport, upstream: UpstreamServer, mode: str
) -> None:
    upstream.reply(Reply(200, PNG, {"Content-Type": "image/png"}))

    async def scenario(client: Client) -> Any:
        return await client.call_tool("greet", {"name": "Ada"}), await client.call_tool("ship-photo", {"imo": "9"})

    greeting, photo = mcp(mcp_transport, mode, scenario)
    assert greeting.structured_content == {"message": "Hello, Ada!"}
    assert photo.is_error is False
    [image] = photo.content
    assert image.type == "image" and image.mime_type == "image/png"
    assert base64.b64decode(image.data) == PNG
    assert upstream.last.path == "/ships/9/photo"


def test_mcp_binary_content_of_another_type_is_an_embedded_blob(
    mcp_transport: LambdaTransport, upstream: UpstreamServer
) -> None:
    upstream.reply(Reply(200, b"%PDF-1.7 ...", {"Content-Type": "application/pdf"}))

    async def scenario(client: Client) -> Any:
        return await client.call_tool("ship-photo", {"imo": "9"})

    [embedded] = mcp(mcp_transport, "auto", scenario).content
    assert embedded.type == "resource" and embedded.resource.mime_type == "application/pdf"
    assert base64.b64decode(embedded.resource.blob) == b"%PDF-1.7 ..."
    assert str(embedded.resource.uri).startswith("naftiko://transient/shipyard/ship-photo/")


@pytest.mark.parametrize("mode", ["auto", "legacy"])
def test_mcp_reads_a_binary_resource_as_a_blob_and_gets_a_keyed_prompt(
    mcp_transport: LambdaTransport, upstream: UpstreamServer, mode: str
) -> None:
    upstream.reply(Reply(200, PNG, {"Content-Type": "application/octet-stream"}))

    async def scenario(client: Client) -> Any:
        read = await client.read_resource("photos://ships/9321483")
        prompt = await client.get_prompt("ship-summary", {"imo": "9321483", "tone": "dry"})
        prompts = await client.list_prompts()
        return read, prompt, prompts

    read, prompt, prompts = mcp(mcp_transport, mode, scenario)
    [blob] = read.contents
    assert base64.b64decode(blob.blob) == PNG and blob.mime_type == "application/octet-stream"
    assert upstream.last.path == "/ships/9321483/photo"
    assert prompt.messages[0].content.text == "Summarise ship 9321483 in a dry tone."
    [listed] = prompts.prompts
    assert listed.title == "Ship summary"
    assert [(a.name, a.required) for a in listed.arguments] == [("imo", True), ("tone", False)]


def test_mcp_server_info_carries_the_capability_version(mcp_transport: LambdaTransport) -> None:
    async def scenario(client: Client) -> Any:
        return client.server_info if hasattr(client, "server_info") else client.initialize_result.server_info

    info = mcp(mcp_transport, "legacy", scenario)
    assert info.version == "2.1.0"


# -- shared section files and imports ------------------------------------------------------------


SHARED = {
    "shared/registry.consumes.yml": """\
        ikanos: "1.0.0-beta4"
        consumes:
        - type: http
          namespace: registry
          baseUri: https://registry.example.com
          authentication: {type: bearer, token: "{{REGISTRY_TOKEN}}"}
          resources:
            ships:
              path: /ships
              operations:
                list-ships: {method: GET}
        """,
    "shared/fleet.aggregates.yml": """\
        ikanos: "1.0.0-beta4"
        aggregates:
        - display: Fleet
          namespace: fleet
          flows:
            all-ships:
              description: Every ship.
              semantics: {safe: true}
              call: ships-api.list-ships
        """,
    "shared/tools.exposes.yml": """\
        ikanos: "1.0.0-beta4"
        exposes:
        - type: mcp
          namespace: fleet-tools
          port: 3001
          tools:
            all-ships:
              ref: fleet.all-ships
        """,
    "shared/secrets.binds.yml": """\
        ikanos: "1.0.0-beta4"
        binds:
        - namespace: registry-env
          keys:
            REGISTRY_TOKEN: REGISTRY_TOKEN
        """,
}
IMPORTER = """\
    ikanos: "1.0.0-beta4"
    info: {display: Fleet, description: Imports every section.}
    capability:
      binds:
      - {from: ./shared/secrets.binds.yml, import: registry-env}
      consumes:
      - {from: ./shared/registry.consumes.yml, import: registry, as: ships-api}
      aggregates:
      - {from: "file:///shared/fleet.aggregates.yml", import: fleet}
      exposes:
      - {from: ./shared/tools.exposes.yml, import: fleet-tools}
    """


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    for name, text in SHARED.items():
        write(tmp_path, name, text)
    return write(tmp_path, "fleet.yaml", IMPORTER)


def test_every_section_is_imported_from_shared_files(fleet: Path, upstream: UpstreamServer) -> None:
    capability = load_capability(fleet)
    assert list(capability.consumes) == ["ships-api"]  # `as` renames the namespace
    assert [t.name for t in capability.tools] == ["all-ships"] and capability.tools[0].ref == "fleet.all-ships"
    assert "REGISTRY_TOKEN" in capability.binds
    assert sorted(Path(i).name for i in capability.imports) == sorted(Path(n).name for n in SHARED)
    assert [c.name for c in load_capabilities(fleet.parent)] == ["fleet"]  # shared files are not served

    env = {"CAPABILITIES_DIR": str(fleet.parent), "MCP_BEARER_TOKENS": TOKEN, "REGISTRY_TOKEN": "imported-token"}
    env[base_uri_variable("ships-api")] = upstream.url
    upstream.reply(Reply(200, [{"imo": "1"}]))
    with LambdaTransport(lambda: mcp_handler(Settings.from_environ(env))) as transport:

        async def run() -> Any:
            async with (
                httpx2.AsyncClient(transport=transport, headers={"Authorization": f"Bearer {TOKEN}"}) as http,
                Client(streamable_http_client(FUNCTION_URL + "/mcp/fleet", http_client=http)) as client,
            ):
                return await client.call_tool("all-ships", {})

        result = anyio.run(run)
    assert result.is_error is False and result.structured_content == {"result": [{"imo": "1"}]}
    assert upstream.last.headers["Authorization"] == "Bearer imported-token"


def test_compile_and_template_see_the_capability_not_its_shared_files(fleet: Path, tmp_path: Path) -> None:
    assert main(["compile", str(fleet.parent)]) == 0
    assert (
        main(
            [
                "template",
                "--capabilities",
                str(fleet.parent),
                "--output",
                str(tmp_path / "t.yaml"),
                "--env-file",
                str(tmp_path / "env.json"),
            ]
        )
        == 0
    )
    template = (tmp_path / "t.yaml").read_text()
    assert "Fleet" in template and "RegistryConsumes" not in template and "REGISTRY_TOKEN" in template


@pytest.mark.parametrize(
    ("entry", "field", "message"),
    [
        ("{location: ./shared/registry.consumes.yml, import: registry}", "location", "beta4 imports say `from`"),
        ("{from: ../elsewhere.yml, import: registry}", "from", "points outside the capabilities folder"),
        ("{from: ./fleet.yaml, import: registry}", "from", "a file cannot import from itself"),
        ("{from: ./shared/registry.consumes.yml, import: nothing}", "import", "has no consumes adapter"),
        ("{from: ./shared/registry.consumes.yml}", "import", "needs `import`"),
    ],
)
def test_a_wrong_beta4_import_names_the_field_and_line(fleet: Path, entry: str, field: str, message: str) -> None:
    text = fleet.read_text().replace("{from: ./shared/registry.consumes.yml, import: registry, as: ships-api}", entry)
    fleet.write_text(text)
    with pytest.raises(SpecError) as raised:
        load_capability(fleet)
    assert message in raised.value.message
    assert raised.value.field == f"capability.consumes[0].{field}"
    assert raised.value.line == 7


def test_validate_checks_a_shared_file_without_serving_it(fleet: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(fleet.parent / "shared" / "registry.consumes.yml")]) == 0
    empty = write(fleet.parent, "shared/empty.consumes.yml", 'ikanos: "1.0.0-beta4"\nconsumes: []\n')
    assert main(["validate", str(empty)]) == 1
    assert "a shared consumes file needs at least one entry" in capsys.readouterr().out


# -- what differs between the dialects: one test each --------------------------------------------


ALPHA_AGGREGATE = """\
naftiko: "1.0.0-alpha2"
info: {label: Forecast, description: A safe flow behind POST.}
capability:
  consumes:
  - type: http
    namespace: weather
    baseUri: https://weather.example.com
    resources:
    - name: forecast
      path: /forecast
      operations:
      - {name: get-forecast, method: GET}
  aggregates:
  - label: Forecast
    namespace: forecast
    functions:
    - name: get-forecast
      description: The forecast.
      semantics: {safe: true}
      call: weather.get-forecast
  exposes:
  - type: rest
    namespace: api
    port: 3000
    resources:
    - name: forecast
      path: /forecast
      operations:
      - {name: query, method: POST, ref: forecast.get-forecast}
"""


def _issues(folder: Path, name: str, text: str) -> list[Any]:
    capability, issues = inspect_capability(write(folder, name, text))
    assert capability is not None, issues
    return issues


def test_a_safe_flow_behind_post_is_flagged_in_beta4_only(tmp_path: Path) -> None:
    alpha = _issues(tmp_path, "alpha.yaml", ALPHA_AGGREGATE)
    assert not [i for i in alpha if "POST usually modifies state" in i.message]  # alpha2: POST may query
    migrated = tmp_path / "beta.yaml"
    migrated.write_text(ALPHA_AGGREGATE)
    assert main(["migrate", str(migrated)]) == 0
    beta = inspect_capability(migrated)[1]
    [flagged] = [i for i in beta if "POST usually modifies state" in i.message]
    assert flagged.severity == "warning" and flagged.field.endswith("operations.query.method")


def test_the_alpha2_list_form_is_read_in_beta4_with_a_warning(tmp_path: Path) -> None:
    alpha = _issues(tmp_path, "alpha.yaml", ALPHA_AGGREGATE)
    assert not [i for i in alpha if "not a list" in i.message]
    listed = ALPHA_AGGREGATE.replace('naftiko: "1.0.0-alpha2"', 'ikanos: "1.0.0-beta4"').replace("functions:", "flows:")
    beta = _issues(tmp_path, "listed.yaml", listed)
    warned = {i.field for i in beta if i.severity == "warning" and "not a list" in i.message}
    assert "capability.consumes[0].resources" in warned and "capability.aggregates[0].flows" in warned


def test_imports_say_location_in_alpha2_and_from_in_beta4(tmp_path: Path) -> None:
    shared = """\
        naftiko: 1.0.0-alpha2
        consumes:
        - type: http
          namespace: registry
          baseUri: https://registry.example.com
          resources:
          - {name: ships, path: /ships, operations: [{name: list-ships, method: GET}]}
        """
    write(tmp_path, "shared.yaml", shared)
    alpha = """\
        naftiko: 1.0.0-alpha2
        capability:
          consumes:
          - {IMPORT: ./shared.yaml, import: registry}
          exposes:
          - type: mcp
            namespace: tools
            tools:
            - {name: ships, description: Ships, call: registry.list-ships}
        """
    assert load_capability(write(tmp_path, "alpha.yaml", alpha.replace("IMPORT", "location"))).consumes
    with pytest.raises(SpecError, match="alpha2 imports say `location`"):
        load_capability(write(tmp_path, "alpha-from.yaml", alpha.replace("IMPORT", "from")))


def test_a_root_section_without_a_capability_is_shared_in_beta4_only(tmp_path: Path) -> None:
    section = "consumes: []\nexposes:\n- {type: mcp, namespace: x, tools: {}}\n"
    write(tmp_path, "beta.yaml", 'ikanos: "1.0.0-beta4"\n' + section.replace("consumes: []\n", ""))
    write(tmp_path, "alpha.yaml", "naftiko: 1.0.0-alpha2\n" + section.replace("consumes: []\n", ""))
    with pytest.raises(SpecError, match="needs a capability block"):
        load_capabilities(tmp_path)  # alpha2: only a root consumes is a shared file
    (tmp_path / "alpha.yaml").unlink()
    assert load_capabilities(tmp_path) == ()


# -- what cannot run on Lambda is refused, naming the field --------------------------------------


def test_a_reverse_tunnel_is_refused_at_load(tmp_path: Path) -> None:
    text = SHIPYARD.replace(
        "    baseUri: https://registry.example.com/v1\n",
        "    baseUri: https://registry.example.com/v1\n    tunnel: {type: ziti, service: crm, identity: x}\n",
    )
    with pytest.raises(SpecError) as raised:
        load_capability(write(tmp_path, "tunnel.yaml", text))
    assert raised.value.field == "capability.consumes[0].tunnel"
    assert "cannot run on AWS Lambda" in raised.value.message and raised.value.line == 15


def test_a_control_port_is_left_out_with_a_message(tmp_path: Path) -> None:
    text = SHIPYARD.replace(
        "  exposes:\n", "  exposes:\n  - type: control\n    port: 9090\n    management: {health: true}\n", 1
    )
    capability, issues = inspect_capability(write(tmp_path, "control.yaml", text))
    assert capability is not None
    [control] = [i for i in issues if i.severity == "unserved"]
    assert control.field == "capability.exposes[0].type" and "control port" in control.message


def test_validate_reports_beta4_schema_departures_at_their_line(
    shipyard: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shipyard.write_text(SHIPYARD.replace("        display: Ship photo\n        uri:", "        uri:"))
    assert main(["validate", "--strict", str(shipyard)]) == 1
    out = capsys.readouterr().out
    line = shipyard.read_text().splitlines().index("        uri: photos://ships/{imo}") + 1
    expected = (
        f"shipyard.yaml:{line}: capability.exposes[1].resources.ship-photo: schema: 'display' is a required property"
    )
    assert expected in out


# -- migrate, as the docs tell a user to run it ----------------------------------------------------


def test_migrate_keeps_comments_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    file = write(
        tmp_path,
        "forecast.yaml",
        "# Forecasts for the fleet\n"
        + ALPHA_AGGREGATE.replace("    functions:\n", "    functions:  # what REST runs\n"),
    )
    command = [sys.executable, "-m", "naftiko_lambda.cli", "migrate", str(file)]
    first = subprocess.run(command, capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "migrated to beta4" in first.stdout
    migrated = file.read_bytes()
    assert migrated.startswith(b'# Forecasts for the fleet\nikanos: "1.0.0-beta4"\n')  # its quotes kept
    assert re.search(rb"\n    flows: +# what REST runs\n", migrated), migrated  # the comment moves with its key
    second = subprocess.run(command, capture_output=True, text=True, check=False)
    assert second.returncode == 0 and "already beta4" in second.stdout
    assert file.read_bytes() == migrated
    check = subprocess.run([*command[:-1], "--check", str(file)], capture_output=True, text=True, check=False)
    assert check.returncode == 0
    assert json.dumps(load_capability(file).label) == '"Forecast"'


def test_binary_operations_reach_the_template_and_the_openapi_page(shipyard: Path, tmp_path: Path) -> None:
    """API Gateway sends bytes only for binary media types: a stack with a binary REST answer
    declares them; the docs page says what the bytes are."""
    from naftiko_lambda.cli.template import build_template
    from naftiko_lambda.exposes.rest.openapi import build_openapi

    capability = load_capability(shipyard)
    api = build_template((capability,))["Resources"]["RestApi"]["Properties"]
    assert api["BinaryMediaTypes"] == ["*~1*"]
    document = build_openapi(capability, "/shipyard")
    ok = document["paths"]["/shipyard/ships/{imo}/photo"]["get"]["responses"]["200"]
    assert ok["content"] == {"image/png": {"schema": {"type": "string", "format": "binary"}}}
    seeds = build_template(tuple(load_capabilities(ROOT / "capabilities")))["Resources"]["RestApi"]["Properties"]
    assert "BinaryMediaTypes" not in seeds
