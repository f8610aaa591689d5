"""Issue 9: the capability files people have, served as the format means them.

Each test writes a small spec in the shape of a corpus file, serves it through the real REST and
MCP handlers against a loopback upstream, and asserts the exact upstream request and response.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from naftiko_lambda.capability.load import load_capability
from naftiko_lambda.cli import main
from naftiko_lambda.errors import SpecError

from ..support.deployment import Deployment, write_spec
from ..support.upstream import Reply, UpstreamServer

SHIPS = """
naftiko: 1.0.0-alpha2
capability:
  consumes:
  - type: http
    namespace: registry
    baseUri: https://registry.example.com/api
    authentication: {type: bearer, token: '{{REGISTRY_TOKEN}}'}
    resources:
    - name: ship
      path: /libraries/{libraryId}/ships/{imo}
      operations:
      - name: get-ship
        method: GET
        inputParameters:
        - {name: libraryId, in: path, required: true}
        - {name: imo, in: path, required: true}
        - {name: instType, in: query, required: true}
        - {name: Authorization, in: header, required: true}
  exposes:
  - type: rest
    namespace: ships-rest
    port: 8080
    resources:
    - path: /v1/libraries/{libraryId}/ships/{imo}
      operations:
      - method: GET
        name: get-ship
        call: registry.get-ship
        with:
          imo: rest.imo
  - type: mcp
    namespace: ships-mcp
    port: 9090
    tools:
    - name: get-ship
      description: Get a ship
      call: registry.get-ship
      with:
        imo: tools.imo
      inputParameters:
      - {name: imo, type: string, description: IMO number}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "capabilities"


def deploy(folder: Path, upstream: UpstreamServer, **environ: str) -> Deployment:
    return Deployment(folder, upstream.url, {"REGISTRY_TOKEN": "reg-token", **environ})


# -- item 1: REST path placeholders are sources; unfed ones become inputs ---------------------


def test_rest_path_placeholder_fills_the_consumed_placeholder(folder: Path, upstream: UpstreamServer) -> None:
    write_spec(folder, "ships.yaml", SHIPS)
    upstream.reply(Reply(200, {"imo": "9"}))
    response = deploy(folder, upstream).rest("ships", "GET", "/v1/libraries/lib%201/ships/9")
    assert response.status == 200 and response.json == {"imo": "9"}
    assert upstream.last.method == "GET"
    assert upstream.last.target == "/libraries/lib%201/ships/9"
    assert upstream.last.headers["Authorization"] == "Bearer reg-token"


def test_mcp_twin_gets_the_unfed_placeholder_as_a_required_input(folder: Path, upstream: UpstreamServer) -> None:
    write_spec(folder, "ships.yaml", SHIPS)
    deployment = deploy(folder, upstream)
    tool = next(t for t in deployment.list_tools(path="/mcp/ships") if t.name == "get-ship")
    assert tool.input_schema["required"] == ["imo", "libraryId"]
    assert tool.input_schema["properties"]["libraryId"] == {"type": "string"}
    missing = deployment.call_tool("get-ship", {"imo": "9"}, path="/mcp/ships")
    assert missing.is_error and missing.structured_content["argument"] == "libraryId"
    assert upstream.received == []
    upstream.reply(Reply(200, {"imo": "9"}))
    result = deployment.call_tool("get-ship", {"imo": "9", "libraryId": "L1"}, path="/mcp/ships")
    assert not result.is_error and result.structured_content == {"imo": "9"}
    assert upstream.last.target == "/libraries/L1/ships/9"


def test_openapi_lists_the_path_placeholder_and_the_unmapped_query_parameter(
    folder: Path, upstream: UpstreamServer
) -> None:
    write_spec(folder, "ships.yaml", SHIPS)
    document = deploy(folder, upstream).rest("ships", "GET", "/openapi.json").json
    params = document["paths"]["/ships/v1/libraries/{libraryId}/ships/{imo}"]["get"]["parameters"]
    assert [(p["name"], p["in"], p["required"]) for p in params] == [
        ("imo", "path", True),
        ("libraryId", "path", True),
        ("instType", "query", False),
    ]


# -- item 3: unmapped required consumed parameters take the caller's input, else are not sent --


def test_unmapped_required_parameter_takes_the_callers_input(folder: Path, upstream: UpstreamServer) -> None:
    """etrade-capability.yaml:41 answered 400 to ?instType=BROKERAGE."""
    write_spec(folder, "ships.yaml", SHIPS)
    deployment = deploy(folder, upstream)
    upstream.reply(Reply(200, {"ok": True}))
    assert deployment.rest("ships", "GET", "/v1/libraries/L/ships/9", query={"instType": "BROKERAGE"}).status == 200
    assert upstream.last.query == [("instType", "BROKERAGE")]
    assert deployment.rest("ships", "GET", "/v1/libraries/L/ships/9").status == 200
    assert upstream.last.target == "/libraries/L/ships/9"
    # the required consumed Authorization header is the consumes authentication, never the caller's
    assert upstream.last.headers["Authorization"] == "Bearer reg-token"


# -- item 2: with arguments that feed a body template are not also query parameters ----------

MESSAGING = """
naftiko: 1.0.0-alpha2
capability:
  consumes:
  - type: http
    namespace: att
    baseUri: https://api.att.example.com
    resources:
    - name: outbox
      path: /sms/v3/messaging/outbox
      operations:
      - name: send
        method: POST
        body:
          type: json
          data: {address: '{{address}}', message: '{{message}}', apiToken: '{{token}}'}
  exposes:
  - type: rest
    namespace: sms-rest
    port: 8080
    resources:
    - path: /outbox
      operations:
      - method: POST
        name: send
        call: att.send
        with: {address: rest.address, message: rest.message, token: rest.token, stray: rest.stray}
  - type: mcp
    namespace: sms-mcp
    port: 9090
    tools:
    - name: send-sms
      description: Send an SMS
      call: att.send
      with: {address: tools.address, message: tools.message, token: tools.token}
"""


def test_body_template_arguments_never_reach_the_query_string(folder: Path, upstream: UpstreamServer) -> None:
    """at-and-t/messaging.yaml sent POST /sms/v3/messaging/outbox?address=…&message=… (and a token)."""
    write_spec(folder, "sms.yaml", MESSAGING)
    deployment = deploy(folder, upstream)
    upstream.reply(Reply(201, {"id": "m1"}))
    body = {"address": "tel:+1555", "message": "hi", "token": "s3cr3t-tok", "stray": "x"}
    response = deployment.rest("sms", "POST", "/outbox", body=body)
    assert response.status == 201 and response.json == {"id": "m1"}
    assert upstream.last.target == "/sms/v3/messaging/outbox"
    assert upstream.last.json() == {"address": "tel:+1555", "message": "hi", "apiToken": "s3cr3t-tok"}
    result = deployment.call_tool(
        "send-sms", {"address": "tel:+1", "message": "m", "token": "s3cr3t-tok"}, path="/mcp/sms"
    )
    assert not result.is_error
    assert upstream.last.target == "/sms/v3/messaging/outbox"
    assert "s3cr3t-tok" not in upstream.last.target


def test_with_argument_used_nowhere_is_a_validate_warning(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = write_spec(folder, "sms.yaml", MESSAGING)
    assert main(["validate", "--no-schema", str(file)]) == 0
    assert (
        "'stray' is not a parameter of att.send and no template uses it: it is not sent [warning]"
        in capsys.readouterr().out
    )


# -- item 4: exposed in: body inputs ------------------------------------------------------------

BODY_INPUTS = """
naftiko: 1.0.0-alpha2
capability:
  consumes:
  - type: http
    namespace: testns
    baseUri: http://example.com
    resources:
    - name: create
      path: /create
      operations:
      - name: create
        method: POST
        body: '{"id":"{{userId}}","name":"{{userName}}","vessel":"{{vessel}}","source":"{{source}}","tag":"{{tag}}"}'
  exposes:
  - type: rest
    namespace: users-rest
    port: 8084
    resources:
    - path: /users
      operations:
      - method: POST
        name: create-user
        call: testns.create
        inputParameters:
        - {name: userId, in: body, type: string, description: id, value: $.user.id}
        - {name: userName, in: body, type: string, description: name, value: $.user.name}
        - {name: vessel, in: body, type: string, description: vessel}
        - {name: source, in: body, type: string, description: fixed, value: web}
        - {name: tag, type: string, description: no in means the body}
"""


def test_body_inputs_read_jsonpaths_fields_and_static_values(folder: Path, upstream: UpstreamServer) -> None:
    """http-body-capability.yaml; {"vessel": "Sea Star"} used to be 400 "must be a string, got object"."""
    write_spec(folder, "users.yaml", BODY_INPUTS)
    upstream.reply(Reply(200, {"ok": True}))
    body = {"user": {"id": "u1", "name": "Ada"}, "vessel": "Sea Star", "source": "attacker", "tag": "t"}
    response = deploy(folder, upstream).rest("users", "POST", "/users", body=body)
    assert response.status == 200, response.json
    assert upstream.last.json() == {"id": "u1", "name": "Ada", "vessel": "Sea Star", "source": "web", "tag": "t"}


# -- item 5: JSON templates render values as their JSON type ------------------------------------

VOYAGES = """
naftiko: 1.0.0-alpha1
capability:
  consumes:
  - namespace: registry
    type: http
    baseUri: https://registry.shipyard.dev/api/v1
    resources:
    - name: voyages
      path: /voyages
      operations:
      - name: create-voyage
        method: POST
        body: |
          {
            "shipImo": "{{shipImo}}",
            "crewIds": {{crewIds}},
            "cargoIds": {{cargoIds}},
            "days": {{days}}
          }
  exposes:
  - type: mcp
    port: 3001
    namespace: shipyard-tools
    tools:
    - name: create-voyage
      description: Plan a voyage
      inputParameters:
      - {name: shipImo, type: string, description: ship}
      - {name: crewIds, type: array, description: crew}
      - {name: cargoIds, type: array, required: false, description: cargo}
      - {name: days, type: integer, description: days}
      call: registry.create-voyage
      with:
        shipImo: shipyard-tools.shipImo
        crewIds: shipyard-tools.crewIds
        cargoIds: shipyard-tools.cargoIds
        days: shipyard-tools.days
"""


def test_json_body_template_renders_lists_numbers_and_missing_values(folder: Path, upstream: UpstreamServer) -> None:
    """capability-example.yml's create-voyage failed with "did not render to valid JSON" (an alpha1 file)."""
    write_spec(folder, "voyages.yaml", VOYAGES)
    upstream.reply(Reply(201, {"voyageId": "v1"}))
    arguments = {"shipImo": 'IMO "9"', "crewIds": ["c1", "c2"], "days": 12}
    result = deploy(folder, upstream).call_tool("create-voyage", arguments, path="/mcp/voyages")
    assert not result.is_error, result.content
    assert upstream.last.json() == {"shipImo": 'IMO "9"', "crewIds": ["c1", "c2"], "cargoIds": None, "days": 12}
    assert upstream.last.headers["Content-Type"] == "application/json"


# -- item 6: XML drops the document element ----------------------------------------------------

XML = """
naftiko: 1.0.0-alpha2
capability:
  consumes:
  - type: http
    namespace: fleet
    baseUri: https://fleet.example.com
    resources:
    - name: vessels
      path: /vessels
      operations:
      - {name: list-vessels, method: GET, outputRawFormat: xml}
  exposes:
  - type: rest
    namespace: fleet-rest
    port: 8080
    resources:
    - path: /vessels
      operations:
      - method: GET
        name: list-vessels
        call: fleet.list-vessels
        outputParameters:
        - type: array
          mapping: $.vessel
          items:
            type: object
            properties:
              imo: {type: string, mapping: $.imo}
              name: {type: string, mapping: $.name}
              tonnage: {type: number, mapping: $.tonnage}
"""


def test_xml_response_maps_below_the_document_element(folder: Path, upstream: UpstreamServer) -> None:
    write_spec(folder, "fleet.yaml", XML)
    xml = b'<vessels><vessel imo="1"><name>A</name><tonnage>900</tonnage></vessel><vessel imo="2"><name>B</name></vessel></vessels>'
    upstream.reply(Reply(200, xml, {"Content-Type": "application/xml"}))
    response = deploy(folder, upstream).rest("fleet", "GET", "/vessels")
    assert response.status == 200
    assert response.json == [
        {"imo": "1", "name": "A", "tonnage": 900.0},
        {"imo": "2", "name": "B", "tonnage": None},
    ]


# -- item 7: baseUri templated with a whole URL ----------------------------------------------

ACCOUNT = """
naftiko: 1.0.0-alpha2
binds:
- namespace: snowflake-env
  keys: {SNOWFLAKE_ACCOUNT_URL: SNOWFLAKE_ACCOUNT_URL}
capability:
  consumes:
  - type: http
    namespace: snowflake
    baseUri: '{{SNOWFLAKE_ACCOUNT_URL}}'
    resources:
    - name: warehouses
      path: /api/v2/warehouses
      operations:
      - {name: list-warehouses, method: GET}
  exposes:
  - type: rest
    namespace: sf-rest
    port: 8080
    resources:
    - path: /warehouses
      operations:
      - {method: GET, name: list-warehouses, call: snowflake.list-warehouses}
"""


def test_base_uri_bound_to_a_whole_url(folder: Path, upstream: UpstreamServer) -> None:
    write_spec(folder, "sf.yaml", ACCOUNT)
    deployment = Deployment(folder, upstream.url, {"SNOWFLAKE_ACCOUNT_URL": upstream.url + "/acct"})
    deployment.environ.pop("UPSTREAM_BASE_URI_SNOWFLAKE")  # the spec's own baseUri decides
    upstream.reply(Reply(200, [{"name": "wh"}]))
    assert deployment.rest("sf", "GET", "/warehouses").json == [{"name": "wh"}]
    assert upstream.last.target == "/acct/api/v2/warehouses"


@pytest.mark.parametrize("value", ["http://evil.example.com", "ftp://x", "not a url/x"])
def test_base_uri_refuses_plain_http_to_another_host(folder: Path, upstream: UpstreamServer, value: str) -> None:
    write_spec(folder, "sf.yaml", ACCOUNT)
    deployment = Deployment(folder, upstream.url, {"SNOWFLAKE_ACCOUNT_URL": value})
    deployment.environ.pop("UPSTREAM_BASE_URI_SNOWFLAKE")
    response = deployment.rest("sf", "GET", "/warehouses")
    assert response.status == 503
    assert response.json["credential"] == "SNOWFLAKE_ACCOUNT_URL"
    assert upstream.received == []


def test_a_caller_input_never_chooses_the_upstream_host(folder: Path, upstream: UpstreamServer) -> None:
    """A base URI variable that shares its name with an input is still read from the binds only."""
    text = ACCOUNT.replace(
        "{method: GET, name: list-warehouses, call: snowflake.list-warehouses}",
        "{method: GET, name: list-warehouses, call: snowflake.list-warehouses, "
        "inputParameters: [{name: SNOWFLAKE_ACCOUNT_URL, in: query, type: string, description: x}]}",
    )
    write_spec(folder, "sf.yaml", text)
    deployment = Deployment(folder, upstream.url, {"SNOWFLAKE_ACCOUNT_URL": upstream.url})
    deployment.environ.pop("UPSTREAM_BASE_URI_SNOWFLAKE")
    upstream.reply(Reply(200, []))
    deployment.rest("sf", "GET", "/warehouses", query={"SNOWFLAKE_ACCOUNT_URL": "https://attacker.example"})
    assert upstream.last.target == "/api/v2/warehouses"


# -- item 8: several exposes blocks of one type ------------------------------------------------

TWINS = """
naftiko: 1.0.0-alpha2
binds:
- namespace: env
  keys: {ADMIN_TOKEN: ADMIN_TOKEN}
capability:
  consumes:
  - type: http
    namespace: sf
    baseUri: https://sf.example.com
    resources:
    - name: integrations
      path: /integrations/{name}
      operations:
      - {name: list, method: GET}
      - {name: drop, method: DELETE}
  exposes:
  - type: mcp
    namespace: sf-mcp
    port: 9090
    tools:
    - {name: list-integrations, description: List, call: sf.list, with: {name: tools.name}}
  - type: mcp
    namespace: sf-mcp-stdio
    transport: stdio
    tools:
    - {name: list-integrations, description: List, call: sf.list, with: {name: tools.name}}
    - {name: only-here, description: Only in the stdio twin, call: sf.list, with: {name: tools.name}}
  - type: rest
    namespace: open-rest
    port: 8080
    resources:
    - path: /integrations/{name}
      operations:
      - {method: GET, name: list, call: sf.list, with: {name: rest.name}}
  - type: rest
    namespace: admin-rest
    port: 8081
    authentication: {type: bearer, token: '{{ADMIN_TOKEN}}'}
    resources:
    - path: /integrations/{name}
      operations:
      - {method: DELETE, name: drop, call: sf.drop, with: {name: rest.name}}
"""


def test_twin_mcp_blocks_are_one_server_each_and_one_union(folder: Path, upstream: UpstreamServer) -> None:
    """snowflake/integrations-and-connectors.yaml:612 was refused as "duplicate tool name"."""
    write_spec(folder, "sf.yaml", TWINS)
    deployment = deploy(folder, upstream, ADMIN_TOKEN="admin-secret")
    assert sorted(t.name for t in deployment.list_tools(path="/mcp/sf")) == ["list-integrations", "only-here"]
    assert [t.name for t in deployment.list_tools(path="/mcp/sf/sf-mcp")] == ["list-integrations"]
    assert len(deployment.list_tools(path="/mcp/sf/sf-mcp-stdio")) == 2
    upstream.reply(Reply(200, {"ok": 1}))
    assert not deployment.call_tool("only-here", {"name": "n"}, path="/mcp/sf/sf-mcp-stdio").is_error
    assert upstream.last.target == "/integrations/n"


def test_each_rest_block_keeps_its_own_authentication(folder: Path, upstream: UpstreamServer) -> None:
    """An unauthenticated DELETE on the second, guarded block reached upstream."""
    write_spec(folder, "sf.yaml", TWINS)
    deployment = deploy(folder, upstream, ADMIN_TOKEN="admin-secret")
    upstream.reply(Reply(200, {"ok": 1}))
    denied = deployment.rest("sf", "DELETE", "/integrations/x")
    assert denied.status == 401 and denied.headers["www-authenticate"].startswith("Bearer")
    assert upstream.received == []
    assert deployment.rest("sf", "GET", "/integrations/x").status == 200  # the open block
    allowed = deployment.rest("sf", "DELETE", "/integrations/x", headers={"Authorization": "Bearer admin-secret"})
    assert allowed.status == 200
    assert [(r.method, r.target) for r in upstream.received] == [
        ("GET", "/integrations/x"),
        ("DELETE", "/integrations/x"),
    ]


# -- item 9: binds as the format defines them ------------------------------------------------

BOUND = """
naftiko: "1.0.0-alpha1"
binds:
- namespace: registry-env
  location: "file:///./shared/secrets.yaml"
  keys:
    REGISTRY_TOKEN: "registry-bearer-token"
    REGISTRY_VERSION: "registry-api-version"
capability:
  consumes:
  - namespace: registry
    type: http
    baseUri: https://registry.shipyard.dev/api/v1
    authentication: {type: bearer, token: "REGISTRY_TOKEN"}
    inputParameters:
    - {name: Registry-Version, in: header, value: "REGISTRY_VERSION"}
    resources:
    - name: ships
      path: /ships
      operations:
      - {name: list-ships, method: GET}
  exposes:
  - type: rest
    namespace: r
    port: 8080
    resources:
    - path: /ships
      operations:
      - {method: GET, name: list-ships, call: registry.list-ships}
"""


def test_bound_values_come_from_the_location_file_under_the_provider_key(
    folder: Path, upstream: UpstreamServer
) -> None:
    """capability-example.yml: ``token: REGISTRY_TOKEN`` and ``keys: {REGISTRY_TOKEN: registry-bearer-token}``."""
    write_spec(folder, "bound.yaml", BOUND)
    write_spec(folder, "shared/secrets.yaml", "registry-bearer-token: from-file\nregistry-api-version: '2026-01'\n")
    upstream.reply(Reply(200, []))
    assert Deployment(folder, upstream.url).rest("bound", "GET", "/ships").status == 200
    assert upstream.last.headers["Authorization"] == "Bearer from-file"
    assert upstream.last.headers["Registry-Version"] == "2026-01"
    # the variable's own name, in the environment, comes first
    Deployment(folder, upstream.url, {"REGISTRY_TOKEN": "from-env"}).rest("bound", "GET", "/ships")
    assert upstream.last.headers["Authorization"] == "Bearer from-env"


def test_missing_location_file_is_a_clear_503_naming_the_file(folder: Path, upstream: UpstreamServer) -> None:
    write_spec(folder, "bound.yaml", BOUND)
    response = Deployment(folder, upstream.url).rest("bound", "GET", "/ships")
    assert response.status == 503
    assert response.json["credential"] == "REGISTRY_VERSION"  # the header value is read first
    assert "shared/secrets.yaml" in response.json["detail"] and upstream.received == []


def test_a_location_outside_the_capabilities_folder_is_refused(folder: Path) -> None:
    file = write_spec(folder, "bound.yaml", BOUND.replace("file:///./shared/secrets.yaml", "file:///../secrets.yaml"))
    with pytest.raises(SpecError, match="points outside the capabilities folder"):
        load_capability(file)


# -- item 10: alpha1 is read with the alpha2 model ---------------------------------------------


def test_alpha1_files_load_and_a_file_without_a_version_does_not(folder: Path) -> None:
    assert load_capability(write_spec(folder, "voyages.yaml", VOYAGES)).tools[0].name == "create-voyage"
    with pytest.raises(SpecError, match="version None is not supported"):
        load_capability(write_spec(folder, "nover.yaml", VOYAGES.replace("naftiko: 1.0.0-alpha1\n", "")))


# -- item 11: MCP outputSchema ---------------------------------------------------------------

OUTPUTS = """
naftiko: 1.0.0-alpha2
capability:
  consumes:
  - type: http
    namespace: registry
    baseUri: https://registry.example.com
    resources:
    - name: ships
      path: /ships
      operations:
      - {name: list, method: GET}
  exposes:
  - type: mcp
    namespace: m
    port: 9090
    tools:
    - name: typed-object
      description: One ship
      call: registry.list
      outputParameters:
      - type: object
        properties:
          imo: {type: string, mapping: $.imo_number}
          tonnage: {type: number, mapping: $.gross}
    - name: typed-array
      description: Names
      call: registry.list
      outputParameters:
      - type: array
        mapping: $.ships
        items: {type: string, mapping: $.name}
    - name: passthrough
      description: Whatever came
      call: registry.list
      outputParameters:
      - {type: object, mapping: $.}
"""


@pytest.mark.parametrize("mode", ["auto", "legacy"])
def test_typed_outputs_publish_an_output_schema_the_results_fit(
    folder: Path, upstream: UpstreamServer, mode: str
) -> None:
    write_spec(folder, "out.yaml", OUTPUTS)
    deployment = deploy(folder, upstream)
    tools = {t.name: t for t in deployment.list_tools(path="/mcp/out", mode=mode)}
    assert tools["typed-object"].output_schema == {
        "type": "object",
        "properties": {"imo": {"type": ["string", "null"]}, "tonnage": {"type": ["number", "null"]}},
    }
    assert tools["typed-array"].output_schema == {
        "type": "object",
        "properties": {"result": {"type": "array", "items": {"type": ["string", "null"]}}},
        "required": ["result"],
    }
    assert tools["passthrough"].output_schema is None
    # The SDK client validates structured content against the schema: these calls would raise.
    upstream.reply(Reply(200, {"imo_number": 9074729, "gross": "1200.5", "ships": [{"name": "A"}, {"name": 7}]}))
    one = deployment.call_tool("typed-object", {}, path="/mcp/out", mode=mode)
    assert one.structured_content == {"imo": "9074729", "tonnage": 1200.5}
    many = deployment.call_tool("typed-array", {}, path="/mcp/out", mode=mode)
    assert many.structured_content == {"result": ["A", "7"]}
    assert json.loads(many.content[0].text) == ["A", "7"]


# -- item 12: loader fixes --------------------------------------------------------------------


def test_compile_stores_yaml_dates_and_leaves_no_partial_cache(folder: Path) -> None:
    file = write_spec(
        folder, "dated.yaml", VOYAGES.replace("capability:", "info:\n  created: 2026-05-19\ncapability:", 1)
    )
    assert main(["compile", str(file)]) == 0
    cached = list((folder / ".naftiko-cache").iterdir())
    assert [p.suffix for p in cached] == [".json"]
    assert json.loads(cached[0].read_text())["info"]["created"] == "2026-05-19"


def test_bearer_with_value_instead_of_token_is_read_as_the_token_with_a_warning(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Real files write a bearer's token under `value`: it is the token, and validate says so."""
    file = write_spec(folder, "b.yaml", SHIPS.replace("token: '{{REGISTRY_TOKEN}}'", "value: '{{REGISTRY_TOKEN}}'"))
    capability = load_capability(file)
    auth = capability.consumes["registry"].auth
    assert auth is not None and "token" in auth.fields and "value" not in auth.fields
    assert main(["validate", "--no-schema", str(file)]) == 0
    assert (
        "a bearer authentication takes its token in `token`: `value` is read as it [warning]" in capsys.readouterr().out
    )


def test_a_capability_exposing_nothing_is_a_validate_warning(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = SHIPS[: SHIPS.index("  exposes:")]
    file = write_spec(folder, "quiet.yaml", text)
    assert main(["validate", "--no-schema", str(file)]) == 0
    assert "the capability exposes nothing: nothing is served [warning]" in capsys.readouterr().out


def test_an_omitted_optional_input_is_left_out_not_looked_up_as_a_credential(
    folder: Path, upstream: UpstreamServer
) -> None:
    """A body template naming an optional input the caller did not give dropped to the credential
    lookup: 503 "credential quantity: not configured", or an environment variable of that name."""
    spec = """
    naftiko: 1.0.0-alpha2
    capability:
      consumes:
      - type: http
        namespace: shop
        baseUri: https://api.shop.example.com
        resources:
        - name: orders
          path: /orders
          operations:
          - name: create-order
            method: POST
            body: {type: json, data: {item: '{{item}}', quantity: '{{quantity}}'}}
      exposes:
      - type: rest
        namespace: orders-rest
        port: 8080
        resources:
        - path: /orders
          operations:
          - method: POST
            name: create-order
            call: shop.create-order
            inputParameters:
            - {name: item, in: body, type: string, required: true}
            - {name: quantity, in: body, type: number}
    """
    write_spec(folder, "orders.yaml", spec)
    upstream.reply(Reply(201, {"id": "o"}))
    deployment = deploy(folder, upstream, quantity="leaked-from-the-environment")
    response = deployment.rest("orders", "POST", "/orders", body={"item": "anchor"})
    assert response.status == 201
    assert upstream.last.json() == {"item": "anchor"}


def test_an_omitted_input_named_like_a_credential_does_not_hide_it(folder: Path, upstream: UpstreamServer) -> None:
    """The fix above must not reach credentials: an optional input ``api_key`` the caller left
    out still leaves the environment's API_KEY to the bearer token that names it."""
    spec = """
    naftiko: 1.0.0-alpha2
    capability:
      consumes:
      - type: http
        namespace: shop
        baseUri: https://api.shop.example.com
        authentication: {type: bearer, token: '{{API_KEY}}'}
        resources:
        - name: orders
          path: /orders
          operations:
          - name: list-orders
            method: GET
            inputParameters:
            - {name: api_key, in: query}
      exposes:
      - type: rest
        namespace: orders-rest
        port: 8080
        resources:
        - path: /orders
          operations:
          - method: GET
            name: list-orders
            call: shop.list-orders
            inputParameters:
            - {name: api_key, in: query, type: string}
    """
    write_spec(folder, "orders.yaml", spec)
    upstream.reply(Reply(200, []))
    deployment = deploy(folder, upstream, API_KEY="from-the-environment")
    assert deployment.rest("orders", "GET", "/orders").status == 200
    assert upstream.last.headers["Authorization"] == "Bearer from-the-environment"
    assert "api_key" not in upstream.last.path
