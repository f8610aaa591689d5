"""serve's sandbox answers an imported capability in the shape its outputs declare (issue 22).

An OpenAPI document is imported with the real importer, served by the real LocalGateway on a
loopback port, and called over HTTP: every declared output field comes back filled and typed.
"""

from __future__ import annotations

import json
import socket
import urllib.request
from pathlib import Path
from typing import Any

from naftiko_lambda.capability.load import load_capabilities
from naftiko_lambda.cli import main
from naftiko_lambda.cli.sandbox import Sandbox, shaped
from naftiko_lambda.cli.serve import LocalGateway, prepare_environ

from ..support.mcp_lambda import UvicornServer

ITEM = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "count": {"type": "integer"},
        "active": {"type": "boolean"},
        "owner": {"type": "object", "properties": {"name": {"type": "string"}}},
    },
}
DOCUMENT = {
    "openapi": "3.0.3",
    "info": {"title": "Widgets", "version": "1"},
    "servers": [{"url": "https://widgets.example.com"}],
    "paths": {
        "/widgets": {
            "get": {
                "operationId": "listWidgets",
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {"application/json": {"schema": {"type": "array", "items": ITEM}}},
                    }
                },
            }
        },
        "/widgets/{id}": {
            "get": {
                "operationId": "getWidget",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": ITEM}}}},
            }
        },
    },
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def test_an_imported_capability_answers_in_its_declared_shape(tmp_path: Path) -> None:
    source = tmp_path / "widgets.json"
    source.write_text(json.dumps(DOCUMENT))
    folder = tmp_path / "capabilities"
    assert main(["import", "openapi", str(source), "-o", str(folder)]) == 0
    port = _free_port()
    environ, sandboxed = prepare_environ(folder, f"http://127.0.0.1:{port}", {}, sandbox=None)
    assert sandboxed
    app = LocalGateway(folder, environ, Sandbox(load_capabilities(folder)))
    try:
        with UvicornServer(app, port) as base:
            listed = _get(base + "/widgets/widgets")
            one = _get(base + "/widgets/widgets/w-1")
    finally:
        app.close()
    assert [item["id"] for item in listed] == ["sample id 1", "sample id 2"]
    # The importer types outputs one level deep (integers as the format's number).
    assert one == {"active": True, "count": 1.5, "id": "sample id", "owner": {}}


def test_outputs_without_a_shape_leave_the_generic_answer() -> None:
    assert shaped(()) is None
