"""Issue 13 item 1: every environment variable the runtime reads is declared on the function that
reads it, or `sam local --env-vars` cannot set it (SAM overrides declared variables only).

The handlers run on an environment that records every name looked up, through every REST
operation and every MCP tool of a capability folder; the names read must be declared on that
function in the template generated for the same folder (or be Lambda's own).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from naftiko_lambda.capability.load import load_capabilities
from naftiko_lambda.capability.model import ExposedOperation, Input
from naftiko_lambda.cli.template import build_template, logical_id, render_env_file, runtime_variables
from naftiko_lambda.exposes.mcp.handler import create_handler as create_mcp
from naftiko_lambda.exposes.rest.handler import create_handler as create_rest
from naftiko_lambda.settings import Settings

from ..conftest import CAPABILITIES
from ..support.deployment import write_spec
from ..support.events import apigw_event
from ..support.mcp_lambda import function_url_event
from ..support.upstream import UpstreamServer

LAMBDA_OWN = re.compile(r"(AWS_|LAMBDA_|_X_AMZN|_HANDLER$|TZ$)")
"""Set by Lambda (or by sam local: AWS_SAM_LOCAL), never by the template."""
ENV_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]+")

GUARDED = """
naftiko: 1.0.0-alpha2
binds:
- namespace: env
  keys: {LEDGER_TOKEN: LEDGER_TOKEN, INBOUND_KEY: INBOUND_KEY}
capability:
  consumes:
  - type: http
    namespace: ledger
    baseUri: https://ledger.example.com
    authentication: {type: bearer, token: "{{LEDGER_TOKEN}}"}
    resources:
    - name: entries
      path: /entries
      operations:
      - {name: list-entries, method: GET}
  exposes:
  - type: rest
    namespace: ledger-rest
    port: 8080
    authentication: {type: apikey, key: X-Key, placement: header, value: "{{INBOUND_KEY}}"}
    resources:
    - path: /entries
      operations:
      - {method: GET, name: list-entries, call: ledger.list-entries}
  - type: rest
    namespace: ledger-oauth
    port: 8081
    authentication:
      type: oauth2
      authorizationServerUri: http://127.0.0.1:9/issuer
      resource: https://ledger.example.com/api
      tokenValidation: introspection
    resources:
    - path: /audited
      operations:
      - {method: GET, name: audited, call: ledger.list-entries}
  - type: mcp
    namespace: ledger-mcp
    port: 9090
    tools:
    - {name: list-entries, description: List entries, call: ledger.list-entries}
"""


class Recording(Mapping[str, str]):
    """An environment that remembers every name looked up in it."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = dict(values)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        return self.values[key]

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return self.values.get(key, default)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.read.add(key)
        return key in self.values

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("the runtime must look variables up by name, not list the environment")

    def __len__(self) -> int:
        return len(self.values)


SAMPLES: dict[str, Any] = {"string": "x", "number": 1, "integer": 1, "boolean": True, "array": ["x"], "object": {}}


def _sample(item: Input) -> Any:
    return item.enum[0] if item.enum else SAMPLES.get(item.type, "x")


def _rest_event(capability: str, operation: ExposedOperation) -> dict[str, Any]:
    path, query, headers, body = operation.path, {}, {"X-Key": "k", "Authorization": "Bearer t"}, {}
    for item in operation.inputs:
        if item.static is not None:
            continue
        value = _sample(item)
        if item.location == "path":
            path = path.replace("{" + item.name + "}", str(value))
        elif item.location == "header":
            headers[item.name] = str(value)
        elif item.location == "query":
            query[item.name] = json.dumps(value) if isinstance(value, dict | list) else str(value)
        elif item.location == "body":
            body[item.name] = value
    return apigw_event(1, operation.method, f"/{capability}{path}", query, body or None, headers)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "capabilities"
    for file in sorted(CAPABILITIES.glob("*.yaml")):
        write_spec(folder, file.name, file.read_text())
    write_spec(folder, "ledger.yaml", GUARDED)
    return folder


def test_every_variable_the_runtime_reads_is_declared_on_its_function(folder: Path, upstream: UpstreamServer) -> None:
    capabilities = load_capabilities(folder)
    template = build_template(capabilities)
    declared_everywhere = set(template["Globals"]["Function"]["Environment"]["Variables"])

    def declared(function: str) -> set[str]:
        variables = template["Resources"][function]["Properties"]["Environment"]["Variables"]
        return declared_everywhere | set(variables)

    keys = {k for c in capabilities for k in runtime_variables(c) if not k.startswith("UPSTREAM_BASE_URI_")}

    def local(names: set[str]) -> dict[str, str]:
        """What sam local would pass with an env file: every upstream on loopback, every bind key
        set (so calls get past inbound checks to the upstream), the rest declared but empty."""
        return {n: upstream.url if n.startswith("UPSTREAM_BASE_URI_") else "k" if n in keys else "" for n in names}

    for capability in capabilities:
        function = f"{logical_id(capability.name)}Function"
        environ = Recording({**local(declared(function)), "CAPABILITY_FILE": str(capability.source)})
        handler = create_rest(Settings(environ))
        for operation in capability.rest_operations:
            handler(_rest_event(capability.name, operation), None)
        missing = {n for n in environ.read if ENV_NAME.fullmatch(n) and not LAMBDA_OWN.match(n)} - declared(function)
        assert not missing, f"{function} reads {sorted(missing)} but the template does not declare them"

    environ = Recording({**local(declared("McpFunction")), "CAPABILITIES_DIR": str(folder)})
    environ.values["MCP_BEARER_TOKENS"] = "a-local-token-for-this-test-0123456789"
    handler = create_mcp(Settings(environ))
    headers = {
        "content-type": "application/json",
        "accept": "application/json, text/event-stream",
        "mcp-protocol-version": "2025-11-25",
        "authorization": "Bearer a-local-token-for-this-test-0123456789",
    }
    for capability in capabilities:
        for tool in capability.tools:
            arguments = {i.name: _sample(i) for i in tool.inputs if i.static is None}
            message = {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "tools/call",
                "params": {"name": tool.name, "arguments": arguments},
            }
            event = function_url_event("POST", f"/mcp/{capability.name}", headers, json.dumps(message).encode())
            assert handler(event, None)["statusCode"] == 200
    missing = {n for n in environ.read if ENV_NAME.fullmatch(n) and not LAMBDA_OWN.match(n)} - declared("McpFunction")
    assert not missing, f"McpFunction reads {sorted(missing)} but the template does not declare them"


def test_the_env_file_names_what_each_function_declares(folder: Path) -> None:
    """events/env.local.json (for `sam local --env-vars`) sets only declared variables: SAM ignores others."""
    capabilities = load_capabilities(folder)
    template = build_template(capabilities)
    document = json.loads(render_env_file(folder))
    for function, variables in document.items():
        declared = set(template["Resources"][function]["Properties"]["Environment"]["Variables"])
        assert set(variables) <= declared, function
    assert document["LedgerFunction"] == {
        "INBOUND_KEY": "",
        "LEDGER_TOKEN": "",
        "OAUTH_CLIENT_ID": "",
        "OAUTH_CLIENT_SECRET": "",
        "UPSTREAM_BASE_URI_LEDGER": "",
    }
    assert len(document["McpFunction"]["MCP_BEARER_TOKENS"]) >= 32
