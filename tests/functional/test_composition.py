"""Issue 10: imported consumes, orchestrated steps and lookups, aggregates, mocks, skills, MCP
resources and prompts, and MCP inbound authentication, through the real REST and MCP handlers.

The specs follow the reference engine's own examples (capability-example.yml, aggregates/,
mcp/mcp-resources-prompts-capability.yaml, skill-capability.yaml).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, MCPError
from naftiko_lambda.capability.load import load_capabilities, load_capability
from naftiko_lambda.errors import SpecError

from ..support.deployment import MCP_TOKEN, Deployment, write_spec
from ..support.upstream import Reply, UpstreamServer

MODES = ["auto", "legacy"]

REGISTRY = """
consumes:
- namespace: registry
  type: http
  baseUri: https://registry.shipyard.dev/api/v1
  authentication: {type: bearer, token: "{{REGISTRY_TOKEN}}"}
  resources:
  - name: ship
    path: /ships/{{imo_number}}
    operations:
    - {name: get-ship, method: GET, inputParameters: [{name: imo_number, in: path}]}
  - name: crew
    path: /crew
    operations:
    - name: list-crew
      method: GET
      outputParameters:
      - {name: crewKey, type: string, value: $.id}
  - name: cargo
    path: /cargo
    operations:
    - {name: list-cargo, method: GET}
  - name: voyage
    path: /voyages/{{voyageId}}
    operations:
    - {name: get-voyage, method: GET}
"""

LEGACY = """
naftiko: 1.0.0-alpha1
capability:
  consumes:
  - namespace: dockyard
    type: http
    baseUri: https://legacy.dockyard.dev/api
    authentication: {type: apikey, key: X-Dock-Key, value: "{{DOCKYARD_API_KEY}}"}
    resources:
    - name: vessels
      path: /vessels
      operations:
      - {name: list-vessels, method: GET, inputParameters: [{name: status, in: query}]}
"""

SHIPYARD = """
naftiko: 1.0.0-alpha2
binds:
- namespace: env
  keys: {REGISTRY_TOKEN: REGISTRY_TOKEN, DOCKYARD_API_KEY: DOCKYARD_API_KEY}
capability:
  consumes:
  - {import: registry, location: ./shared/registry.yaml}
  - {import: dockyard, location: "file:///shared/legacy.yaml", as: legacy}
  aggregates:
  - label: Fleet
    namespace: fleet
    functions:
    - name: get-ship-summary
      description: A ship's identity.
      semantics: {safe: true, idempotent: true}
      inputParameters:
      - {name: imo, type: string, description: IMO number}
      call: registry.get-ship
      with: {imo_number: imo}
      outputParameters:
      - type: object
        properties:
          imo: {type: string, mapping: $.imo_number}
          name: {type: string, mapping: $.vessel_name}
    - name: greet
      description: A greeting, mocked.
      inputParameters:
      - {name: name, type: string, description: who}
      outputParameters:
      - {name: message, type: string, value: "Hello, {{name}}!"}
      - {name: source, type: string, value: aggregate-mock}
  exposes:
  - type: mcp
    namespace: shipyard-tools
    port: 3001
    description: Shipyard MCP tools
    tools:
    - name: list-legacy-vessels
      description: Legacy vessels
      inputParameters:
      - {name: status, type: string, required: false, description: status}
      call: legacy.list-vessels
      with: {status: shipyard-tools.status}
    - name: get-ship-with-crew
      description: Ship details with resolved crew names
      inputParameters:
      - {name: imo, type: string, description: IMO}
      steps:
      - name: get-ship
        type: call
        call: registry.get-ship
        with: {imo_number: shipyard-tools.imo}
      - {name: list-crew, type: call, call: registry.list-crew}
      - name: resolve-crew
        type: lookup
        index: list-crew
        match: crewKey
        lookupValue: $.get-ship.assignedCrew
        outputParameters: [fullName, role]
      mappings:
      - {targetName: imo, value: $.get-ship.imo_number}
      - {targetName: specs.tonnage, value: $.get-ship.gross_tonnage}
      - {targetName: route.from, value: $.get-ship.home_port}
      - {targetName: crew, value: $.resolve-crew}
      outputParameters:
      - {name: imo, type: string}
      - {name: specs, type: object, properties: {tonnage: {type: number}}}
      - name: crew
        type: array
        items: [{name: fullName, type: string}, {name: role, type: string}]
    - name: voyage-manifest
      description: Voyage with its ship, captain and cargo
      inputParameters:
      - {name: voyageId, type: string, description: voyage}
      steps:
      - {name: voyage, type: call, call: registry.get-voyage, with: {voyageId: shipyard-tools.voyageId}}
      - {name: crew, type: call, call: registry.list-crew}
      - {name: cargo, type: call, call: registry.list-cargo}
      - {name: captain, type: lookup, index: crew, match: id, lookupValue: $.voyage.captainId, outputParameters: [fullName]}
      - {name: deckhands, type: lookup, index: crew, match: id, lookupValue: $.voyage.crewIds, outputParameters: [fullName]}
      - {name: holds, type: lookup, index: cargo, match: code, lookupValue: "$.voyage.cargo[*].code", outputParameters: [label, weight]}
      mappings:
      - {targetName: voyage, value: $.voyage.voyageId}
      - {targetName: captain, value: $.captain.fullName}
      - {targetName: deckhands, value: $.deckhands}
      - {targetName: cargo, value: $.holds}
    - name: ship-summary
      description: Summary
      ref: fleet.get-ship-summary
    - name: hello
      ref: fleet.greet
    - name: fake-ship
      description: A mock ship
      inputParameters:
      - {name: imo, type: string, description: IMO}
      outputParameters:
      - {name: imo, type: string, value: "{{imo}}"}
      - {name: status, type: string, value: ACTIVE}
      - name: specs
        type: object
        properties:
          yearBuilt: {type: number, value: "1999"}
    resources:
    - name: fleet-schema
      label: Fleet Schema
      uri: data://fleet/schema
      description: The fleet's JSON schema
      mimeType: application/json
      location: file:///./docs
    - name: ship-profile
      label: Ship profile
      uri: data://ships/{imo}/profile
      description: One ship
      mimeType: application/json
      call: registry.get-ship
      with: {imo_number: "{{imo}}"}
    prompts:
    - name: outreach
      label: Outreach
      description: Draft outreach
      arguments:
      - {name: participant_name, description: who, required: true}
      - {name: product_name, description: what, required: false}
      template:
      - role: user
        content: "Write to {{participant_name}} about {{product_name}}. Never {{REGISTRY_TOKEN}}."
      - {role: assistant, content: "Sure."}
  - type: rest
    namespace: shipyard-api
    port: 3002
    resources:
    - path: /ships/{imo}
      operations:
      - {method: GET, ref: fleet.get-ship-summary}
    - path: /ships/{imo}/crew
      operations:
      - method: GET
        name: get-ship-with-crew
        steps:
        - {name: get-ship, type: call, call: registry.get-ship, with: {imo_number: shipyard-api.imo}}
        - {name: list-crew, type: call, call: registry.list-crew}
        mappings:
        - {targetName: imo, value: $.get-ship.imo_number}
        - {targetName: crewCount, value: $.list-crew.length}
    - path: /hello
      operations:
      - method: GET
        ref: fleet.greet
        inputParameters: [{name: name, in: query, type: string, description: who}]
  - type: skill
    namespace: shipyard-skills
    port: 3003
    skills:
    - name: fleet-ops
      description: Fleet management
      license: Apache-2.0
      tools:
      - {name: list-legacy-vessels, description: Legacy, from: {sourceNamespace: shipyard-tools, action: list-legacy-vessels}}
      - {name: ship-summary, description: Summary, from: {sourceNamespace: shipyard-api, action: get-ship-summary}}
      - {name: guide, description: A guide, instruction: guide.md}
    - name: onboarding
      description: Purely descriptive
"""


@pytest.fixture
def deployment(tmp_path: Path, upstream: UpstreamServer) -> Deployment:
    folder = tmp_path / "capabilities"
    write_spec(folder, "shared/registry.yaml", REGISTRY)
    write_spec(folder, "shared/legacy.yaml", LEGACY)
    write_spec(folder, "shipyard.yaml", SHIPYARD)
    write_spec(folder, "docs/fleet.json", '{"type": "object"}')
    return Deployment(folder, upstream.url, {"REGISTRY_TOKEN": "reg-tok", "DOCKYARD_API_KEY": "dock-key"})


def route(*replies: tuple[str, Any]) -> Any:
    """An upstream reply that answers by path: [(path, body), ...]."""
    table = dict(replies)

    def action(handler: Any) -> None:
        path = handler.path.split("?")[0]
        body = json.dumps(table.get(path, {"error": "no such path"})).encode()
        handler.send_response(200 if path in table else 404)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return Reply(action=action)


SHIP = {
    "imo_number": "9",
    "vessel_name": "Sea Star",
    "gross_tonnage": "1200",
    "home_port": "Oslo",
    "assignedCrew": ["c2", "c1", "cX"],
}
CREW = [
    {"id": "c1", "fullName": "Ada", "role": "captain", "ssn": "secret"},
    {"id": "c2", "fullName": "Bo", "role": "cook"},
]


# -- imported consumes -------------------------------------------------------------------------


def test_imported_consumes_are_called_with_their_own_auth(deployment: Deployment, upstream: UpstreamServer) -> None:
    upstream.reply(Reply(200, [{"vesselCode": "V1"}]))
    result = deployment.call_tool("list-legacy-vessels", {"status": "active"}, path="/mcp/shipyard")
    assert not result.is_error and result.structured_content == {"result": [{"vesselCode": "V1"}]}
    assert upstream.last.target == "/vessels?status=active"
    assert upstream.last.headers["X-Dock-Key"] == "dock-key"


def test_shared_consumes_files_are_not_served_as_capabilities(deployment: Deployment, tmp_path: Path) -> None:
    folder = tmp_path / "capabilities"
    write_spec(folder, "beside.yaml", REGISTRY)  # a shared consumes file beside the capabilities
    assert [c.name for c in load_capabilities(folder)] == ["shipyard"]
    assert load_capability(folder / "shipyard.yaml").imports == (
        str((folder / "shared/registry.yaml").resolve()),
        str((folder / "shared/legacy.yaml").resolve()),
    )


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{import: registry, location: ../outside.yaml}", "points outside the capabilities folder"),
        ("{import: registry, location: ./shared/missing.yaml}", "cannot be read"),
        ("{import: nothing, location: ./shared/registry.yaml}", "has no consumes adapter with namespace 'nothing'"),
    ],
)
def test_a_wrong_import_names_the_importing_file_and_line(tmp_path: Path, entry: str, message: str) -> None:
    folder = tmp_path / "capabilities"
    write_spec(folder, "shared/registry.yaml", REGISTRY)
    file = write_spec(folder, "bad.yaml", f"naftiko: 1.0.0-alpha2\ncapability:\n  consumes:\n  - {entry}\n")
    with pytest.raises(SpecError, match=message) as err:
        load_capability(file)
    assert err.value.file == str(file) and err.value.line == 4


# -- orchestrated steps and lookups ------------------------------------------------------------


def test_call_call_lookup_with_dotted_mappings(deployment: Deployment, upstream: UpstreamServer) -> None:
    upstream.reply(route(("/ships/9", SHIP), ("/crew", CREW)))
    result = deployment.call_tool("get-ship-with-crew", {"imo": "9"}, path="/mcp/shipyard")
    assert not result.is_error, result.content
    assert result.structured_content == {
        "imo": "9",
        "specs": {"tonnage": 1200.0},
        "route": {"from": "Oslo"},
        "crew": [{"fullName": "Bo", "role": "cook"}, {"fullName": "Ada", "role": "captain"}],
    }
    assert sorted(r.target for r in upstream.received) == ["/crew", "/ships/9"]
    assert all(r.headers["Authorization"] == "Bearer reg-tok" for r in upstream.received)


def test_manifest_with_three_lookups_over_lists_and_scalars(deployment: Deployment, upstream: UpstreamServer) -> None:
    voyage = {
        "voyageId": "v7",
        "captainId": "c1",
        "crewIds": ["c2", "nobody"],
        "cargo": [{"code": "K2"}, {"code": "K1"}],
    }
    cargo = [{"code": "K1", "label": "Tea", "weight": 3}, {"code": "K2", "label": "Salt"}]
    upstream.reply(route(("/voyages/v7", voyage), ("/crew", CREW), ("/cargo", cargo)))
    result = deployment.call_tool("voyage-manifest", {"voyageId": "v7"}, path="/mcp/shipyard")
    assert result.structured_content == {
        "voyage": "v7",
        "captain": "Ada",
        "deckhands": [{"fullName": "Bo"}],
        "cargo": [{"label": "Salt", "weight": None}, {"label": "Tea", "weight": 3}],
    }


def test_independent_call_steps_run_at_the_same_time(deployment: Deployment, upstream: UpstreamServer) -> None:
    """crew and cargo do not read each other: both requests are in flight together (a barrier of
    the two holds each reply until the other arrived; in sequence the first would time out)."""
    voyage = {"voyageId": "v7", "captainId": "c1", "crewIds": [], "cargo": []}
    both = threading.Barrier(2, timeout=5)

    def action(handler: Any) -> None:
        path = handler.path
        if path in ("/crew", "/cargo"):
            both.wait()
        body = json.dumps(voyage if path.startswith("/voyages") else []).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    upstream.reply(Reply(action=action))
    result = deployment.call_tool("voyage-manifest", {"voyageId": "v7"}, path="/mcp/shipyard")
    assert not result.is_error, result.content
    assert not both.broken


def test_rest_orchestration_and_a_failing_step(deployment: Deployment, upstream: UpstreamServer) -> None:
    upstream.reply(route(("/ships/9", SHIP), ("/crew", CREW)))
    ok = deployment.rest("shipyard", "GET", "/ships/9/crew")
    assert ok.status == 200 and ok.json == {"imo": "9", "crewCount": None}
    upstream.reply(route(("/ships/9", SHIP)))  # /crew answers 404
    failed = deployment.rest("shipyard", "GET", "/ships/9/crew")
    assert failed.status == 404
    assert failed.json["step"] == "list-crew" and failed.json["upstream"]["status"] == 404
    assert "list-crew (registry.list-crew): upstream answered 404" in failed.json["detail"]
    upstream.reply(Reply(500, {"oops": 1}))
    assert deployment.rest("shipyard", "GET", "/ships/9/crew").status == 502
    result = deployment.call_tool("get-ship-with-crew", {"imo": "9"}, path="/mcp/shipyard")
    assert result.is_error and result.structured_content["step"] == "get-ship"
    assert result.structured_content["status"] == 500


# -- aggregates and ref -----------------------------------------------------------------------


def test_aggregate_function_serves_a_tool_and_a_rest_operation(
    deployment: Deployment, upstream: UpstreamServer
) -> None:
    tools = {t.name: t for t in deployment.list_tools(path="/mcp/shipyard")}
    summary = tools["ship-summary"]
    assert summary.description == "Summary"
    assert summary.input_schema == {
        "type": "object",
        "properties": {"imo": {"type": "string", "description": "IMO number"}},
        "required": ["imo"],
    }
    hints = summary.annotations
    assert (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint) == (True, False, True)
    assert tools["hello"].description == "A greeting, mocked."  # inherited
    upstream.reply(Reply(200, SHIP))
    result = deployment.call_tool("ship-summary", {"imo": "9"}, path="/mcp/shipyard")
    assert result.structured_content == {"imo": "9", "name": "Sea Star"}
    assert upstream.last.target == "/ships/9"
    rest = deployment.rest("shipyard", "GET", "/ships/9")
    assert rest.status == 200 and rest.json == {"imo": "9", "name": "Sea Star"}


# -- mocks ------------------------------------------------------------------------------------


def test_mocks_answer_without_an_upstream(deployment: Deployment, upstream: UpstreamServer) -> None:
    hello = deployment.call_tool("hello", {"name": "Ada"}, path="/mcp/shipyard")
    assert hello.structured_content == {"message": "Hello, Ada!", "source": "aggregate-mock"}
    assert deployment.rest("shipyard", "GET", "/hello", query={"name": "Bo"}).json == {
        "message": "Hello, Bo!",
        "source": "aggregate-mock",
    }
    ship = deployment.call_tool("fake-ship", {"imo": "42"}, path="/mcp/shipyard")
    assert ship.structured_content == {"imo": "42", "status": "ACTIVE", "specs": {"yearBuilt": 1999.0}}
    assert upstream.received == []


# -- skills ------------------------------------------------------------------------------------


def test_skills_catalog_and_detail(deployment: Deployment) -> None:
    catalog = deployment.rest("shipyard", "GET", "/skills")
    assert catalog.json == {
        "count": 2,
        "skills": [
            {
                "name": "fleet-ops",
                "description": "Fleet management",
                "license": "Apache-2.0",
                "tools": ["list-legacy-vessels", "ship-summary", "guide"],
            },
            {"name": "onboarding", "description": "Purely descriptive", "tools": []},
        ],
    }
    detail = deployment.rest("shipyard", "GET", "/skills/fleet-ops").json
    assert detail["tools"] == [
        {
            "name": "list-legacy-vessels",
            "description": "Legacy",
            "type": "derived",
            "invocationRef": {"targetNamespace": "shipyard-tools", "action": "list-legacy-vessels", "mode": "mcp"},
        },
        {
            "name": "ship-summary",
            "description": "Summary",
            "type": "derived",
            "invocationRef": {"targetNamespace": "shipyard-api", "action": "get-ship-summary", "mode": "rest"},
        },
        {"name": "guide", "description": "A guide", "type": "instruction", "instruction": "guide.md"},
    ]
    missing = deployment.rest("shipyard", "GET", "/skills/nope")
    assert missing.status == 404 and missing.headers["content-type"] == "application/problem+json"
    paths = deployment.rest("shipyard", "GET", "/openapi.json").json["paths"]
    assert "/shipyard/skills" in paths and "/shipyard/skills/{name}" in paths


def test_a_skill_naming_no_tool_is_a_load_error(tmp_path: Path) -> None:
    folder = tmp_path / "capabilities"
    write_spec(folder, "shared/registry.yaml", REGISTRY)
    write_spec(folder, "shared/legacy.yaml", LEGACY)
    file = write_spec(folder, "bad.yaml", SHIPYARD.replace("action: list-legacy-vessels}", "action: no-such-tool}"))
    with pytest.raises(SpecError, match="'shipyard-tools' has no tool or operation named 'no-such-tool'"):
        load_capability(file)


# -- MCP resources and prompts ----------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_resources_and_prompts_through_the_official_client(
    deployment: Deployment, upstream: UpstreamServer, mode: str
) -> None:
    upstream.reply(Reply(200, SHIP))

    async def scenario(client: Client) -> dict[str, Any]:
        prompt = await client.get_prompt("outreach", {"participant_name": "Ada"})
        return {
            "resources": await client.list_resources(),
            "templates": await client.list_resource_templates(),
            "static": await client.read_resource("data://fleet/schema/fleet.json"),
            "dynamic": await client.read_resource("data://ships/9%2F1/profile"),
            "prompts": await client.list_prompts(),
            "prompt": prompt,
        }

    got = deployment.mcp(scenario, path="/mcp/shipyard", mode=mode)
    assert [(r.uri, r.mime_type) for r in got["resources"].resources] == [
        ("data://fleet/schema/fleet.json", "application/json")
    ]
    assert [t.uri_template for t in got["templates"].resource_templates] == ["data://ships/{imo}/profile"]
    assert got["static"].contents[0].text == '{"type": "object"}'
    assert json.loads(got["dynamic"].contents[0].text) == SHIP
    assert upstream.last.target == "/ships/9%2F1"  # the placeholder value, one path segment
    assert [(p.name, [a.required for a in p.arguments]) for p in got["prompts"].prompts] == [
        ("outreach", [True, False])
    ]
    messages = [(m.role, m.content.text) for m in got["prompt"].messages]
    assert messages == [("user", "Write to Ada about . Never ."), ("assistant", "Sure.")]


def test_resource_and_prompt_errors(deployment: Deployment) -> None:
    async def unknown_resource(client: Client) -> None:
        await client.read_resource("data://nope")

    with pytest.raises(MCPError) as err:
        deployment.mcp(unknown_resource, path="/mcp/shipyard")
    assert (err.value.error.code, err.value.error.data) == (-32602, {"uri": "data://nope"})  # SEP-2164

    async def escape(client: Client) -> None:
        await client.read_resource("data://fleet/schema/../../shipyard.yaml")

    with pytest.raises(MCPError) as err:
        deployment.mcp(escape, path="/mcp/shipyard")
    assert err.value.error.code == -32602

    async def missing_argument(client: Client) -> None:
        await client.get_prompt("outreach", {})

    with pytest.raises(MCPError, match="argument 'participant_name' is required"):
        deployment.mcp(missing_argument, path="/mcp/shipyard")


def test_servers_advertise_resources_and_prompts_only_when_they_have_some(
    deployment: Deployment, tmp_path: Path
) -> None:
    async def capabilities(client: Client) -> Any:
        return client.server_capabilities

    with_all = deployment.mcp(capabilities, path="/mcp/shipyard", mode="legacy")
    assert with_all.resources is not None and with_all.prompts is not None
    folder = tmp_path / "plain"
    write_spec(
        folder,
        "plain.yaml",
        """
        naftiko: 1.0.0-alpha2
        capability:
          exposes:
          - type: mcp
            namespace: p
            port: 9
            tools:
            - {name: hi, description: hi, outputParameters: [{name: a, type: string, value: b}]}
        """,
    )
    plain = Deployment(folder, "http://127.0.0.1:1").mcp(capabilities, path="/mcp/plain", mode="legacy")
    assert plain.resources is None and plain.prompts is None and plain.tools is not None


# -- MCP inbound authentication from the spec --------------------------------------------------

GUARDED = """
naftiko: 1.0.0-alpha2
binds:
- namespace: env
  keys: {SPEC_MCP_TOKEN: SPEC_MCP_TOKEN, SPEC_MCP_KEY: SPEC_MCP_KEY}
capability:
  exposes:
  - type: mcp
    namespace: bearer-block
    port: 9
    authentication: {type: bearer, token: "{{SPEC_MCP_TOKEN}}"}
    tools:
    - {name: secret-hi, description: hi, outputParameters: [{name: a, type: string, value: b}]}
  - type: mcp
    namespace: key-block
    port: 10
    authentication: {type: apikey, key: X-Api-Key, value: "{{SPEC_MCP_KEY}}"}
    tools:
    - {name: key-hi, description: hi, outputParameters: [{name: a, type: string, value: b}]}
"""


LIST = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}


def test_an_mcp_block_enforces_its_own_authentication(tmp_path: Path) -> None:
    folder = tmp_path / "capabilities"
    write_spec(folder, "guarded.yaml", GUARDED)
    deployment = Deployment(folder, "http://127.0.0.1:1", {"SPEC_MCP_TOKEN": "spec-token-1", "SPEC_MCP_KEY": "k-2"})
    deployment_token = {"authorization": f"Bearer {MCP_TOKEN}"}
    # the deployment's token alone does not open a block that declares its own
    denied = deployment.post_mcp("/mcp/guarded/bearer-block", LIST, deployment_token)
    assert denied.status == 401 and denied.headers["www-authenticate"] == (
        'Bearer realm="naftiko-mcp", error="invalid_token", error_description="the bearer token is wrong"'
    )
    # the spec-declared bearer token is accepted in place of the deployment's
    tools = deployment.list_tools(path="/mcp/guarded/bearer-block", token="spec-token-1")
    assert [t.name for t in tools] == ["secret-hi"]
    # an apikey block needs the deployment's token and its key
    keyed = deployment.list_tools(path="/mcp/guarded/key-block", headers={"X-Api-Key": "k-2"})
    assert [t.name for t in keyed] == ["key-hi"]
    wrong = deployment.post_mcp("/mcp/guarded/key-block", LIST, {**deployment_token, "x-api-key": "wrong"})
    assert wrong.status == 401 and wrong.headers["www-authenticate"] == "ApiKey"
    no_token = deployment.post_mcp("/mcp/guarded/key-block", LIST, {"x-api-key": "k-2"})
    assert no_token.status == 401
    # the union of both blocks needs both; guarded blocks are not in the all-capabilities endpoint
    assert deployment.post_mcp("/mcp/guarded", LIST, {**deployment_token, "x-api-key": "k-2"}).status == 401
    assert deployment.list_tools(path="/mcp") == []
