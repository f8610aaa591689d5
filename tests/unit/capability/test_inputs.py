"""A string input's ``enum`` and an array input's ``items`` reach the tool's input schema, and
``validate``'s schema accepts them (``import openapi`` writes both), as it accepts a base URI that
opens with a bound variable."""

from __future__ import annotations

import yaml
from naftiko_lambda.capability.build import build_capability
from naftiko_lambda.capability.schema import schema_issues
from naftiko_lambda.exposes.schemas import input_schema

SPEC = """
naftiko: 1.0.0-alpha2
info: {label: t, description: t}
binds: [{namespace: env, keys: {T_BASE_URL: T_BASE_URL}}]
capability:
  consumes:
  - type: http
    namespace: t
    baseUri: '{{T_BASE_URL}}/v1'
    resources:
    - name: things
      path: /things
      operations:
      - name: list-things
        method: GET
        inputParameters:
        - {name: view, in: query, type: string}
        - {name: ids, in: query, type: array}
  exposes:
  - type: mcp
    namespace: t-mcp
    port: 9090
    transport: http
    tools:
    - name: list-things
      description: List things
      call: t.list-things
      with: {view: tools.view, ids: tools.ids}
      inputParameters:
      - {name: view, type: string, description: How much, required: false, enum: [full, short]}
      - {name: ids, type: array, description: Which, required: false, items: {type: integer}}
"""


def test_enum_and_items_reach_the_tool_input_schema() -> None:
    capability, issues = build_capability(yaml.safe_load(SPEC), "t", "t.yaml")
    assert capability is not None and not [i for i in issues if i.fails_validation]
    (tool,) = capability.tools
    assert input_schema(tool.inputs)["properties"] == {
        "view": {"type": "string", "enum": ["full", "short"], "description": "How much"},
        "ids": {"type": "array", "items": {"type": "integer"}, "description": "Which"},
    }


def test_validate_schema_accepts_them_and_a_variable_base_uri() -> None:
    assert schema_issues(yaml.safe_load(SPEC)) == []


def test_validate_schema_still_refuses_an_unknown_input_key() -> None:
    raw = yaml.safe_load(SPEC)
    raw["capability"]["exposes"][0]["tools"][0]["inputParameters"][0]["format"] = "date"
    assert schema_issues(raw)
