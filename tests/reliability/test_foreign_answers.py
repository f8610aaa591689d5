"""Issue 19: an upstream's answer is input we did not write. Whatever it decodes to, a keyed write
is sent once; what the caller sees carries none of our secrets, however the answer spells them;
no answer can exhaust memory or crash the handler. Each test failed before its fix."""

from __future__ import annotations

import json
import resource
from pathlib import Path
from typing import Any

import pytest

from ..support.deployment import Deployment, write_spec
from ..support.reliability import record
from ..support.upstream import Reply, UpstreamServer
from .conftest import CANARY

LEDGER = """
naftiko: 1.0.0-alpha2
binds:
- namespace: env
  keys: {LEDGER_TOKEN: LEDGER_TOKEN}
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
      - {name: create-entry, method: POST, outputRawFormat: yaml, inputParameters: [{name: body, in: body}]}
      - {name: list-json, method: GET}
      - {name: list-yaml, method: GET, outputRawFormat: yaml}
      - {name: list-xml, method: GET, outputRawFormat: xml}
      - {name: list-csv, method: GET, outputRawFormat: csv}
  exposes:
  - type: rest
    namespace: ledger-rest
    port: 8080
    resources:
    - path: /entries
      operations:
      - {method: POST, name: create-entry, call: ledger.create-entry, with: {body: rest.body}}
    - path: /json
      operations: [{method: GET, name: list-json, call: ledger.list-json}]
    - path: /yaml
      operations: [{method: GET, name: list-yaml, call: ledger.list-yaml}]
    - path: /xml
      operations: [{method: GET, name: list-xml, call: ledger.list-xml}]
    - path: /csv
      operations: [{method: GET, name: list-csv, call: ledger.list-csv}]
  - type: mcp
    namespace: ledger-mcp
    port: 9090
    tools:
    - name: create-entry
      description: Record an entry
      hints: {readOnly: false, destructive: false, idempotent: false}
      call: ledger.create-entry
      with: {body: tools.body}
      inputParameters: [{name: body, type: object, description: the entry}]
    - {name: list-json, description: entries, call: ledger.list-json}
    - {name: list-yaml, description: entries, call: ledger.list-yaml}
    - {name: list-xml, description: entries, call: ledger.list-xml}
    - {name: list-csv, description: entries, call: ledger.list-csv}
"""


@pytest.fixture
def ledger(tmp_path: Path, upstream: UpstreamServer) -> Deployment:
    write_spec(tmp_path, "ledger.yaml", LEDGER)
    return Deployment(tmp_path, upstream.url, {"LEDGER_TOKEN": CANARY, "IDEMPOTENCY_STORE": "memory"})


def _posts(upstream: UpstreamServer) -> int:
    return sum(1 for r in upstream.received if r.method == "POST")


YAML_DATE = Reply(201, "id: e-1\ncreated: 2024-05-01\nat: 2024-05-01T10:00:00Z\n", {"Content-Type": "application/yaml"})


def test_a_keyed_write_answered_with_a_yaml_date_is_sent_once(ledger: Deployment, upstream: UpstreamServer) -> None:
    """A date could not be serialised: Powertools deleted the record and every retry wrote again."""
    upstream.reply(YAML_DATE)
    headers = {"Idempotency-Key": "9b8a7c6d-0000-4000-8000-00000000000a"}
    answers = [ledger.rest("ledger", "POST", "/entries", body={"amount": 1}, headers=headers) for _ in range(3)]
    assert [a.status for a in answers] == [201, 201, 201]
    assert answers[0].json == {"id": "e-1", "created": "2024-05-01", "at": "2024-05-01T10:00:00Z"}
    assert all(a.json == answers[0].json for a in answers) and _posts(upstream) == 1

    async def three_calls(client: Any) -> list[Any]:  # one session: one Lambda instance, one memory store
        arguments = {"body": {"amount": 2}, "idempotencyKey": "k-mcp-0001"}
        return [await client.call_tool("ledger__create-entry", arguments) for _ in range(3)]

    results = ledger.mcp(three_calls)
    assert not any(r.is_error for r in results), results[0]
    assert results[0].structured_content["created"] == "2024-05-01"
    assert _posts(upstream) == 2  # one for REST, one for MCP
    record(
        "exactly-once",
        "keyed write answered with YAML dates and timestamps, retried 3 times (REST and MCP)",
        6,
        "1 upstream POST each; dates kept as their text; the replays are equal",
    )


def test_a_normal_yaml_answer_still_decodes(ledger: Deployment, upstream: UpstreamServer) -> None:
    """The control."""
    upstream.reply(Reply(200, "items:\n- {id: 1, name: a}\n- {id: 2, name: b}\n", {"Content-Type": "application/yaml"}))
    assert ledger.rest("ledger", "GET", "/yaml").json == {"items": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]}


SECRET = "tok/en+5ecret=0123456789abcdef"


def _escaped(text: str) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in text)


@pytest.mark.parametrize("status", [200, 401])
def test_a_secret_echoed_with_json_escapes_is_masked(
    tmp_path: Path, upstream: UpstreamServer, logs: Any, status: int
) -> None:
    """Scrubbing ran on bytes and the body was decoded afterwards: `\\u0074\\u006f...` got through."""
    write_spec(tmp_path, "ledger.yaml", LEDGER)
    ledger = Deployment(tmp_path, upstream.url, {"LEDGER_TOKEN": SECRET})
    body = (
        '{"every": "' + _escaped("Bearer " + SECRET) + '", '
        '"slash": "' + SECRET.replace("/", "\\/") + '", '
        '"plus": "' + SECRET.replace("+", "\\u002b") + '", '
        '"' + _escaped(SECRET) + '": 1}'
    )
    assert SECRET not in body
    upstream.reply(Reply(status, body))
    response = ledger.rest("ledger", "GET", "/json")
    result = ledger.call_tool("ledger__list-json", {})
    assert response.status == (200 if status == 200 else 502)
    seen = json.dumps(response.json) + json.dumps(result.structured_content) + str(result.content) + logs()
    assert SECRET not in seen and "***" in seen
    record(
        "security",
        f"upstream {status} echoing our token JSON-escaped (every character \\uXXXX, \\/, \\u002b, as a key)",
        2,
        "masked in the REST body or upstream.body, the MCP result or error, the logs",
    )


BOMB = (
    "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8))
).encode()
XML_UTF16 = (
    '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>\n<r><x>&c;</x></r>'
).encode("utf-16")
ANSWERS = {
    "a 370-byte YAML alias bomb": ("/yaml", BOMB, "application/yaml"),
    "YAML nested 200k deep": ("/yaml", b"[" * 200_000 + b"]" * 200_000, "application/yaml"),
    "a UTF-16 XML document with a DTD of entities": ("/xml", XML_UTF16, "application/xml"),
    "XML nested 10k deep": ("/xml", b"<a>" * 10_000 + b"</a>" * 10_000, "application/xml"),
    "a CSV field over 128 KiB": ("/csv", b"id,note\n1," + b"x" * 200_000 + b"\n", "text/csv"),
    "JSON nested 10k deep": ("/json", b"[" * 10_000 + b"]" * 10_000, "application/json"),
    "JSON with NaN and 1e999": ("/json", b'{"a": NaN, "b": 1e999}', "application/json"),
    "YAML with !!binary": ("/yaml", b"a: !!binary aGVsbG8=\n", "application/yaml"),
}


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_a_hostile_answer_is_an_invalid_answer_not_a_crash(
    ledger: Deployment, upstream: UpstreamServer, name: str
) -> None:
    """The bomb took 883 MB; 200k nested '[' segfaulted libyaml; the others answered 500."""
    path, body, content_type = ANSWERS[name]
    upstream.reply(Reply(200, body, {"Content-Type": content_type}))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    response = ledger.rest("ledger", "GET", path)
    assert response.status == 502 and response.json["title"] == "Bad gateway", response.json
    result = ledger.call_tool(f"ledger__list-{path[1:]}", {})
    assert result.is_error and result.structured_content["error"] == "UpstreamInvalidResponse"
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 100, grown_mb
    record("security", f"upstream answer: {name}", 2, "REST 502 / MCP isError UpstreamInvalidResponse; memory bounded")
