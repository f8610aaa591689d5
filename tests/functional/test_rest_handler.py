"""The REST Lambda handler, fed API Gateway events (1.0 and 2.0), against a loopback upstream."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from naftiko_lambda.capability.load import load_capability
from naftiko_lambda.exposes.rest.handler import create_handler
from naftiko_lambda.settings import Settings, base_uri_variable

from ..conftest import CAPABILITIES, EVENTS, SEED_ENV, SEED_FILES
from ..support.beta4 import DIALECTS, in_dialect
from ..support.events import apigw_event, response_headers, response_json, template
from ..support.upstream import Reply, UpstreamServer

SEEDS = SEED_FILES


@cache
def _capability(file: Path) -> Any:
    return load_capability(file)


@cache
def _raw(file: Path) -> Any:
    return yaml.load(file.read_text(), Loader=yaml.CSafeLoader)


def make_handler(file: Path, upstream_url: str, **extra: str) -> Any:
    capability = load_capability(file)
    environ = {"CAPABILITY_FILE": str(file), **SEED_ENV, **extra}
    for namespace in capability.consumes:
        environ[base_uri_variable(namespace)] = upstream_url
    return create_handler(Settings.from_environ(environ))


def _rest_cases() -> list[Any]:
    cases = []
    for file in SEEDS:
        for op in _capability(file).rest_operations:
            for version in (1, 2):
                cases.append(pytest.param(file, op.name, version, id=f"{file.stem}-{op.name}-v{version}"))
    return cases


@pytest.fixture(scope="module")
def shared_upstream() -> Any:
    with UpstreamServer() as server:
        yield server


@pytest.fixture(scope="module")
def handlers(shared_upstream: UpstreamServer) -> dict[tuple[Path, str], Any]:
    """One warm handler per seed and dialect, reused across its cases (as a warm Lambda would be)."""
    return {
        (file, dialect): make_handler(in_dialect(file, dialect), shared_upstream.url)
        for file in SEEDS
        for dialect in DIALECTS
    }


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(("file", "name", "version"), _rest_cases())
def test_every_seed_rest_operation_through_the_handler(
    shared_upstream: UpstreamServer,
    handlers: dict[tuple[Path, str], Any],
    file: Path,
    name: str,
    version: int,
    dialect: str,
) -> None:
    """Each seed as written and as migrated to beta4 (issue 20) serves the same request."""
    upstream = shared_upstream
    operation = next(o for o in _capability(file).rest_operations if o.name == name)
    raw = _raw(file)
    consumed_path = next(
        r["path"]
        for c in raw["capability"]["consumes"]
        for r in c["resources"]
        for o in r["operations"]
        if f"{c['namespace']}.{o['name']}" == operation.call.ref
    )
    values = {}
    query: dict[str, str] = {}
    body = None
    for item in operation.inputs:
        if item.location == "path":
            values[item.name.lower()] = f"id-{item.name.lower()}"
        elif item.location == "body":
            body = {"from": name, "n": [1, 2]}
        elif item.type == "integer":
            query[item.name] = "3"
    path = "/" + file.stem + re.sub(r"\{(\w+)\}", lambda m: values[m.group(1).lower()], operation.path)
    upstream.reply(Reply(200, {"result": name}))
    response = handlers[file, dialect](apigw_event(version, operation.method, path, query, body), None)

    assert response["statusCode"] == 200, response_json(response)
    assert response_json(response) == {"result": name}
    got = upstream.last
    assert got.method == operation.method
    # every consumed placeholder was filled from the matching exposed one (case-insensitive)
    assert got.path == re.sub(r"\{(\w+)\}", lambda m: values[m.group(1).lower()], consumed_path)
    assert dict(got.query) == {k: v for k, v in query.items()}
    assert got.headers["Authorization"].startswith(("Bearer ", "Key "))
    assert (got.json() if got.body else None) == body


def test_committed_sample_events_route_to_real_operations(upstream: UpstreamServer) -> None:
    upstream.reply(Reply(200, {"ok": True}))
    for event_file in sorted(EVENTS.glob("*.apigw-v*.json")):
        capability = event_file.name.split(".")[0].rsplit("-", 1)[0]
        handler = make_handler(CAPABILITIES / f"{capability}.yaml", upstream.url)
        response = handler(template(event_file.name), None)
        assert response["statusCode"] == 200, (event_file.name, response_json(response))


@pytest.fixture
def billjob(upstream: UpstreamServer) -> Any:
    return make_handler(CAPABILITIES / "m3ter-billjob.yaml", upstream.url)


BILLJOBS = "/m3ter-billjob/v1/organizations/org-1/billjobs"


@pytest.mark.parametrize("version", [1, 2])
def test_bad_integer_is_a_400_naming_the_parameter(billjob: Any, upstream: UpstreamServer, version: int) -> None:
    response = billjob(apigw_event(version, "GET", BILLJOBS, {"pageSize": "ten"}), None)
    assert response["statusCode"] == 400
    assert response_headers(response)["content-type"] == "application/problem+json"
    problem = response_json(response)
    assert problem["parameter"] == "pageSize" and "integer" in problem["detail"]
    assert upstream.received == []


def test_missing_required_body_is_a_400(billjob: Any) -> None:
    response = billjob(apigw_event(1, "POST", BILLJOBS), None)
    assert response["statusCode"] == 400
    assert response_json(response)["parameter"] == "body"


def test_body_of_the_wrong_type_is_a_400(billjob: Any) -> None:
    response = billjob(apigw_event(2, "POST", BILLJOBS, body=[1, 2]), None)
    assert response["statusCode"] == 400
    assert "must be an object, got array" in response_json(response)["detail"]


def test_invalid_json_body_is_a_400(billjob: Any) -> None:
    response = billjob(
        apigw_event(1, "POST", BILLJOBS, raw_body="{nope", headers={"Content-Type": "application/json"}), None
    )
    assert response["statusCode"] == 400
    assert "not valid JSON" in response_json(response)["detail"]


def test_deeply_nested_json_is_refused(billjob: Any) -> None:
    deep = "[" * 5000 + "]" * 5000
    response = billjob(
        apigw_event(1, "POST", BILLJOBS, raw_body=deep, headers={"Content-Type": "application/json"}), None
    )
    assert response["statusCode"] == 400


def test_unknown_path_is_404_and_wrong_method_405_with_allow(billjob: Any) -> None:
    missing = billjob(apigw_event(1, "GET", "/m3ter-billjob/v1/nothing"), None)
    assert missing["statusCode"] == 404
    assert response_json(missing)["status"] == 404
    wrong = billjob(apigw_event(2, "DELETE", BILLJOBS), None)
    assert wrong["statusCode"] == 405
    assert set(response_headers(wrong)["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


@pytest.mark.parametrize(
    ("reply", "status", "upstream_status"),
    [
        (Reply(404, {"message": "no such org"}), 404, 404),
        (Reply(422, "bad things"), 422, 422),
        (Reply(500, {"error": "boom"}), 502, 500),
        (Reply(200, "<html>maintenance</html>", {"Content-Type": "text/html"}), 502, 200),
        (Reply(200, "{broken", {"Content-Type": "application/json"}), 502, 200),
    ],
)
def test_upstream_failures_surface_with_status_and_body(
    billjob: Any, upstream: UpstreamServer, reply: Reply, status: int, upstream_status: int
) -> None:
    upstream.reply(reply)
    response = billjob(apigw_event(1, "POST", BILLJOBS, body={"a": 1}), None)
    assert response["statusCode"] == status
    problem = response_json(response)
    assert problem["upstream"]["status"] == upstream_status
    assert problem["upstream"]["body"]


def test_upstream_timeout_is_504(upstream: UpstreamServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from naftiko_lambda.consumes import transport

    monkeypatch.setattr(transport, "READ_TIMEOUT_S", 0.2)
    handler = make_handler(CAPABILITIES / "m3ter-billjob.yaml", upstream.url)
    upstream.reply(Reply(200, {}, delay_s=0.6))
    response = handler(apigw_event(1, "POST", BILLJOBS, body={"a": 1}), None)
    assert response["statusCode"] == 504
    assert len(upstream.received) == 1


def test_upstream_unreachable_is_502() -> None:
    handler = make_handler(CAPABILITIES / "m3ter-billjob.yaml", "http://127.0.0.1:9")
    response = handler(apigw_event(1, "GET", BILLJOBS), None)
    assert response["statusCode"] == 502
    assert response_json(response)["title"] == "Bad gateway"


def test_missing_credential_is_503_naming_the_key_only(upstream: UpstreamServer) -> None:
    capability = CAPABILITIES / "m3ter-billjob.yaml"
    environ = {"CAPABILITY_FILE": str(capability), "UPSTREAM_BASE_URI_M3TER_BILLJOB": upstream.url}
    handler = create_handler(Settings.from_environ(environ))
    response = handler(apigw_event(2, "GET", BILLJOBS), None)
    assert response["statusCode"] == 503
    assert response_json(response)["credential"] == "M3TER_API_KEY"
    assert upstream.received == []


def test_array_query_parameter_repeats(upstream: UpstreamServer) -> None:
    handler = make_handler(CAPABILITIES / "m3ter-balances.yaml", upstream.url)
    for version in (1, 2):
        response = handler(
            apigw_event(version, "GET", "/m3ter-balances/v1/organizations/o/balances", {"ids": ["x", "y"]}), None
        )
        assert response["statusCode"] == 200
        assert upstream.last.query == [("ids", "x"), ("ids", "y")]


def test_caller_authorization_is_not_forwarded(billjob: Any, upstream: UpstreamServer) -> None:
    billjob(apigw_event(1, "GET", BILLJOBS, headers={"Authorization": "Bearer caller-token"}), None)
    assert upstream.last.headers["Authorization"] == "Bearer " + SEED_ENV["M3TER_API_KEY"]


def test_openapi_documents_are_valid_and_complete(upstream: UpstreamServer) -> None:
    from openapi_spec_validator import validate

    for file in SEEDS:
        handler = make_handler(file, upstream.url)
        response = handler(apigw_event(1, "GET", f"/{file.stem}/openapi.json"), None)
        assert response["statusCode"] == 200
        document = response_json(response)
        validate(document)
        operations = [(m.upper(), p) for p, item in document["paths"].items() for m in item]
        capability = load_capability(file)
        assert len(operations) == len(capability.rest_operations)
        docs = handler(apigw_event(2, "GET", f"/{file.stem}/docs"), None)
        assert docs["statusCode"] == 200 and "swagger" in docs["body"].lower()


INBOUND = """naftiko: 1.0.0-alpha2
binds:
- namespace: env
  keys: {{INBOUND_TOKEN: INBOUND_TOKEN}}
capability:
  consumes:
  - type: http
    namespace: up
    baseUri: https://api.example.com
    resources:
    - name: things
      path: /things
      operations:
      - name: list-things
        method: GET
  exposes:
  - type: rest
    port: 8080
    namespace: up-rest
    authentication: {auth}
    resources:
    - path: /things
      operations:
      - method: GET
        name: list-things
        call: up.list-things
"""


@pytest.mark.parametrize(
    ("auth", "good", "bad"),
    [
        (
            "{type: bearer, token: '{{env.INBOUND_TOKEN}}'}",
            {"Authorization": "Bearer s3cret-token"},
            [
                {},
                {"Authorization": ""},
                {"Authorization": "Bearer"},
                {"Authorization": "Bearer s3cret-toke"},
                {"Authorization": "Bearer s3cret-token2"},
                {"Authorization": "Basic s3cret-token"},
            ],
        ),
        (
            "{type: apikey, key: X-Api-Key, value: '{{INBOUND_TOKEN}}'}",
            {"X-Api-Key": "s3cret-token"},
            [{}, {"X-Api-Key": ""}, {"X-Api-Key": "S3CRET-TOKEN"}, {"Authorization": "s3cret-token"}],
        ),
        (
            "{type: basic, username: admin, password: '{{INBOUND_TOKEN}}'}",
            {"Authorization": "Basic YWRtaW46czNjcmV0LXRva2Vu"},
            [
                {},
                {"Authorization": "Basic YWRtaW46"},
                {"Authorization": "Basic !!!"},
                {"Authorization": "Bearer s3cret-token"},
            ],
        ),
    ],
)
def test_inbound_auth_is_enforced(
    tmp_path: Path, upstream: UpstreamServer, auth: str, good: dict[str, str], bad: list[dict[str, str]]
) -> None:
    file = tmp_path / "guarded.yaml"
    file.write_text(INBOUND.format(auth=auth))
    handler = make_handler(file, upstream.url, INBOUND_TOKEN="s3cret-token")
    for headers in bad:
        response = handler(apigw_event(1, "GET", "/guarded/things", headers=headers), None)
        assert response["statusCode"] == 401, headers
        assert "www-authenticate" in response_headers(response)
        assert "s3cret" not in response["body"]
    assert upstream.received == []
    assert handler(apigw_event(2, "GET", "/guarded/things", headers=good), None)["statusCode"] == 200


@pytest.mark.parametrize("version", [1, 2])
def test_head_is_a_get_without_its_body_and_options_says_what_is_allowed(
    billjob: Any, upstream: UpstreamServer, version: int
) -> None:
    upstream.reply(Reply(200, [{"id": "bj-1"}]))
    got = billjob(apigw_event(version, "GET", BILLJOBS), None)
    head = billjob(apigw_event(version, "HEAD", BILLJOBS), None)
    assert head["statusCode"] == 200 and not head.get("body")
    assert response_headers(head)["content-length"] == response_headers(got)["content-length"]
    assert [r.method for r in upstream.received] == ["GET", "GET"]
    options = billjob(apigw_event(version, "OPTIONS", BILLJOBS), None)
    assert options["statusCode"] == 204
    assert response_headers(options)["allow"] == "GET, POST, HEAD, OPTIONS"
    assert not any(k.startswith("access-control-") for k in response_headers(options))  # no CORS by default
    refused = billjob(apigw_event(version, "DELETE", BILLJOBS), None)
    assert refused["statusCode"] == 405 and response_headers(refused)["allow"] == "GET, POST, HEAD, OPTIONS"
    assert len(upstream.received) == 2
