"""capability/binds.py: the names a capability may read, decided at load."""

from __future__ import annotations

import pytest
import yaml
from naftiko_lambda.capability.binds import bind_variables, is_reserved
from naftiko_lambda.capability.build import build_capability

SPEC = """
naftiko: 1.0.0-alpha2
{binds}
capability:
  consumes:
  - type: http
    namespace: up
    baseUri: 'https://{{{{REGION}}}}.up.example'
    authentication: {{type: bearer, token: '{{{{UP_TOKEN}}}}'}}
    resources:
    - name: r
      path: /things/{{{{id}}}}
      operations:
      - name: get
        method: GET
        inputParameters: [{{name: X-Org, in: header, value: '{{{{ORG_ID}}}}'}}]
  exposes:
  - type: mcp
    namespace: m
    tools:
    - {{name: get, description: d, call: up.get, with: {{id: tools.id}}}}
"""


def _issues(binds: str = "") -> tuple[frozenset[str], list[str]]:
    built, _ = build_capability(yaml.safe_load(SPEC.format(binds=binds)), "t", "t.yaml")
    assert built is not None
    variables, issues = bind_variables(built)
    return variables, [f"{i.severity}: {i.message}" for i in issues]


@pytest.mark.parametrize(
    ("name", "reserved"),
    [
        ("AWS_SECRET_ACCESS_KEY", True),
        ("_HANDLER", True),
        ("PATH", True),
        ("MCP_AUTH", True),
        ("UPSTREAM_BASE_URI_UP", True),
        ("https_proxy", False),
        ("hostname", False),
        ("UP_TOKEN", False),
    ],
)
def test_reserved_names(name: str, reserved: bool) -> None:
    assert is_reserved(name) is reserved


def test_a_file_without_binds_reads_the_names_its_templates_read() -> None:
    variables, _ = _issues()
    assert variables == {"REGION", "UP_TOKEN", "ORG_ID"}  # not `id`: an input fills it


def test_a_file_with_binds_reads_what_they_declare_and_warns_of_the_rest() -> None:
    variables, issues = _issues("binds:\n- namespace: env\n  keys: {UP_TOKEN: UP_TOKEN}")
    assert variables == {"UP_TOKEN"}
    assert sum("not declared in binds" in i for i in issues) == 2  # REGION, ORG_ID never read


def test_a_reserved_name_no_bind_declares_is_an_error() -> None:
    spec = SPEC.format(binds="").replace("{{ORG_ID}}", "{{env.AWS_SESSION_TOKEN}}")
    built, _ = build_capability(yaml.safe_load(spec), "t", "t.yaml")
    assert built is not None
    _, issues = bind_variables(built)
    assert [i.severity for i in issues if "reserved" in i.message] == ["error"]
