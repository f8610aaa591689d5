"""Issue 11: each hole found by the review, reproduced against the real handlers or `serve` with a
loopback upstream (Secrets Manager via moto). Every test here failed before its fix."""

from __future__ import annotations

import base64
import http.client
import json
import os
import socket
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import boto3
import pytest
from moto import mock_aws
from naftiko_lambda.cli import main
from naftiko_lambda.cli.sandbox import Sandbox
from naftiko_lambda.cli.serve import LocalGateway, prepare_environ
from naftiko_lambda.credentials import secrets_provider
from naftiko_lambda.exposes.mcp.handler import create_handler as create_mcp
from naftiko_lambda.exposes.rest.handler import create_handler as create_rest
from naftiko_lambda.settings import Settings

from ..conftest import CAPABILITIES
from ..support.events import apigw_event, response_json
from ..support.mcp_lambda import LambdaTransport, UvicornServer, function_url_event
from ..support.reliability import record
from ..support.upstream import Reply, UpstreamServer
from .conftest import CANARY, MCP_TOKEN, canary_environ

BILLJOBS = "/m3ter-billjob/v1/organizations/o/billjobs"
LIST = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}


def _call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": name, "arguments": arguments}}


def _mcp(transport: LambdaTransport, payload: Any, token: str = MCP_TOKEN) -> dict[str, Any]:
    headers = {
        "content-type": "application/json",
        "accept": "application/json",
        "authorization": f"Bearer {token}",
        "mcp-protocol-version": "2025-11-25",
    }
    return transport.invoke(function_url_event("POST", "/mcp", headers, json.dumps(payload).encode()))


def _billjob(upstream: UpstreamServer, **extra: str) -> Any:
    environ = canary_environ(upstream.url, CAPABILITY_FILE=str(CAPABILITIES / "m3ter-billjob.yaml"), **extra)
    return create_rest(Settings.from_environ(environ))


# -- 1. serve is not an open proxy for the developer's keys -------------------------------------


def test_serve_refuses_a_non_loopback_host_without_allow_remote(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--host", "0.0.0.0", "--capabilities", str(CAPABILITIES)]) == 2
    assert "refusing to listen on 0.0.0.0" in capsys.readouterr().err


def test_serve_makes_a_fresh_long_mcp_token_each_run() -> None:
    first, _ = prepare_environ(CAPABILITIES, "http://127.0.0.1:1", {}, sandbox=True)
    second, _ = prepare_environ(CAPABILITIES, "http://127.0.0.1:1", {}, sandbox=True)
    assert first["MCP_BEARER_TOKENS"] != second["MCP_BEARER_TOKENS"]
    assert len(first["MCP_BEARER_TOKENS"]) >= 32
    mine, _ = prepare_environ(CAPABILITIES, "http://127.0.0.1:1", {"MCP_BEARER_TOKENS": "my-own"}, sandbox=True)
    assert mine["MCP_BEARER_TOKENS"] == "my-own"  # the developer's choice wins


@pytest.fixture
def gateway() -> Iterator[tuple[str, Sandbox]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sandbox = Sandbox()
    environ, _ = prepare_environ(CAPABILITIES, f"http://127.0.0.1:{port}", {}, sandbox=True)
    app = LocalGateway(CAPABILITIES, environ, sandbox)
    try:
        with UvicornServer(app, port) as base:
            yield base, sandbox
    finally:
        app.close()


def _raw(base: str, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, Any]:
    connection = http.client.HTTPConnection(base.removeprefix("http://"), timeout=10)
    try:
        connection.putrequest(method, path, skip_host=True)
        for key, value in {"Content-Length": str(len(body)), **headers}.items():
            connection.putheader(key, value)
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def test_serve_refuses_spoofed_hosts_foreign_pages_and_form_writes(gateway: tuple[str, Sandbox]) -> None:
    base, sandbox = gateway
    host = base.removeprefix("http://")
    json_write = {"Host": host, "Content-Type": "application/json"}
    cases = [
        ({"Host": "evil.example"}, "GET", b"", 421),  # DNS rebinding / a remote caller
        ({"Host": "evil.example:80", "Content-Type": "application/json"}, "POST", b"{}", 421),
        ({**json_write, "Origin": "https://evil.example"}, "POST", b"{}", 403),  # a page in the browser
        ({"Host": host, "Content-Type": "application/x-www-form-urlencoded"}, "POST", b"a=1", 415),  # a form
        ({"Host": host, "Content-Type": "text/plain"}, "POST", b'{"a": 1}', 415),  # a no-preflight fetch
        ({"Host": host}, "POST", b'{"a": 1}', 415),
    ]
    for headers, method, body, status in cases:
        got, problem = _raw(base, method, "/m3ter-billjob/v1/organizations/o/billjobs", headers, body)
        assert got == status and problem["status"] == status, (headers, problem)
        mcp, _ = _raw(base, method, "/mcp", headers, body)
        assert mcp == status, headers
    assert list(sandbox.received) == []  # nothing reached the "upstream"
    ok, answer = _raw(base, "POST", "/m3ter-billjob/v1/organizations/o/billjobs", json_write, b'{"a": 1}')
    assert ok == 201 and answer["sandbox"] is True
    local_page = {**json_write, "Origin": "http://localhost:5173"}
    assert _raw(base, "POST", "/m3ter-billjob/v1/organizations/o/billjobs", local_page, b"{}")[0] == 201
    record(
        "security",
        "serve: spoofed Host, foreign Origin, form and text/plain writes",
        len(cases) * 2,
        "421 / 403 / 415; nothing sent upstream",
    )


# -- 2. the MCP token secret fails closed ---------------------------------------------------------


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="us-east-1")


TOKEN = "Zq9" + "x" * 40
SHAPES = {
    "a string where a list belongs": {"tokens": TOKEN},
    "a short token": {"token": "short"},
    "a short token in the list": {"tokens": [TOKEN, "short"]},
    "no token": {},
    "a number": {"token": 12345678901234567890123456789012345},
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_malformed_token_secret_is_a_503_never_an_open_door(aws: Any, shape: str, logs: Any) -> None:
    """{"tokens": "Zq9…"} made every single character an accepted token."""
    aws.create_secret(Name="mcp-tokens", SecretString=json.dumps(SHAPES[shape]))
    environ = {**canary_environ("http://127.0.0.1:9"), "MCP_TOKENS_SECRET": "mcp-tokens"}
    del environ["MCP_BEARER_TOKENS"]
    with LambdaTransport(lambda: create_mcp(Settings.from_environ(environ))) as transport:
        for token in ("Z", "q", TOKEN, "short"):
            response = _mcp(transport, LIST, token)
            assert response["statusCode"] == 503, (shape, token, response)
    assert "MCP credentials unusable" in logs() and TOKEN not in logs()
    record(
        "security", f"MCP token secret holding {shape}", 4, "503 with a log line naming the problem; no token accepted"
    )


def test_the_good_token_shapes_open_the_endpoint(aws: Any) -> None:
    for name, document in (("one", {"token": TOKEN}), ("rotation", {"tokens": ["y" * 32, TOKEN]})):
        aws.create_secret(Name=name, SecretString=json.dumps(document))
        environ = {**canary_environ("http://127.0.0.1:9"), "MCP_TOKENS_SECRET": name}
        del environ["MCP_BEARER_TOKENS"]
        secrets_provider().clear_cache()
        with LambdaTransport(lambda environ=environ: create_mcp(Settings.from_environ(environ))) as transport:
            assert _mcp(transport, LIST, TOKEN)["statusCode"] == 200
            assert _mcp(transport, LIST, "Z")["statusCode"] == 401


def test_a_short_environment_token_is_refused_outside_serve() -> None:
    environ = {**canary_environ("http://127.0.0.1:9"), "MCP_BEARER_TOKENS": "too-short"}
    with LambdaTransport(lambda: create_mcp(Settings.from_environ(environ))) as transport:
        assert _mcp(transport, LIST, "too-short")["statusCode"] == 503


# -- 3. upstream bodies never carry our secrets back ------------------------------------------


def _echo(handler: Any) -> None:
    """An upstream that answers 401 and repeats our Authorization in every form it can."""
    given = handler.headers.get("Authorization", "")
    token = given.partition(" ")[2]
    body = json.dumps(
        {
            "you_sent": given,
            "as_base64": base64.b64encode(token.encode()).decode(),
            "in_a_url": f"https://x/?key={quote(token, safe='')}",
        }
    ).encode()
    handler.send_response(401)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("WWW-Authenticate", f'Bearer error="invalid_token", token="{token}"')
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def test_an_echoing_401_is_a_502_and_carries_no_secret(upstream: UpstreamServer, logs: Any) -> None:
    upstream.reply(Reply(action=_echo))
    response = _billjob(upstream)(apigw_event(1, "GET", BILLJOBS), None)
    problem = response_json(response)
    assert response["statusCode"] == 502 and problem["upstream"]["status"] == 401
    assert problem["upstream"]["body"] == {"you_sent": "***", "as_base64": "***", "in_a_url": "https://x/?key=***"}
    with LambdaTransport(lambda: create_mcp(Settings.from_environ(canary_environ(upstream.url)))) as transport:
        result = json.loads(_mcp(transport, _call("m3ter-billjob__list-billjobs", {"orgId": "o"}))["body"])["result"]
    assert result["isError"] is True and result["structuredContent"]["status"] == 401
    seen = json.dumps(response) + json.dumps(result) + logs()
    assert CANARY not in seen
    assert base64.b64encode(CANARY.encode()).decode() not in seen
    record(
        "security",
        "upstream 401 echoing our token (raw, base64, URL-encoded)",
        2,
        "REST 502 with upstream.status 401; token masked everywhere",
    )


def test_a_2xx_echo_is_masked_too_and_403_is_a_502(upstream: UpstreamServer) -> None:
    upstream.reply(Reply(200, {"debug": f"token {CANARY}"}))
    response = _billjob(upstream)(apigw_event(1, "GET", BILLJOBS), None)
    assert response["statusCode"] == 200 and response_json(response) == {"debug": "token ***"}
    upstream.reply(Reply(403, {"message": "forbidden"}))
    assert _billjob(upstream)(apigw_event(1, "GET", BILLJOBS), None)["statusCode"] == 502


# -- 4. every call is bounded by the time the function has left --------------------------------


class LambdaContext:
    """A real-shaped Lambda context: the remaining time counts down from ``budget_ms``."""

    aws_request_id = "6f1d2c3b-aaaa-bbbb-cccc-0123456789ab"

    def __init__(self, budget_ms: int) -> None:
        import time

        self._end = time.monotonic() + budget_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        import time

        return max(0, int((self._end - time.monotonic()) * 1000))


def _drip(stop: threading.Event) -> Any:
    def action(handler: Any) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        for _ in range(1000):
            try:
                handler.wfile.write(b" ")
                handler.wfile.flush()
            except OSError:
                return
            if stop.wait(0.05):
                return

    return action


def test_a_dripping_upstream_gets_a_504_before_the_function_times_out(upstream: UpstreamServer) -> None:
    """A byte every 1.5 s held one REST call for 58.5 s (function timeout 28 s)."""
    stop = threading.Event()
    upstream.reply(Reply(action=_drip(stop)))
    try:
        context = LambdaContext(budget_ms=1800)  # 0.8 s of work after the 1 s margin
        response = _billjob(upstream)(apigw_event(1, "GET", BILLJOBS), context)
        assert response["statusCode"] == 504, response_json(response)
        assert context.get_remaining_time_in_millis() > 0  # answered while there was still time
        with LambdaTransport(lambda: create_mcp(Settings.from_environ(canary_environ(upstream.url)))) as transport:
            mcp_context = LambdaContext(budget_ms=1800)
            event = function_url_event(
                "POST",
                "/mcp",
                {
                    "content-type": "application/json",
                    "accept": "application/json",
                    "authorization": f"Bearer {MCP_TOKEN}",
                    "mcp-protocol-version": "2025-11-25",
                },
                json.dumps(_call("m3ter-billjob__list-billjobs", {"orgId": "o"})).encode(),
            )
            transport.handler = transport.handler or transport.factory()
            answer = transport.executor.submit(transport.handler, event, mcp_context).result()
            result = json.loads(answer["body"])["result"]
            assert result["isError"] is True and result["structuredContent"]["error"] == "UpstreamTimeout"
            assert mcp_context.get_remaining_time_in_millis() > 0
    finally:
        stop.set()
    record(
        "faults",
        "upstream dripping a byte at a time past the function's time",
        2,
        "REST 504 / MCP isError before the deadline",
    )


def test_an_invocations_deadline_ends_with_it(upstream: UpstreamServer) -> None:
    """The deadline is the invocation's: work after it on the same thread gets a fresh one."""
    from naftiko_lambda import deadline

    upstream.reply(Reply(200, {"ok": 1}))
    assert _billjob(upstream)(apigw_event(1, "GET", BILLJOBS), LambdaContext(budget_ms=1100))["statusCode"] == 200
    assert deadline.current.get() is None


# -- 5. a write is never sent twice; secret refreshes are bounded -------------------------------


def _count_secret_reads() -> list[str]:
    calls: list[str] = []
    secrets_provider().client.meta.events.register(
        "before-call.secrets-manager.GetSecretValue", lambda **_: calls.append("GetSecretValue")
    )
    return calls


def test_a_401_never_resends_a_post_and_refreshes_are_rate_limited(aws: Any, upstream: UpstreamServer) -> None:
    """A POST was re-sent after refreshing the key; 20 upstream 401s caused 21 GetSecretValue calls."""
    aws.create_secret(Name="billjob", SecretString=json.dumps({"M3TER_API_KEY": "from-secret"}))
    environ = canary_environ(
        upstream.url,
        CAPABILITY_FILE=str(CAPABILITIES / "m3ter-billjob.yaml"),
        CAPABILITY_SECRET_M3TER_BILLJOB="billjob",
    )
    del environ["M3TER_API_KEY"]
    rest = create_rest(Settings.from_environ(environ))
    calls = _count_secret_reads()
    upstream.reply(Reply(401, {"message": "expired"}))
    posted = rest(apigw_event(1, "POST", BILLJOBS, body={"a": 1}), None)
    assert posted["statusCode"] == 502
    assert [r.method for r in upstream.received] == ["POST"]  # sent once, never again
    for _ in range(20):
        assert rest(apigw_event(1, "GET", BILLJOBS), None)["statusCode"] == 502
    assert len(calls) == 2  # the first read, and one forced refresh in the 30 s window
    gets = [r for r in upstream.received if r.method == "GET"]
    assert len(gets) == 20  # the POST's 401 used the window's one refresh: no GET is re-sent
    record(
        "faults", "20 upstream 401s and a POST with a secret-backed key", 21, "POST sent once; 2 GetSecretValue calls"
    )


def test_a_cross_host_redirect_is_a_502_problem_naming_it(upstream: UpstreamServer) -> None:
    upstream.reply(Reply(302, "", {"Location": "https://evil.example/steal"}))
    response = _billjob(upstream)(apigw_event(1, "GET", BILLJOBS), None)
    problem = response_json(response)
    assert response["statusCode"] == 502
    assert "redirected to another host (evil.example): not followed" in problem["detail"]


# -- 6. no stray exception reaches a caller -------------------------------------------------------


def test_a_non_latin1_header_value_is_a_400_not_a_500(upstream: UpstreamServer, tmp_path: Any) -> None:
    from ..support.deployment import Deployment, write_spec

    folder = tmp_path / "capabilities"
    write_spec(
        folder,
        "h.yaml",
        """
        naftiko: 1.0.0-alpha2
        capability:
          consumes:
          - type: http
            namespace: up
            baseUri: https://up.example.com
            resources:
            - {name: r, path: /r, operations: [{name: get, method: GET, inputParameters: [{name: X-Note, in: header}]}]}
          exposes:
          - type: rest
            namespace: h-rest
            port: 1
            resources:
            - path: /r
              operations:
              - method: GET
                name: get
                call: up.get
                inputParameters: [{name: note, in: query, type: string, description: a note}]
                with: {X-Note: rest.note}
          - type: mcp
            namespace: h-mcp
            port: 2
            tools:
            - {name: get, description: d, call: up.get, with: {X-Note: tools.note}}
        """,
    )
    deployment = Deployment(folder, upstream.url)
    rest = deployment.rest("h", "GET", "/r", query={"note": "5 €"})
    assert rest.status == 400 and rest.json["parameter"] == "X-Note"
    result = deployment.call_tool("get", {"note": "5 €"}, path="/mcp/h")
    assert result.is_error and result.structured_content["argument"] == "X-Note"
    assert upstream.received == []


def test_an_unexpected_failure_is_a_500_or_32603_with_a_correlation_id(
    upstream: UpstreamServer, monkeypatch: pytest.MonkeyPatch, logs: Any
) -> None:
    from naftiko_lambda.runner import steps as invoke

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("internal detail /var/task/x.py line 3")

    monkeypatch.setattr(invoke, "plan_result", broken)
    upstream.reply(Reply(200, {"ok": 1}))
    response = _billjob(upstream)(apigw_event(1, "GET", BILLJOBS), None)
    problem = response_json(response)
    assert response["statusCode"] == 500 and problem["correlation_id"]
    assert "internal detail" not in json.dumps(response)
    with LambdaTransport(lambda: create_mcp(Settings.from_environ(canary_environ(upstream.url)))) as transport:
        answer = json.loads(_mcp(transport, _call("m3ter-billjob__list-billjobs", {"orgId": "o"}))["body"])
    assert answer["error"]["code"] == -32603 and "correlation id" in answer["error"]["message"]
    assert "internal detail" not in json.dumps(answer)
    assert "internal detail" in logs()  # the log has the whole story
    record(
        "security",
        "an unexpected exception inside a call",
        2,
        "REST 500 / JSON-RPC -32603 with a correlation id; details only in the log",
    )


def test_no_environment_leaks_into_this_module() -> None:
    assert "MCP_TOKENS_SECRET" not in os.environ
