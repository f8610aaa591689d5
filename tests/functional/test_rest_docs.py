"""The docs page as deployed: behind each API Gateway shape, with servers from the request, the
API key declared when the gateway demands one, and Swagger UI's files served by the function."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from ..conftest import CAPABILITIES
from ..support.events import response_headers, response_json, template
from ..support.upstream import Reply, UpstreamServer
from .test_rest_handler import INBOUND, make_handler

EXECUTE_API = "https://abcdef1234.execute-api.us-east-1.amazonaws.com"
SERVERS = {
    # events/m3ter-billjob-docs.<shape>.json -> servers[0].url of the document the page loads
    "apigw-v1": f"{EXECUTE_API}/prod",
    "apigw-v1-custom-domain": "https://api.example.com/billing",
    "apigw-v2-stage": f"{EXECUTE_API}/prod",
}
DOCS = "/m3ter-billjob/docs"


def docs_event(shape: str, below: str = "/docs") -> dict[str, Any]:
    """The committed docs event of ``shape``, asking for ``/m3ter-billjob{below}`` instead."""
    event = copy.deepcopy(template(f"m3ter-billjob-docs.{shape}.json"))
    target = "/m3ter-billjob" + below

    def move(holder: dict[str, Any], key: str) -> None:
        assert holder[key].endswith(DOCS), (key, holder[key])
        holder[key] = holder[key][: -len(DOCS)] + target

    context = event["requestContext"]
    if event.get("version") == "2.0":
        move(event, "rawPath")
        move(context["http"], "path")
    else:
        move(event, "path")
        move(context, "path")
    event["pathParameters"]["proxy"] = below.lstrip("/")
    return event


@pytest.fixture
def billjob(upstream: UpstreamServer) -> Any:
    return make_handler(CAPABILITIES / "m3ter-billjob.yaml", upstream.url)


def _urls(page: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]*)"', page) + re.findall(r'"url": "([^"]*)"', page)


@pytest.mark.parametrize("shape", sorted(SERVERS))
def test_docs_page_refers_to_relative_urls_only(billjob: Any, shape: str) -> None:
    response = billjob(docs_event(shape), None)
    assert response["statusCode"] == 200
    headers = response_headers(response)
    assert headers["content-type"] == "text/html; charset=utf-8"
    page = response["body"]
    urls = _urls(page)
    assert "openapi.json" in urls
    assert any(re.fullmatch(r"docs/swagger-ui-bundle\.js\?v=5\.\d+\.\d+", u) for u in urls), urls
    assert any(re.fullmatch(r"docs/swagger-ui\.css\?v=5\.\d+\.\d+", u) for u in urls), urls
    assert not [u for u in urls if u.startswith(("/", "http:", "https:")) or "//" in u], urls
    policy = headers["content-security-policy"]
    assert "default-src 'self'" in policy and "http" not in policy


def test_docs_page_with_a_trailing_slash_still_finds_its_files(billjob: Any) -> None:
    page = billjob(docs_event("apigw-v1", "/docs/"), None)["body"]
    urls = _urls(page)
    assert "../openapi.json" in urls
    assert any(u.startswith("swagger-ui-bundle.js?v=") for u in urls), urls
    assert any(u.startswith("swagger-ui.css?v=") for u in urls), urls


def test_docs_page_escapes_the_capability_label(tmp_path: Path, upstream: UpstreamServer) -> None:
    file = tmp_path / "guarded.yaml"
    spec = INBOUND.format(auth="{type: bearer, token: x}")
    file.write_text(spec.replace("capability:\n", "info:\n  label: <script>alert(1)</script>\ncapability:\n", 1))
    event = docs_event("apigw-v1")
    event["path"] = "/guarded/docs"
    event["requestContext"]["path"] = "/prod/guarded/docs"
    page = make_handler(file, upstream.url)(event, None)["body"]
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize("shape", sorted(SERVERS))
def test_openapi_servers_follow_the_gateway_shape(billjob: Any, shape: str) -> None:
    response = billjob(docs_event(shape, "/openapi.json"), None)
    assert response["statusCode"] == 200
    assert response_headers(response)["content-type"] == "application/json"
    document = response_json(response)
    validate(document)
    assert document["servers"] == [{"url": SERVERS[shape]}]
    assert list(document)[:2] == ["openapi", "servers"]


def test_http_api_on_a_custom_domain_serves_at_the_domain_root(billjob: Any) -> None:
    """The event names the stage, not the API mapping key the client's URL has: the stage is
    taken off the routes, and the server is the domain (the README says so)."""
    event = docs_event("apigw-v2-stage", "/openapi.json")
    event["requestContext"]["domainName"] = event["headers"]["host"] = "api.example.com"
    document = response_json(billjob(event, None))
    assert document["servers"] == [{"url": "https://api.example.com"}]


def test_http_api_named_stage_reaches_the_operations(billjob: Any, upstream: UpstreamServer) -> None:
    """An HTTP API stage other than $default is in rawPath: it used to be a 404 for every route."""
    upstream.reply(Reply(200, {"data": []}))
    response = billjob(docs_event("apigw-v2-stage", "/v1/organizations/org-1/billjobs"), None)
    assert response["statusCode"] == 200, response_json(response)
    assert upstream.last.path.endswith("/organizations/org-1/billjobs")


def test_api_key_is_declared_on_every_operation_when_the_gateway_requires_it(upstream: UpstreamServer) -> None:
    required = make_handler(CAPABILITIES / "m3ter-billjob.yaml", upstream.url, REST_API_KEY_REQUIRED="true")
    document = response_json(required(docs_event("apigw-v1", "/openapi.json"), None))
    validate(document)
    assert document["components"]["securitySchemes"]["gateway_api_key"] == {
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
        "description": "The API key of the API Gateway usage plan (ask whoever deployed this API)",
    }
    operations = [op for item in document["paths"].values() for op in item.values()]
    assert operations and all(op["security"] == [{"gateway_api_key": []}] for op in operations)
    plain = make_handler(CAPABILITIES / "m3ter-billjob.yaml", upstream.url, REST_API_KEY_REQUIRED="false")
    document = response_json(plain(docs_event("apigw-v1", "/openapi.json"), None))
    assert "securitySchemes" not in document["components"]  # no empty "Authorize" dialog in Swagger UI
    assert not [op for item in document["paths"].values() for op in item.values() if "security" in op]


def test_api_key_and_the_blocks_own_auth_are_both_required(tmp_path: Path, upstream: UpstreamServer) -> None:
    file = tmp_path / "guarded.yaml"
    file.write_text(INBOUND.format(auth="{type: bearer, token: '{{env.INBOUND_TOKEN}}'}"))
    handler = make_handler(file, upstream.url, INBOUND_TOKEN="t", REST_API_KEY_REQUIRED="true")
    event = docs_event("apigw-v1", "/openapi.json")
    event["path"] = "/guarded/openapi.json"
    event["requestContext"]["path"] = "/prod/guarded/openapi.json"
    document = response_json(handler(event, None))
    validate(document)
    assert set(document["components"]["securitySchemes"]) == {"gateway_api_key", "up-rest"}
    assert document["paths"]["/guarded/things"]["get"]["security"] == [{"gateway_api_key": [], "up-rest": []}]


@pytest.mark.parametrize(
    ("name", "content_type"),
    [("swagger-ui-bundle.js", "text/javascript; charset=utf-8"), ("swagger-ui.css", "text/css; charset=utf-8")],
)
def test_swagger_ui_files_come_from_the_installed_package(billjob: Any, name: str, content_type: str) -> None:
    from swagger_ui_bundle import swagger_ui_path

    response = billjob(docs_event("apigw-v1", f"/docs/{name}"), None)
    assert response["statusCode"] == 200
    headers = response_headers(response)
    assert headers["content-type"] == content_type
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    assert headers["x-content-type-options"] == "nosniff"
    assert response["isBase64Encoded"] is False  # text: API Gateway passes it through as is
    assert response["body"].encode() == (swagger_ui_path / name).read_bytes()


@pytest.mark.parametrize(
    "below",
    [
        "/docs/index.html",
        "/docs/swagger-ui.js.map",
        "/docs/..%2F..%2F__init__.py",
        "/docs/%2E%2E/openapi.py",
        "/docs/swagger-ui-bundle.js/",
        "/docs//etc/passwd",
        "/docs/%2Fetc%2Fpasswd",
    ],
)
def test_nothing_but_the_listed_files_is_served(billjob: Any, below: str) -> None:
    response = billjob(docs_event("apigw-v1", below), None)
    assert response["statusCode"] == 404
    assert response_headers(response)["content-type"] == "application/problem+json"
