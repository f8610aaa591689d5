"""exposes/schemas.py: inputs and outputs as the JSON Schema OpenAPI and MCP both publish."""

from __future__ import annotations

from naftiko_lambda.capability.model import Input, Output, Plan
from naftiko_lambda.exposes.schemas import input_schema, result_schema, tool_output_schema


def test_an_input_schema_lists_what_the_caller_gives() -> None:
    inputs = (
        Input("id", "string", True, "the id", "path"),
        Input("tags", "array", False, items="integer"),
        Input("kind", "string", False, enum=("a", "b")),
        Input("secret", "string", False, static=object()),  # type: ignore[arg-type]
    )
    assert input_schema(inputs) == {
        "type": "object",
        "properties": {
            "id": {"type": "string", "description": "the id"},
            "tags": {"type": "array", "items": {"type": "integer"}},
            "kind": {"type": "string", "enum": ["a", "b"]},
        },
        "required": ["id"],
    }


def test_typed_outputs_publish_nullable_scalars_and_untyped_ones_nothing() -> None:
    typed = Plan(outputs=(Output("object", properties=(("n", Output("number")),)),), qualifiers=frozenset())
    assert result_schema(typed) == {"type": "object", "properties": {"n": {"type": ["number", "null"]}}}
    assert result_schema(Plan(outputs=(Output("object"),))) is None


def test_an_array_result_is_wrapped_for_mcp() -> None:
    plan = Plan(outputs=(Output("array", items=Output("string")),))
    schema, wrapped = tool_output_schema(plan)
    assert wrapped and schema == {
        "type": "object",
        "properties": {"result": {"type": "array", "items": {"type": ["string", "null"]}}},
        "required": ["result"],
    }
