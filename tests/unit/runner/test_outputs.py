"""runner/outputs.py: an upstream answer decoded and shaped by the operation's output rule."""

from __future__ import annotations

from dataclasses import replace

import pytest
from naftiko_lambda.capability.build import build_capability
from naftiko_lambda.consumes.response import UpstreamResponse, decode_response
from naftiko_lambda.credentials import CredentialSource
from naftiko_lambda.errors import UpstreamError, UpstreamInvalidResponse
from naftiko_lambda.runner.outputs import plan_result
from naftiko_lambda.runner.scope import make_scope

from ...support.capabilities import capability


def map_response(tool, response, scope):
    """Decode the upstream answer and apply the tool's output rule (a one-call plan)."""
    step = tool.plan.calls[0]
    document = decode_response(step.operation, response, step.operation.ref)
    return plan_result(tool.plan, replace(scope, results={step.name: document}))


def _map(outputs: list[dict], body: bytes, fmt: str = "json", content_type: str = "application/json"):
    raw_tool = {"type": "object", "mapping": "$."}
    built, _ = build_capability(
        {
            "naftiko": "1.0.0-alpha2",
            "capability": {
                "consumes": [
                    {
                        "type": "http",
                        "namespace": "up",
                        "baseUri": "https://x",
                        "resources": [
                            {
                                "name": "r",
                                "path": "/",
                                "operations": [{"name": "op", "method": "GET", "outputRawFormat": fmt}],
                            }
                        ],
                    }
                ],
                "exposes": [
                    {
                        "type": "mcp",
                        "namespace": "m",
                        "tools": [
                            {
                                "name": "t",
                                "description": "d",
                                "call": "up.op",
                                "outputParameters": outputs or [raw_tool],
                            }
                        ],
                    }
                ],
            },
        },
        "t",
        "t.yaml",
    )
    assert built is not None
    tool = built.tools[0]
    scope = make_scope(built, tool.plan, {}, CredentialSource(environ={}))
    return map_response(tool, UpstreamResponse(200, {"content-type": content_type}, body), scope)


def test_root_mapping_returns_the_whole_body() -> None:
    assert _map([{"type": "object", "mapping": "$."}], b'{"a": 1}') == {"a": 1}


def test_object_properties_and_array_items_map_per_element() -> None:
    outputs = [
        {
            "type": "object",
            "properties": {
                "total": {"type": "number", "mapping": "$.meta.total"},
                "ids": {"type": "array", "mapping": "$.data", "items": {"type": "string", "mapping": "$.id"}},
                "first": {"type": "string", "mapping": "$.data[0].name"},
                "names": {"type": "array", "mapping": "$.data[*].name"},
                "const": {"type": "string", "value": "fixed"},
            },
        }
    ]
    body = b'{"meta": {"total": 2}, "data": [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}]}'
    assert _map(outputs, body) == {"total": 2, "ids": ["a", "b"], "first": "A", "names": ["A", "B"], "const": "fixed"}


def test_object_without_properties_returns_subtree() -> None:
    assert _map([{"type": "object", "mapping": "$.data"}], b'{"data": {"x": [1]}}') == {"x": [1]}


def test_csv_and_xml_become_json() -> None:
    assert _map([], b"a,b\n1,2\n", "csv", "text/csv") == [{"a": "1", "b": "2"}]
    assert _map([], b'<r id="1"><i>x</i><i>y</i></r>', "xml", "application/xml") == {"id": "1", "i": ["x", "y"]}


def test_xml_drops_the_document_element_as_the_reference_engine_does() -> None:
    """Issue 9 item 6: ``$.vessel`` finds the list under ``<vessels>``."""
    body = b'<vessels><vessel imo="1"><name>A</name></vessel><vessel imo="2">B</vessel></vessels>'
    out = _map([{"type": "array", "mapping": "$.vessel", "items": {"type": "string", "mapping": "$.imo"}}], body, "xml")
    assert out == ["1", "2"]
    assert _map([], b"<v> text <n>A</n></v>", "xml") == {"n": "A", "#text": "text"}
    assert _map([], b"<count>5</count>", "xml") == "5"


def test_xml_with_entities_is_refused() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa">]><l>&a;</l>'
    with pytest.raises(UpstreamInvalidResponse):
        _map([], bomb, "xml", "application/xml")


def test_html_error_page_with_200_is_an_invalid_response() -> None:
    with pytest.raises(UpstreamInvalidResponse):
        _map([], b"<html>oops</html>", "json", "text/html")


def test_invalid_json_is_an_invalid_response() -> None:
    with pytest.raises(UpstreamInvalidResponse):
        _map([], b"{not json")


def test_error_status_carries_status_and_body() -> None:
    cap = capability()
    tool = cap.tools[0]
    scope = make_scope(cap, tool.plan, {}, CredentialSource(environ={}))
    with pytest.raises(UpstreamError) as err:
        map_response(tool, UpstreamResponse(404, {}, b'{"message": "no such bill"}'), scope)
    assert err.value.status == 404
    assert err.value.body == {"message": "no such bill"}
