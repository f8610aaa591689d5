"""Faults: each gives the documented REST status and an MCP isError result, leaks nothing, and a
POST is never sent twice."""

from __future__ import annotations

import json
import socket
import struct
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from naftiko_lambda.exposes.mcp.handler import create_handler as create_mcp
from naftiko_lambda.exposes.rest.handler import create_handler as create_rest
from naftiko_lambda.settings import Settings

from ..conftest import CAPABILITIES
from ..support.events import apigw_event, response_json
from ..support.mcp_lambda import LambdaTransport, function_url_event
from ..support.reliability import record
from ..support.upstream import Reply, UpstreamServer
from .conftest import CANARY, MCP_TOKEN, canary_environ

BILLJOBS = "/m3ter-billjob/v1/organizations/o/billjobs"


def _reset_mid_body(handler: Any) -> None:
    handler.wfile.write(
        b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"partial": '
    )
    handler.wfile.flush()
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.close_connection = True
    handler.connection.close()


def _declared_huge(handler: Any) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(7 * 1024 * 1024))
    handler.end_headers()
    handler.wfile.write(b"[1,2,3")
    handler.close_connection = True


def _huge(handler: Any) -> None:
    size = 6 * 1024 * 1024 + 10
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(size))
    handler.end_headers()
    handler.wfile.write(b"[" + b"1," * ((size - 3) // 2) + b"1]")


# name -> (upstream replies, expected REST status, how many times a GET is sent)
UPSTREAM_FAULTS: dict[str, tuple[list[Reply], int, int]] = {
    "slower than the timeout": ([Reply(200, {}, delay_s=0.8)], 504, 1),
    "connection reset mid-body": ([Reply(action=_reset_mid_body)], 502, 1),
    "429 with Retry-After": (
        [Reply(429, {"message": "slow down"}, {"Retry-After": "0", "Content-Type": "application/json"})],
        429,
        3,
    ),
    "503 Service Unavailable": ([Reply(503, "unavailable", {"Retry-After": "0"})], 502, 3),
    "500 with JSON": ([Reply(500, {"error": "boom"})], 502, 1),
    "invalid JSON": ([Reply(200, "{broken")], 502, 1),
    "HTML error page": ([Reply(200, "<html><body>Bad Gateway</body></html>", {"Content-Type": "text/html"})], 502, 1),
    "body over 6 MB (declared)": ([Reply(action=_declared_huge)], 502, 1),
    "body over 6 MB (streamed)": ([Reply(action=_huge)], 502, 1),
}


@pytest.fixture
def short_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    from naftiko_lambda.consumes import transport

    monkeypatch.setattr(transport, "READ_TIMEOUT_S", 0.4)


def _mcp_call(transport: LambdaTransport, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    payload = {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": name, "arguments": arguments}}
    headers = {
        "content-type": "application/json",
        "accept": "application/json",
        "authorization": f"Bearer {MCP_TOKEN}",
        "mcp-protocol-version": "2025-11-25",
    }
    response = transport.invoke(function_url_event("POST", "/mcp", headers, json.dumps(payload).encode()))
    assert response["statusCode"] == 200, response
    return json.loads(response["body"])["result"]


@pytest.mark.parametrize("fault", sorted(UPSTREAM_FAULTS))
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_upstream_fault(fault: str, method: str, upstream: UpstreamServer, short_timeouts: None, logs: Any) -> None:
    replies, status, get_sends = UPSTREAM_FAULTS[fault]
    environ = canary_environ(upstream.url, CAPABILITY_FILE=str(CAPABILITIES / "m3ter-billjob.yaml"))
    rest = create_rest(Settings.from_environ(environ))
    body = {"billDate": "2026-11-01"} if method == "POST" else None
    upstream.reply(*replies)
    response = rest(apigw_event(1, method, BILLJOBS, body=body), None)
    problem = response_json(response)
    # A GET on 429/503 is retried twice, then the last answer is mapped; a POST is sent once.
    assert response["statusCode"] == status, (fault, method, problem)
    assert response["headers"]["content-type"] == "application/problem+json"
    sent = [r for r in upstream.received if r.method == method]
    # Idempotent calls are retried twice on 429/502/503/504; a POST is sent exactly once.
    assert len(sent) == (1 if method == "POST" else get_sends), f"{method} sent {len(sent)} times on {fault}"
    assert all(r.path == "/organizations/o/billjobs" for r in sent)
    if fault == "429 with Retry-After":
        assert problem["upstream"] == {"status": 429, "body": {"message": "slow down"}}

    with LambdaTransport(lambda: create_mcp(Settings.from_environ(environ))) as transport:
        upstream.received.clear()
        upstream.reply(*replies)
        name, arguments = (
            ("m3ter-billjob__create-billjob", {"orgId": "o", "body": body})
            if method == "POST"
            else ("m3ter-billjob__list-billjobs", {"orgId": "o"})
        )
        result = _mcp_call(transport, name, arguments)
    assert result["isError"] is True, (fault, result)
    if method == "POST":
        assert len([r for r in upstream.received if r.method == "POST"]) == 1
    text = json.dumps(response) + json.dumps(result) + logs()
    assert CANARY not in text
    record(
        "faults",
        f"upstream {fault}, {method}",
        2,
        f"REST {status} problem+json; MCP isError; {'POST sent once; ' if method == 'POST' else ''}no leak",
    )


def test_upstream_down(logs: Any) -> None:
    environ = canary_environ("http://127.0.0.1:9", CAPABILITY_FILE=str(CAPABILITIES / "m3ter-billjob.yaml"))
    response = create_rest(Settings.from_environ(environ))(apigw_event(2, "POST", BILLJOBS, body={"a": 1}), None)
    assert response["statusCode"] == 502
    with LambdaTransport(lambda: create_mcp(Settings.from_environ(environ))) as transport:
        result = _mcp_call(transport, "m3ter-billjob__list-billjobs", {"orgId": "o"})
    assert result["isError"] is True and result["structuredContent"]["error"] == "UpstreamUnreachable"
    assert CANARY not in json.dumps(response) + logs()
    record("faults", "upstream down (connection refused)", 2, "REST 502; MCP isError UpstreamUnreachable")


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(key, value)
    yield


def _secret_environ(upstream_url: str, secret_id: str) -> dict[str, str]:
    environ = canary_environ(
        upstream_url,
        CAPABILITY_FILE=str(CAPABILITIES / "m3ter-billjob.yaml"),
        CAPABILITY_SECRET_M3TER_BILLJOB=secret_id,
    )
    del environ["M3TER_API_KEY"]
    return environ


def _check_credential_fault(environ: dict[str, str], upstream: UpstreamServer, make: Callable[[], Any]) -> None:
    response = make()(apigw_event(1, "GET", BILLJOBS), None)
    assert response["statusCode"] == 503, response_json(response)
    assert response_json(response)["credential"]
    assert upstream.received == []


def test_secrets_manager_unreachable(
    upstream: UpstreamServer, aws_env: None, monkeypatch: pytest.MonkeyPatch, logs: Any
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://127.0.0.1:9")
    environ = _secret_environ(upstream.url, "naftiko/test/m3ter-billjob")
    _check_credential_fault(environ, upstream, lambda: create_rest(Settings.from_environ(environ)))
    with LambdaTransport(lambda: create_mcp(Settings.from_environ(environ))) as transport:
        result = _mcp_call(transport, "m3ter-billjob__list-billjobs", {"orgId": "o"})
    assert result["isError"] is True and result["structuredContent"]["error"] == "CredentialError"
    record(
        "faults", "Secrets Manager unreachable", 2, "REST 503 naming the credential; MCP isError; nothing sent upstream"
    )


def test_secret_lacking_the_key(upstream: UpstreamServer, aws_env: None, logs: Any) -> None:
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        for name, document in (
            ("lacking", {"OTHER": "x"}),
            ("placeholder", {"M3TER_API_KEY": "REPLACE_ME"}),
            ("not-json", "plain"),
        ):
            client.create_secret(
                Name=name, SecretString=json.dumps(document) if isinstance(document, dict) else document
            )
            environ = _secret_environ(upstream.url, name)
            _check_credential_fault(
                environ, upstream, lambda environ=environ: create_rest(Settings.from_environ(environ))
            )
    record(
        "faults",
        "capability secret lacking the key / still REPLACE_ME / not JSON",
        3,
        "REST 503 naming the key; nothing sent upstream",
    )
