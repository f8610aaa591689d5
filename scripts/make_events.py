"""Write events/: real-shaped API Gateway (REST payload 1.0, HTTP API 2.0) and function URL events.

Shapes follow `sam local generate-event apigateway aws-proxy|http-api-proxy` and the Lambda
function URL payload, with a Content-Type header added where there is a body (API Gateway passes
the client's; sam's samples omit it). Run: ./dev events (or python scripts/make_events.py).

Every capability in capabilities/ gets a GET and a POST event (when it has such operations):
the seeds' from SAMPLES, any other's made from its first GET and POST operations, with sample
values for their required path, query and body inputs. A body carries only the fields the
operation declares, so an event never sends what the capability would drop.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_VALUES = {"string": "sample", "integer": 10, "number": 1.5, "boolean": True, "array": [], "object": {}}
ORG = "5f2e6b8a-3c1d-4e7f-9a0b-1c2d3e4f5a6b"

V1: dict[str, Any] = {
    "resource": "/{capability}/{proxy+}",
    "path": "",
    "httpMethod": "GET",
    "headers": {
        "Accept": "application/json",
        "Host": "abcdef1234.execute-api.us-east-1.amazonaws.com",
        "User-Agent": "curl/8.5.0",
        "X-Amzn-Trace-Id": "Root=1-6740d2a1-3f1e2d4c5b6a79801a2b3c4d",
        "X-Forwarded-For": "203.0.113.10",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
        "x-api-key": "local-test-api-key",
    },
    "multiValueHeaders": {},
    "queryStringParameters": None,
    "multiValueQueryStringParameters": None,
    "pathParameters": {},
    "stageVariables": None,
    "requestContext": {
        "accountId": "123456789012",
        "resourceId": "a1b2c3",
        "stage": "prod",
        "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        "requestTime": "21/Nov/2026:23:59:59 +0000",
        "requestTimeEpoch": 1795305599000,
        "identity": {"sourceIp": "203.0.113.10", "userAgent": "curl/8.5.0", "apiKey": "local-test-api-key"},
        "path": "",
        "resourcePath": "/{capability}/{proxy+}",
        "httpMethod": "GET",
        "apiId": "abcdef1234",
        "protocol": "HTTP/1.1",
        "domainName": "abcdef1234.execute-api.us-east-1.amazonaws.com",
    },
    "body": None,
    "isBase64Encoded": False,
}

V2: dict[str, Any] = {
    "version": "2.0",
    "routeKey": "ANY /{capability}/{proxy+}",
    "rawPath": "",
    "rawQueryString": "",
    "headers": {
        "accept": "application/json",
        "content-length": "0",
        "host": "abcdef1234.execute-api.us-east-1.amazonaws.com",
        "user-agent": "curl/8.5.0",
        "x-amzn-trace-id": "Root=1-6740d2a1-3f1e2d4c5b6a79801a2b3c4d",
        "x-forwarded-for": "203.0.113.10",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    },
    "requestContext": {
        "accountId": "123456789012",
        "apiId": "abcdef1234",
        "domainName": "abcdef1234.execute-api.us-east-1.amazonaws.com",
        "domainPrefix": "abcdef1234",
        "http": {
            "method": "GET",
            "path": "",
            "protocol": "HTTP/1.1",
            "sourceIp": "203.0.113.10",
            "userAgent": "curl/8.5.0",
        },
        "requestId": "Jx0bYi7hIAMEVxw=",
        "routeKey": "ANY /{capability}/{proxy+}",
        "stage": "$default",
        "time": "21/Nov/2026:23:59:59 +0000",
        "timeEpoch": 1795305599000,
    },
    "pathParameters": {},
    "isBase64Encoded": False,
}

URL: dict[str, Any] = {
    "version": "2.0",
    "routeKey": "$default",
    "rawPath": "/mcp",
    "rawQueryString": "",
    "headers": {
        "accept": "application/json, text/event-stream",
        "authorization": "Bearer local-dev-token-change-me-0123456789abcdef",
        "content-type": "application/json",
        "host": "abcdefghijklmnopqrstuvwxyz123456.lambda-url.us-east-1.on.aws",
        "mcp-protocol-version": "2025-11-25",
        "user-agent": "mcp-client/2.3.0",
        "x-amzn-trace-id": "Root=1-6740d2a1-3f1e2d4c5b6a79801a2b3c4d",
        "x-forwarded-for": "203.0.113.10",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    },
    "requestContext": {
        "accountId": "anonymous",
        "apiId": "abcdefghijklmnopqrstuvwxyz123456",
        "domainName": "abcdefghijklmnopqrstuvwxyz123456.lambda-url.us-east-1.on.aws",
        "domainPrefix": "abcdefghijklmnopqrstuvwxyz123456",
        "http": {
            "method": "POST",
            "path": "/mcp",
            "protocol": "HTTP/1.1",
            "sourceIp": "203.0.113.10",
            "userAgent": "mcp-client/2.3.0",
        },
        "requestId": "8d3e6a4b-1f2c-4d5e-9a8b-7c6d5e4f3a2b",
        "routeKey": "$default",
        "stage": "$default",
        "time": "21/Nov/2026:23:59:59 +0000",
        "timeEpoch": 1795305599000,
    },
    "body": "",
    "isBase64Encoded": False,
}

# capability -> [(method, path below the capability, query, body)]: one GET and one POST each.
SAMPLES = {
    "m3ter-billjob": [
        ("GET", f"/v1/organizations/{ORG}/billjobs", {"pageSize": "10"}, None),
        ("POST", f"/v1/organizations/{ORG}/billjobs", {}, {"billDate": "2026-11-01", "accountIds": ["acc-1"]}),
    ],
    "m3ter-balances": [
        ("GET", f"/v1/organizations/{ORG}/balances", {"pageSize": "20"}, None),
        ("POST", f"/v1/organizations/{ORG}/balances", {}, {"accountId": "acc-1", "currency": "USD", "code": "PREPAY"}),
    ],
    "m3ter-marketplace-integrations": [
        ("GET", f"/v1/organizations/{ORG}/integrationdestinations/marketplace/usagereport", {"pageSize": "5"}, None),
    ],
    "m3ter": [
        ("GET", f"/organizations/{ORG}/bills/latest/acc-1", {}, None),
        ("POST", f"/organizations/{ORG}/bills/bill-1/debitlineitems", {}, {"amount": 12.5, "description": "Credit"}),
    ],
    "suger-metering": [
        ("GET", f"/v1/org/{ORG}/billablemetric", {"status": "ACTIVE"}, None),
        ("POST", f"/v1/org/{ORG}/billablemetric", {}, {"name": "api-calls", "unit": "call"}),
    ],
}


def v1_event(
    capability: str, method: str, path: str, query: dict[str, str], body: Any, b64: bool = False
) -> dict[str, Any]:
    event = copy.deepcopy(V1)
    full = f"/{capability}{path}"
    event.update(path=full, httpMethod=method)
    event["pathParameters"] = {"capability": capability, "proxy": path.lstrip("/")}
    event["requestContext"].update(path=f"/prod{full}", httpMethod=method)
    event["multiValueHeaders"] = {k: [v] for k, v in event["headers"].items()}
    if query:
        event["queryStringParameters"] = dict(query)
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    if body is not None:
        text = json.dumps(body)
        event["headers"]["Content-Type"] = "application/json"
        event["multiValueHeaders"]["Content-Type"] = ["application/json"]
        event["body"] = base64.b64encode(text.encode()).decode() if b64 else text
        event["isBase64Encoded"] = b64
    return event


def v2_event(
    capability: str, method: str, path: str, query: dict[str, str], body: Any, b64: bool = True
) -> dict[str, Any]:
    from urllib.parse import urlencode

    event = copy.deepcopy(V2)
    full = f"/{capability}{path}"
    event.update(rawPath=full, rawQueryString=urlencode(query))
    event["pathParameters"] = {"capability": capability, "proxy": path.lstrip("/")}
    event["requestContext"]["http"].update(method=method, path=full)
    if query:
        event["queryStringParameters"] = dict(query)
    if body is not None:
        text = json.dumps(body)
        event["headers"]["content-type"] = "application/json"
        event["headers"]["content-length"] = str(len(text))
        event["body"] = base64.b64encode(text.encode()).decode() if b64 else text
        event["isBase64Encoded"] = b64
    return event


def docs_events() -> dict[str, dict[str, Any]]:
    """A browser asking for the docs page, as each gateway shape delivers it: what the OpenAPI
    document's servers are built from (exposes/rest/gateway.py)."""
    browser = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36"
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    # REST API on its execute-api host: the stage is in requestContext.path, not in path.
    stage = v1_event("m3ter-billjob", "GET", "/docs", {}, None)
    # REST API on a custom domain with the base path mapping billing -> this API's prod stage:
    # https://api.example.com/billing/m3ter-billjob/docs. path has neither; requestContext.path has the base path.
    custom = v1_event("m3ter-billjob", "GET", "/docs", {}, None)
    custom["requestContext"].update(path="/billing/m3ter-billjob/docs", domainName="api.example.com")
    # HTTP API, stage prod (not $default) on its execute-api host: the stage is in rawPath and http.path.
    http_stage = v2_event("m3ter-billjob", "GET", "/docs", {}, None)
    http_stage["rawPath"] = http_stage["requestContext"]["http"]["path"] = "/prod/m3ter-billjob/docs"
    http_stage["requestContext"]["stage"] = "prod"
    for event in (stage, custom):
        event["headers"].pop("x-api-key")  # a browser sends none (see README: the docs routes need no key)
        event["requestContext"]["identity"].pop("apiKey")
        event["headers"].update({"Accept": accept, "User-Agent": browser})
        event["requestContext"]["identity"]["userAgent"] = browser
        if event is custom:
            event["headers"]["Host"] = "api.example.com"
        event["multiValueHeaders"] = {k: [v] for k, v in event["headers"].items()}
    http_stage["headers"].update({"accept": accept, "user-agent": browser})
    http_stage["requestContext"]["http"]["userAgent"] = browser
    return {"apigw-v1": stage, "apigw-v1-custom-domain": custom, "apigw-v2-stage": http_stage}


def url_event(body: dict[str, Any], path: str = "/mcp", headers: dict[str, str] | None = None) -> dict[str, Any]:
    event = copy.deepcopy(URL)
    event["rawPath"] = path
    event["requestContext"]["http"]["path"] = path
    event["body"] = json.dumps(body)
    if body.get("method"):
        event["headers"]["mcp-method"] = body["method"]
    event["headers"].update(headers or {})
    return event


def _value(item: Any) -> Any:
    if item.enum:
        return item.enum[0]
    if item.type == "array" and item.items in SAMPLE_VALUES:
        return [SAMPLE_VALUES[item.items]]
    return SAMPLE_VALUES.get(item.type, "sample")


def _body_fields(operation: Any) -> set[str]:
    return {i.name for i in operation.inputs if i.location in ("body", "query") and i.static is None}


def derived_samples(capability: Any) -> list[tuple[str, str, dict[str, str], Any]]:
    """A GET and a POST sample from the capability's first operations of each method."""
    samples = []
    for method in ("GET", "POST"):
        operation = next((op for op in capability.rest_operations if op.method == method), None)
        if operation is None:
            continue
        values = {i.name: (ORG if "org" in i.name.lower() else f"sample-{i.name.lower()}") for i in operation.inputs}
        path = re.sub(r"\{(\w+)\}", lambda m, v=values: v.get(m.group(1), "sample"), operation.path)
        query = {
            i.name: str(_value(i)).lower() if i.type == "boolean" else str(_value(i))
            for i in operation.inputs
            if i.location == "query" and i.required and i.static is None and method == "GET"
        }
        given = [i for i in operation.inputs if i.location == "body" and i.static is None]
        whole = next((i for i in given if i.name == "body" and i.body_path is None), None)
        fields = {i.name: _value(i) for i in given if i.required or not any(g.required for g in given)}
        body = (_value(whole) if whole is not None else fields or None) if method == "POST" else None
        samples.append((method, path, query, body))
    return samples


def fitted(
    capability: Any, samples: list[tuple[str, str, dict[str, str], Any]]
) -> list[tuple[str, str, dict[str, str], Any]]:
    """The seed samples with body fields the matching operation does not declare left out."""
    result = []
    for method, path, query, body in samples:
        operation = next(
            (op for op in capability.rest_operations if op.method == method and _matches(op.path, path)), None
        )
        if operation is not None and isinstance(body, dict):
            declared = _body_fields(operation)
            whole = any(i.location == "body" and i.body_path is None for i in operation.inputs if i.name not in body)
            body = body if whole else ({k: v for k, v in body.items() if k in declared} or None)
        result.append((method, path, query, body))
    return result


def _matches(template: str, path: str) -> bool:
    pattern = re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template))
    return re.fullmatch(pattern, path, flags=re.IGNORECASE) is not None


def capability_samples() -> dict[str, list[tuple[str, str, dict[str, str], Any]]]:
    from naftiko_lambda.capability.load import load_capabilities

    found = {}
    for capability in load_capabilities(ROOT / "capabilities"):
        seed = SAMPLES.get(capability.name)
        found[capability.name] = fitted(capability, seed) if seed else derived_samples(capability)
    return found


def main() -> None:
    out = ROOT / "events"
    out.mkdir(exist_ok=True)
    for capability, samples in capability_samples().items():
        for method, path, query, body in samples:
            stem = f"{capability}-{method.lower()}"
            for suffix, make in (("apigw-v1", v1_event), ("apigw-v2", v2_event)):
                (out / f"{stem}.{suffix}.json").write_text(
                    json.dumps(make(capability, method, path, query, body), indent=2) + "\n"
                )
    for suffix, event in docs_events().items():
        (out / f"m3ter-billjob-docs.{suffix}.json").write_text(json.dumps(event, indent=2) + "\n")
    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "sample", "version": "1"},
        },
    }
    listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}
    call = {
        "jsonrpc": "2.0",
        "id": 3,
        "method": "tools/call",
        "params": {"name": "m3ter-billjob__list-billjobs", "arguments": {"orgId": ORG, "pageSize": 10}},
    }
    (out / "mcp-initialize.function-url.json").write_text(json.dumps(url_event(init), indent=2) + "\n")
    (out / "mcp-tools-list.function-url.json").write_text(json.dumps(url_event(listing), indent=2) + "\n")
    call_event = url_event(call, headers={"mcp-name": "m3ter-billjob__list-billjobs"})
    (out / "mcp-tools-call.function-url.json").write_text(json.dumps(call_event, indent=2) + "\n")


if __name__ == "__main__":
    main()
