"""exposes/rest/gateway.py: the public base URL and the HTTP API stage, from ASGI scopes as Mangum makes them."""

from __future__ import annotations

from typing import Any

from naftiko_lambda.exposes.rest.gateway import server_url, stage_prefix

HOST = "abc123.execute-api.eu-west-1.amazonaws.com"


def scope(event: dict[str, Any] | None, headers: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    found: dict[str, Any] = {
        "type": "http",
        "path": "/cap/docs",
        "scheme": "https",
        "headers": [(k.encode(), v.encode()) for k, v in (headers or {}).items()],
        **extra,
    }
    if event is not None:
        found["aws.event"] = event
    return found


def rest_api(path: str, seen: str, host: str = HOST, stage: str = "prod") -> dict[str, Any]:
    return {"path": path, "requestContext": {"path": seen, "stage": stage, "domainName": host}}


def http_api(path: str, stage: str, host: str = HOST) -> dict[str, Any]:
    return {
        "version": "2.0",
        "rawPath": path,
        "requestContext": {"stage": stage, "domainName": host, "http": {"path": path}},
    }


def test_rest_api_base_is_what_the_client_path_has_in_front() -> None:
    assert server_url(scope(rest_api("/cap/docs", "/prod/cap/docs"))) == f"https://{HOST}/prod"
    assert server_url(scope(rest_api("/cap/docs", "/a/b/cap/docs", "api.example.com"))) == "https://api.example.com/a/b"
    assert server_url(scope(rest_api("/cap/docs", "/cap/docs", "api.example.com"))) == "https://api.example.com"


def test_rest_api_without_a_matching_context_path_falls_back_to_the_stage_on_execute_api_only() -> None:
    assert server_url(scope(rest_api("/cap/docs", "/prod/cap/docs%20"))) == f"https://{HOST}/prod"
    assert server_url(scope(rest_api("/cap/docs", "", "api.example.com"))) == "https://api.example.com"


def test_scheme_comes_from_x_forwarded_proto_and_is_http_or_https() -> None:
    event = rest_api("/cap/docs", "/cap/docs", "127.0.0.1:8000")
    assert server_url(scope(event, {"X-Forwarded-Proto": "http"})) == "http://127.0.0.1:8000"
    assert server_url(scope(event, {"X-Forwarded-Proto": "javascript"})) == "https://127.0.0.1:8000"


def test_host_header_when_the_context_has_no_domain_name() -> None:
    event = {"path": "/cap/docs", "requestContext": {"path": "/cap/docs"}}
    assert server_url(scope(event, {"Host": "localhost:3000", "X-Forwarded-Proto": "http"})) == "http://localhost:3000"


def test_http_api_named_stage_is_taken_off_the_path_and_is_the_base_on_execute_api() -> None:
    assert stage_prefix(scope(http_api("/prod/cap/docs", "prod"))) == "/prod"
    assert server_url(scope(http_api("/prod/cap/docs", "prod"))) == f"https://{HOST}/prod"
    assert server_url(scope(http_api("/prod/cap/docs", "prod", "api.example.com"))) == "https://api.example.com"


def test_http_api_default_stage_or_a_path_without_the_stage_is_left_alone() -> None:
    assert stage_prefix(scope(http_api("/cap/docs", "$default"))) == ""
    assert stage_prefix(scope(http_api("/production/cap", "prod"))) == ""
    assert stage_prefix(scope(rest_api("/prod/cap", "/prod/cap"))) == ""
    assert server_url(scope(http_api("/cap/docs", "$default"))) == f"https://{HOST}"


def test_plain_asgi_uses_host_scheme_and_root_path() -> None:
    plain = scope(None, {"Host": "example.test:8443"}, root_path="/api/")
    assert server_url(plain) == "https://example.test:8443/api"
    assert server_url(scope(None, server=("10.0.0.1", 8080), scheme="http")) == "http://10.0.0.1:8080"
