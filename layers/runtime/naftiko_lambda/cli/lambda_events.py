"""HTTP request <-> Lambda event, as `sam local start-api` and function URLs do (for `serve`).

REST capabilities get API Gateway REST API events (payload 1.0); the MCP endpoint gets function
URL events (payload 2.0). Bodies travel base64-encoded, as AWS sends binary-safe payloads. REST
events carry what the OpenAPI document's ``servers`` are built from (exposes/rest/gateway.py):
``requestContext.domainName``, ``requestContext.path`` and ``X-Forwarded-Proto``.
"""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl


def _query(raw: bytes) -> list[tuple[str, str]]:
    return parse_qsl(raw.decode("latin-1"), keep_blank_values=True)


def rest_event(method: str, path: str, raw_query: bytes, headers: list[tuple[str, str]], body: bytes) -> dict[str, Any]:
    pairs = _query(raw_query)
    multi_query: dict[str, list[str]] = {}
    for key, value in pairs:
        multi_query.setdefault(key, []).append(value)
    multi_headers: dict[str, list[str]] = {}
    for key, value in headers:
        multi_headers.setdefault(key, []).append(value)
    lower = {k.lower(): v[-1] for k, v in multi_headers.items()}
    if "x-forwarded-proto" not in lower:  # API Gateway always sends it; serve speaks plain HTTP
        multi_headers["X-Forwarded-Proto"] = ["http"]
    capability, _, proxy = path.lstrip("/").partition("/")
    return {
        "resource": "/{capability}/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": {k: v[-1] for k, v in multi_headers.items()},
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": {"capability": capability, "proxy": proxy},
        "stageVariables": None,
        "requestContext": {
            "accountId": "000000000000",
            "resourcePath": "/{capability}/{proxy+}",
            "httpMethod": method,
            "path": path,  # as the client sent it: a local URL has no stage in it
            "stage": "local",
            "domainName": lower.get("host", "127.0.0.1"),
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": "127.0.0.1"},
            "protocol": "HTTP/1.1",
        },
        "body": base64.b64encode(body).decode() if body else None,
        "isBase64Encoded": bool(body),
    }


def function_url_event(
    method: str, path: str, raw_query: bytes, headers: list[tuple[str, str]], body: bytes
) -> dict[str, Any]:
    joined: dict[str, str] = {}
    for key, value in headers:
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": raw_query.decode("latin-1"),
        "headers": joined,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "local",
            "domainName": joined.get("host", "127.0.0.1"),
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": joined.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "timeEpoch": int(time.time() * 1000),
        },
        "body": base64.b64encode(body).decode() if body else "",
        "isBase64Encoded": bool(body),
    }


def lambda_response(result: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    """A Lambda proxy response -> (status, headers, body bytes)."""
    payload = result.get("body") or ""
    body = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode()
    headers = [(k, v) for k, v in (result.get("headers") or {}).items() if k.lower() != "content-length"]
    for key, values in (result.get("multiValueHeaders") or {}).items():
        headers += [(key, v) for v in values if (key, v) not in headers]
    for cookie in result.get("cookies") or []:
        headers.append(("set-cookie", cookie))
    return int(result.get("statusCode", 200)), headers, body
