"""Fuzzing (hypothesis) over REST requests and MCP JSON-RPC messages: never a 500 or a traceback,
always a well-formed answer."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from naftiko_lambda.exposes.mcp.handler import create_handler as create_mcp
from naftiko_lambda.exposes.rest.handler import create_handler as create_rest
from naftiko_lambda.settings import Settings

from ..conftest import CAPABILITIES
from ..support.events import apigw_event
from ..support.mcp_lambda import LambdaTransport, function_url_event
from ..support.reliability import record
from ..support.upstream import Reply, UpstreamServer
from .conftest import MCP_TOKEN, canary_environ

EXAMPLES = 200
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
ROUTES = [
    "/v1/organizations/{0}/billjobs",
    "/v1/organizations/{0}/billjobs/recalculate",
    "/v1/organizations/{0}/billjobs/{1}",
    "/v1/organizations/{0}/billjobs/{1}/cancel",
]
segments = st.sampled_from(
    [
        "v1",
        "organizations",
        "org-1",
        "billjobs",
        "recalculate",
        "cancel",
        "..",
        "%2F",
        "",
        "x y",
        "é",
        "{orgid}",
        "a" * 300,
    ]
)
text = st.text(max_size=40)
segment_values = st.text(alphabet="abcXYZ0189-_.~é%:@!$&()*+,;=", min_size=1, max_size=24)


@pytest.fixture(scope="module")
def fuzz_upstream() -> Any:
    with UpstreamServer() as server:
        server.reply(Reply(200, {"ok": True}))
        yield server


def _body_of(response: dict[str, Any]) -> str:
    body = response.get("body") or ""
    return base64.b64decode(body).decode() if response.get("isBase64Encoded") else body


def test_rest_fuzz(fuzz_upstream: UpstreamServer) -> None:
    environ = canary_environ(fuzz_upstream.url, CAPABILITY_FILE=str(CAPABILITIES / "m3ter-billjob.yaml"))
    handler = create_rest(Settings.from_environ(environ))
    statuses: dict[int, int] = {}

    @FUZZ
    @given(
        version=st.sampled_from([1, 2]),
        method=st.sampled_from(
            ["GET", "POST", "GET", "POST", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
        ),
        path=st.one_of(
            st.tuples(st.sampled_from(ROUTES), st.lists(segment_values, min_size=2, max_size=2)).map(
                lambda t: t[0].format(*t[1]).strip("/").split("/")
            ),
            st.tuples(st.sampled_from(ROUTES), st.lists(segment_values, min_size=2, max_size=2)).map(
                lambda t: t[0].format(*t[1]).strip("/").split("/")
            ),
            st.lists(segments, max_size=7),
        ),
        query=st.dictionaries(
            st.sampled_from(["pageSize", "nextToken", "active", "status", "other"]), text, max_size=4
        ),
        body=st.one_of(
            st.none(), json_values.map(json.dumps), st.binary(max_size=60).map(lambda b: b.decode("latin-1"))
        ),
        content_type=st.sampled_from(
            ["application/json", "text/plain", "application/x-www-form-urlencoded", "application/problem+json"]
        ),
    )
    def one(
        version: int, method: str, path: list[str], query: dict[str, str], body: str | None, content_type: str
    ) -> None:
        full = "/m3ter-billjob/" + "/".join(path)
        headers = {"Content-Type": content_type} if body is not None else {}
        response = handler(apigw_event(version, method, full, query, raw_body=body, headers=headers), None)
        status = response["statusCode"]
        statuses[status] = statuses.get(status, 0) + 1
        text_body = _body_of(response)
        assert status < 500 or status in (502, 503, 504), (status, text_body)
        assert "Traceback" not in text_body
        if text_body:
            parsed = json.loads(text_body)
            if status >= 400:
                assert response["headers"]["content-type"] == "application/problem+json"
                assert parsed["status"] == status and parsed["title"]

    one()
    record(
        "fuzzing",
        f"REST requests (hypothesis): methods, paths, queries, bodies, content types; statuses {dict(sorted((int(k), v) for k, v in statuses.items()))}",
        EXAMPLES,
        "no 500, no traceback; every error is problem+json",
    )


def test_mcp_fuzz(fuzz_upstream: UpstreamServer) -> None:
    environ = canary_environ(fuzz_upstream.url)
    statuses: dict[int, int] = {}
    outcomes: dict[str, int] = {}
    tools = [
        "m3ter-billjob__list-billjobs",
        "m3ter-billjob__create-billjob",
        "suger-metering__get-billable-metric",
        "nope",
    ]
    methods = [
        "initialize",
        "tools/list",
        "tools/call",
        "ping",
        "server/discover",
        "resources/list",
        "prompts/get",
        "nope/nope",
        "",
    ]
    message = st.fixed_dictionaries(
        {"jsonrpc": st.sampled_from(["2.0", "1.0", 2])},
        optional={
            "id": st.one_of(
                st.integers(min_value=-(2**70), max_value=2**70),
                st.text(max_size=10),
                st.none(),
                st.floats(allow_nan=False),
            ),
            "method": st.sampled_from(methods) | st.text(max_size=12),
            "params": st.one_of(
                json_values,
                st.fixed_dictionaries({"name": st.sampled_from(tools)}, optional={"arguments": json_values}),
                st.fixed_dictionaries({"cursor": text}),
            ),
        },
    )
    modern_meta = {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    arguments = st.one_of(
        json_values,
        st.fixed_dictionaries(
            {},
            optional={
                "orgId": st.one_of(text, json_values),
                "pageSize": st.one_of(st.integers(min_value=-(2**70), max_value=2**70), text),
                "body": json_values,
                "id": json_values,
                "billableMetricId": text,
            },
        ),
    )
    well_formed = st.builds(
        lambda id_, method, name, args, modern: {
            "jsonrpc": "2.0",
            "id": id_,
            "method": method,
            "params": {
                **({"name": name, "arguments": args} if method == "tools/call" else {}),
                **({"_meta": modern_meta} if modern else {}),
            },
        },
        st.integers(min_value=0, max_value=2**53),
        st.sampled_from(
            ["tools/call", "tools/call", "tools/call", "tools/list", "initialize", "ping", "server/discover", "nope"]
        ),
        st.sampled_from(tools),
        arguments,
        st.booleans(),
    )
    payloads = st.one_of(
        well_formed.map(json.dumps),
        well_formed.map(json.dumps),
        message.map(json.dumps),
        st.lists(message, max_size=3).map(json.dumps),  # batches
        json_values.map(json.dumps),
        st.binary(max_size=80).map(lambda b: b.decode("latin-1")),
    )

    with LambdaTransport(lambda: create_mcp(Settings.from_environ(environ))) as transport:

        @FUZZ
        @given(
            payload=payloads,
            version=st.sampled_from(["2025-11-25", "2025-06-18", "2026-07-28", None]),
            path=st.sampled_from(["/", "/mcp", "/mcp/m3ter-billjob"]),
        )
        def one(payload: str, version: str | None, path: str) -> None:
            headers = {
                "content-type": "application/json",
                "accept": "application/json, text/event-stream",
                "authorization": f"Bearer {MCP_TOKEN}",
            }
            if version:
                headers["mcp-protocol-version"] = version
            if version == "2026-07-28" and '"tools/call"' in payload and '"name": "' in payload:
                headers["mcp-name"] = payload.split('"name": "', 1)[1].split('"', 1)[0]
            try:
                parsed_payload = json.loads(payload)
            except ValueError:
                parsed_payload = None
            if isinstance(parsed_payload, dict) and isinstance(parsed_payload.get("method"), str):
                headers["mcp-method"] = parsed_payload["method"]
                params = parsed_payload.get("params")
                if isinstance(params, dict) and "_meta" in params and version != "2026-07-28":
                    params.pop("_meta")  # the envelope belongs to the modern generation only
                elif isinstance(params, dict) and version == "2026-07-28":
                    params.setdefault("_meta", modern_meta)
                payload = json.dumps(parsed_payload)
            response = transport.invoke(
                function_url_event("POST", path, headers, payload.encode("utf-8", errors="surrogatepass"))
            )
            status = response["statusCode"]
            statuses[status] = statuses.get(status, 0) + 1
            text_body = _body_of(response)
            assert status != 500, text_body
            assert "Traceback" not in text_body
            if text_body:
                parsed = json.loads(text_body)
                if "error" in parsed:
                    assert isinstance(parsed["error"]["code"], int) and isinstance(parsed["error"]["message"], str)
                    outcomes["JSON-RPC error"] = outcomes.get("JSON-RPC error", 0) + 1
                elif isinstance(parsed.get("result"), dict) and parsed["result"].get("isError"):
                    outcomes["isError result"] = outcomes.get("isError result", 0) + 1
                elif "result" in parsed:
                    outcomes["result"] = outcomes.get("result", 0) + 1

        one()
    record(
        "fuzzing",
        f"MCP JSON-RPC messages (hypothesis): malformed JSON, wrong types, huge numbers, unknown methods, missing ids, batches, 3 protocol versions; HTTP {dict(sorted((int(k), v) for k, v in statuses.items()))}, bodies {dict(sorted(outcomes.items()))}",
        EXAMPLES,
        "no 500, no traceback; errors are well-formed JSON-RPC",
    )
