"""Issue 15: exactly-once writes. A POST/PATCH with ``Idempotency-Key`` (REST) or a write tool
called with ``idempotencyKey`` (MCP) runs at most once per key; a retry gets the first answer.

The store is a real DynamoDB API: moto's server on loopback, reached through
``AWS_ENDPOINT_URL_DYNAMODB`` exactly as boto3 reaches DynamoDB when deployed, with the table
the template declares (key ``id``, TTL attribute ``expiration``).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ..support.deployment import Deployment, write_spec
from ..support.upstream import Reply, UpstreamServer

TABLE = "naftiko-idempotency"

ORDERS = """
naftiko: 1.0.0-alpha2
binds:
- namespace: env
  keys: {SHOP_TOKEN: SHOP_TOKEN}
capability:
  consumes:
  - type: http
    namespace: shop
    baseUri: https://api.shop.example.com
    authentication: {type: bearer, token: "{{SHOP_TOKEN}}"}
    resources:
    - name: orders
      path: /orders
      operations:
      - name: create-order
        method: POST
        body: {type: json, data: {item: '{{item}}', quantity: '{{quantity}}'}}
      - name: list-orders
        method: GET
  exposes:
  - type: rest
    namespace: orders-rest
    port: 8080
    resources:
    - path: /orders
      operations:
      - method: POST
        name: create-order
        call: shop.create-order
        inputParameters:
        - {name: item, in: body, type: string, required: true}
        - {name: quantity, in: body, type: number}
      - method: GET
        name: list-orders
        call: shop.list-orders
  - type: mcp
    namespace: orders-mcp
    port: 9090
    tools:
    - name: create-order
      description: Place an order
      call: shop.create-order
      with: {item: tools.item, quantity: tools.quantity}
      inputParameters:
      - {name: item, type: string, description: what to order}
      - {name: quantity, type: number, description: how many}
    - name: list-orders
      description: List orders
      call: shop.list-orders
"""


@pytest.fixture(scope="module")
def dynamodb() -> Iterator[str]:
    """moto's DynamoDB on loopback; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def table(dynamodb: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A fresh idempotency table, shaped as template.yaml declares it; boto3 pointed at moto."""
    import boto3

    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamodb)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    client = boto3.client("dynamodb", endpoint_url=dynamodb)
    client.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.update_time_to_live(
        TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiration"}
    )
    yield client
    client.delete_table(TableName=TABLE)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "capabilities"
    write_spec(folder, "orders.yaml", ORDERS)
    return folder


def deploy(folder: Path, upstream: UpstreamServer, **environ: str) -> Deployment:
    return Deployment(folder, upstream.url, {"SHOP_TOKEN": "shop-token", "IDEMPOTENCY_TABLE": TABLE, **environ})


def writes(upstream: UpstreamServer) -> int:
    return sum(1 for r in upstream.received if r.method == "POST")


def own_loop(fn: Callable[[], Any]) -> Callable[[], Any]:
    """``fn`` for another thread: a Lambda instance has its own event loop (closed after)."""

    def run() -> Any:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            return fn()
        finally:
            loop.close()
            asyncio.set_event_loop(None)

    return run


def post(deployment: Deployment, key: str | None, body: Any, **headers: str) -> Any:
    if key is not None:
        headers["Idempotency-Key"] = key
    return deployment.rest("orders", "POST", "/orders", body=body, headers=headers)


# -- REST ----------------------------------------------------------------------------------------


def test_a_retry_with_the_same_key_writes_once_and_replays(folder: Path, upstream: UpstreamServer, table: Any) -> None:
    deployment = deploy(folder, upstream)
    upstream.reply(Reply(201, {"id": "o-1", "item": "anchor"}))
    first = post(deployment, "k-1", {"item": "anchor", "quantity": 2})
    assert first.status == 201 and first.json == {"id": "o-1", "item": "anchor"}
    assert "idempotent-replayed" not in first.headers
    upstream.reply(Reply(201, {"id": "o-2", "item": "anchor"}))  # what a second write would return
    again = post(deployment, "k-1", {"item": "anchor", "quantity": 2})
    assert again.status == 201 and again.json == {"id": "o-1", "item": "anchor"}
    assert again.headers["idempotent-replayed"] == "true"
    assert writes(upstream) == 1
    # A second Lambda instance (a cold start elsewhere) sees the same record.
    other = deploy(folder, upstream)
    assert post(other, "k-1", {"item": "anchor", "quantity": 2}).json == {"id": "o-1", "item": "anchor"}
    assert writes(upstream) == 1
    # Records are named after their capability: the template's IAM leading-key condition.
    ids = [item["id"]["S"] for item in table.scan(TableName=TABLE)["Items"]]
    assert ids and all(i.startswith("orders#") for i in ids)


def test_a_replay_is_the_same_bytes_as_the_first_answer(folder: Path, upstream: UpstreamServer, table: Any) -> None:
    deployment = deploy(folder, upstream)
    upstream.reply(Reply(201, {"zeta": 1, "id": "o-1", "alpha": {"y": 2, "b": "é"}}))  # keys not in sorted order
    first = post(deployment, "k-bytes", {"item": "anchor", "quantity": 2})
    again = post(deploy(folder, upstream), "k-bytes", {"item": "anchor", "quantity": 2})  # another instance
    assert again.headers["idempotent-replayed"] == "true" and writes(upstream) == 1
    assert again.raw["body"] == first.raw["body"] and list(again.json) == ["zeta", "id", "alpha"]


def test_the_same_key_for_another_request_is_422(folder: Path, upstream: UpstreamServer, table: Any) -> None:
    deployment = deploy(folder, upstream)
    upstream.reply(Reply(201, {"id": "o-1"}))
    assert post(deployment, "k-2", {"item": "anchor"}).status == 201
    other = post(deployment, "k-2", {"item": "rope"})
    assert other.status == 422
    assert other.headers["content-type"] == "application/problem+json"
    assert "different request" in other.json["detail"]
    assert writes(upstream) == 1


def test_without_a_key_every_request_runs(folder: Path, upstream: UpstreamServer, table: Any) -> None:
    deployment = deploy(folder, upstream)
    upstream.reply(Reply(201, {"id": "o"}))
    assert post(deployment, None, {"item": "a"}).status == 201
    assert post(deployment, None, {"item": "a"}).status == 201
    assert writes(upstream) == 2
    assert table.scan(TableName=TABLE)["Count"] == 0


def test_a_read_ignores_the_key(folder: Path, upstream: UpstreamServer, table: Any) -> None:
    deployment = deploy(folder, upstream)
    upstream.reply(Reply(200, []))
    for _ in range(2):
        response = deployment.rest("orders", "GET", "/orders", headers={"Idempotency-Key": "k-read"})
        assert response.status == 200
    assert len(upstream.received) == 2
    assert table.scan(TableName=TABLE)["Count"] == 0


def test_an_upstream_failure_releases_the_key(folder: Path, upstream: UpstreamServer, table: Any) -> None:
    deployment = deploy(folder, upstream)
    upstream.reply(Reply(503, {"message": "try later"}), Reply(201, {"id": "o-3"}))
    failed = post(deployment, "k-3", {"item": "anchor"})
    assert failed.status == 502 and failed.json["upstream"]["status"] == 503
    retried = post(deployment, "k-3", {"item": "anchor"})
    assert retried.status == 201 and retried.json == {"id": "o-3"}
    assert "idempotent-replayed" not in retried.headers
    replay = post(deployment, "k-3", {"item": "anchor"})
    assert replay.json == {"id": "o-3"} and replay.headers["idempotent-replayed"] == "true"
    assert writes(upstream) == 2


@pytest.mark.parametrize(("status", "stored"), [(400, True), (404, True), (429, False)])
def test_which_upstream_refusals_are_final(
    folder: Path, upstream: UpstreamServer, table: Any, status: int, stored: bool
) -> None:
    """A 4xx is the answer to this request, replayed; a 429 says "later", so the key is released."""
    deployment = deploy(folder, upstream)
    upstream.reply(Reply(status, {"message": "no"}), Reply(201, {"id": "o"}))
    assert post(deployment, "k-4", {"item": "a"}).status == status
    second = post(deployment, "k-4", {"item": "a"})
    assert (second.status, writes(upstream)) == ((status, 1) if stored else (201, 2))
    assert (second.headers.get("idempotent-replayed") == "true") is stored


def test_a_concurrent_repeat_is_409_until_the_first_finishes(
    folder: Path, upstream: UpstreamServer, table: Any
) -> None:
    """Two Lambda instances get the same key at once: one writes, the other is told to retry."""
    first_instance, second_instance = deploy(folder, upstream), deploy(folder, upstream)
    upstream.reply(Reply(201, {"id": "o-5"}, delay_s=1.0))
    results: list[Any] = []
    runner = threading.Thread(target=own_loop(lambda: results.append(post(first_instance, "k-5", {"item": "a"}))))
    runner.start()
    deadline = time.monotonic() + 5
    while not upstream.received and time.monotonic() < deadline:
        time.sleep(0.01)
    busy = post(second_instance, "k-5", {"item": "a"})
    assert busy.status == 409 and busy.headers["retry-after"] == "2"
    runner.join()
    assert results[0].status == 201
    after = post(second_instance, "k-5", {"item": "a"})
    assert after.json == {"id": "o-5"} and after.headers["idempotent-replayed"] == "true"
    assert writes(upstream) == 1


def test_many_threads_one_key_one_write(folder: Path, upstream: UpstreamServer, table: Any) -> None:
    instances = [deploy(folder, upstream) for _ in range(6)]
    for instance in instances:  # warm: the race is between requests, not between cold starts
        instance.rest("orders", "GET", "/openapi.json")
    upstream.reply(Reply(201, {"id": "o-6"}, delay_s=0.3))
    statuses: list[int] = []
    barrier = threading.Barrier(len(instances))

    def go(instance: Deployment) -> None:
        barrier.wait()
        answer = post(instance, "k-6", {"item": "a"})
        replayed = answer.headers.get("idempotent-replayed") == "true"
        statuses.append(-answer.status if replayed else answer.status)

    threads = [threading.Thread(target=own_loop(lambda i=i: go(i))) for i in instances]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert writes(upstream) == 1
    # One ran; the others were told it is in progress (409), or, if the scheduler held them back
    # until it had finished, got its answer replayed (-201 here).
    assert statuses.count(201) == 1 and len(statuses) == len(instances)
    assert set(statuses) <= {201, 409, -201} and statuses.count(409) >= 1


def test_a_store_that_is_down_refuses_rather_than_runs_unguarded(
    folder: Path, upstream: UpstreamServer, table: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", f"http://127.0.0.1:{closed}")
    deployment = deploy(folder, upstream)
    upstream.reply(Reply(201, {"id": "o"}))
    started = time.monotonic()
    refused = post(deployment, "k-7", {"item": "a"})
    assert refused.status == 503 and "not run" in refused.json["detail"]
    assert time.monotonic() - started < 10
    assert upstream.received == []
    assert post(deployment, None, {"item": "a"}).status == 201  # no key: the store is never touched


def test_a_key_with_no_store_configured_is_503(folder: Path, upstream: UpstreamServer) -> None:
    deployment = Deployment(folder, upstream.url, {"SHOP_TOKEN": "shop-token"})
    refused = post(deployment, "k-8", {"item": "a"})
    assert refused.status == 503 and "IDEMPOTENCY_TABLE" in refused.json["detail"]
    assert upstream.received == []


def test_a_bad_key_is_400(folder: Path, upstream: UpstreamServer, table: Any) -> None:
    deployment = deploy(folder, upstream)
    for bad in ("x" * 256, "has space"):
        refused = post(deployment, bad, {"item": "a"})
        assert refused.status == 400 and "idempotency key" in refused.json["detail"]
    assert upstream.received == []


def test_an_answer_too_large_to_store_is_kept_without_its_body(
    folder: Path, upstream: UpstreamServer, table: Any
) -> None:
    """The write ran: a retry must not run it again, even if its answer cannot be replayed."""
    deployment = deploy(folder, upstream)
    upstream.reply(Reply(201, {"blob": "x" * 400_000}))
    first = post(deployment, "k-9", {"item": "a"})
    assert first.status == 201 and len(first.json["blob"]) == 400_000
    again = post(deployment, "k-9", {"item": "a"})
    assert again.status == 201 and again.headers["idempotent-body-omitted"] == "true"
    assert again.headers["idempotent-replayed"] == "true"
    assert writes(upstream) == 1


def test_serve_keeps_keys_in_memory(folder: Path, upstream: UpstreamServer) -> None:
    deployment = Deployment(folder, upstream.url, {"SHOP_TOKEN": "shop-token", "IDEMPOTENCY_STORE": "memory"})
    upstream.reply(Reply(201, {"id": "o-m"}))
    assert post(deployment, "k-m", {"item": "a"}).status == 201
    assert post(deployment, "k-m", {"item": "a"}).headers["idempotent-replayed"] == "true"
    assert post(deployment, "k-m", {"item": "b"}).status == 422
    assert writes(upstream) == 1


# -- MCP -----------------------------------------------------------------------------------------


def test_write_tools_offer_an_idempotency_key(folder: Path, upstream: UpstreamServer) -> None:
    tools = {t.name: t for t in deploy(folder, upstream).list_tools(path="/mcp/orders")}
    assert "idempotencyKey" in tools["create-order"].input_schema["properties"]
    assert "idempotencyKey" not in tools["create-order"].input_schema.get("required", [])
    assert "idempotencyKey" not in tools["list-orders"].input_schema["properties"]


def test_an_mcp_retry_with_the_key_writes_once(folder: Path, upstream: UpstreamServer, table: Any) -> None:
    deployment = deploy(folder, upstream)
    upstream.reply(Reply(201, {"id": "o-10"}))
    arguments = {"item": "anchor", "quantity": 1, "idempotencyKey": "mk-1"}
    first = deployment.call_tool("create-order", arguments, path="/mcp/orders")
    assert not first.is_error and first.structured_content == {"id": "o-10"}
    assert not (first.meta or {}).get("io.naftiko/idempotent-replayed")
    upstream.reply(Reply(201, {"id": "o-11"}))
    # The same call through the all-capabilities endpoint (prefixed name) is the same request.
    again = deployment.call_tool("orders__create-order", arguments, path="/mcp")
    assert again.structured_content == {"id": "o-10"}
    assert again.meta["io.naftiko/idempotent-replayed"] is True
    assert writes(upstream) == 1
    assert upstream.received[0].json() == {"item": "anchor", "quantity": 1}  # the key is not sent upstream
    other = deployment.call_tool("create-order", {**arguments, "item": "rope"}, path="/mcp/orders")
    assert other.is_error and other.structured_content["status"] == 422
    assert writes(upstream) == 1


def test_an_mcp_upstream_refusal_releases_the_key(folder: Path, upstream: UpstreamServer, table: Any) -> None:
    deployment = deploy(folder, upstream)
    upstream.reply(Reply(503, {"message": "busy"}), Reply(201, {"id": "o-12"}))
    arguments = {"item": "anchor", "quantity": 1, "idempotencyKey": "mk-2"}
    failed = deployment.call_tool("create-order", arguments, path="/mcp/orders")
    assert failed.is_error and failed.structured_content["status"] == 503
    retried = deployment.call_tool("create-order", arguments, path="/mcp/orders")
    assert not retried.is_error and retried.structured_content == {"id": "o-12"}
    assert writes(upstream) == 2


def test_an_mcp_failure_after_the_write_was_sent_is_kept(folder: Path, upstream: UpstreamServer, table: Any) -> None:
    """An upstream 500 to a POST: it may have written. The retry replays the failure, never writes again."""
    deployment = deploy(folder, upstream)
    upstream.reply(Reply(500, {"message": "boom"}), Reply(201, {"id": "o-13"}))
    arguments = {"item": "anchor", "quantity": 1, "idempotencyKey": "mk-3"}
    failed = deployment.call_tool("create-order", arguments, path="/mcp/orders")
    assert failed.is_error and failed.structured_content["status"] == 500
    retried = deployment.call_tool("create-order", arguments, path="/mcp/orders")
    assert retried.is_error and retried.structured_content == failed.structured_content
    assert retried.meta["io.naftiko/idempotent-replayed"] is True
    assert writes(upstream) == 1


def test_an_mcp_result_is_stored_once_not_twice(folder: Path, upstream: UpstreamServer, table: Any) -> None:
    """A 180 kB result fits the store: its text copy is made again on replay, not stored beside it."""
    deployment = deploy(folder, upstream)
    upstream.reply(Reply(201, {"blob": "y" * 180_000}))
    arguments = {"item": "a", "quantity": 1, "idempotencyKey": "mk-4"}
    first = deployment.call_tool("create-order", arguments, path="/mcp/orders")
    again = deployment.call_tool("create-order", arguments, path="/mcp/orders")
    assert again.meta["io.naftiko/idempotent-replayed"] is True
    assert again.structured_content == first.structured_content
    assert again.content[0].text == first.content[0].text
    assert writes(upstream) == 1


def test_a_process_that_never_sees_a_key_never_imports_the_store(folder: Path, upstream: UpstreamServer) -> None:
    """The cold-start promise: Powertools Idempotency and boto3's DynamoDB load on the first key."""
    upstream.reply(Reply(201, {"id": "o"}))
    script = f"""
import json, sys
sys.path.insert(0, {str(Path(__file__).parents[2])!r})
from tests.support.deployment import Deployment
d = Deployment(__import__("pathlib").Path({str(folder)!r}), {upstream.url!r}, {{"SHOP_TOKEN": "t", "IDEMPOTENCY_TABLE": "t"}})
assert d.rest("orders", "POST", "/orders", body={{"item": "a"}}).status == 201
print(json.dumps(sorted(m for m in sys.modules if "idempotency" in m or m.startswith("boto3"))))
"""
    found = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=os.environ, check=True)
    loaded = json.loads(found.stdout.strip().splitlines()[-1])
    assert all(m.startswith("naftiko_lambda.") for m in loaded), loaded  # our guard at most: no Powertools, no boto3


def test_the_openapi_document_offers_the_header_on_writes(folder: Path, upstream: UpstreamServer) -> None:
    from openapi_spec_validator import validate

    document = deploy(folder, upstream).rest("orders", "GET", "/openapi.json").json
    validate(document)
    path = document["paths"]["/orders/orders"]
    assert [p["name"] for p in path["post"]["parameters"]] == ["Idempotency-Key"]
    assert {"409", "422"} <= set(path["post"]["responses"])
    assert all(p["name"] != "Idempotency-Key" for p in path["get"]["parameters"])


LEDGER = """
naftiko: 1.0.0-alpha2
capability:
  consumes:
  - type: http
    namespace: books
    baseUri: https://api.books.example.com
    resources:
    - name: entries
      path: /entries
      operations:
      - {name: append-entry, method: PUT, body: {type: json, data: {amount: '{{amount}}'}}}
  aggregates:
  - label: Ledger
    namespace: ledger
    functions:
    - name: append
      description: Appends an entry (a PUT that is not idempotent)
      semantics: {safe: false, idempotent: false}
      inputParameters:
      - {name: amount, type: number, description: how much}
      call: books.append-entry
      with: {amount: amount}
  exposes:
  - type: rest
    namespace: ledger-rest
    port: 8080
    resources:
    - path: /entries
      operations:
      - {method: PUT, ref: ledger.append}
  - type: mcp
    namespace: ledger-mcp
    port: 9090
    tools:
    - {name: append, ref: ledger.append}
"""


def test_a_put_the_spec_calls_non_idempotent_honours_the_key(tmp_path: Path, upstream: UpstreamServer) -> None:
    folder = tmp_path / "capabilities"
    write_spec(folder, "ledger.yaml", LEDGER)
    deployment = Deployment(folder, upstream.url, {"IDEMPOTENCY_STORE": "memory"})
    upstream.reply(Reply(200, {"balance": 5}))
    for _ in range(2):
        answer = deployment.rest("ledger", "PUT", "/entries", body={"amount": 5}, headers={"Idempotency-Key": "e-1"})
        assert answer.status == 200 and answer.json == {"balance": 5}
    assert answer.headers["idempotent-replayed"] == "true"
    assert len(upstream.received) == 1
    (tool,) = deployment.list_tools(path="/mcp/ledger")
    assert "idempotencyKey" in tool.input_schema["properties"]
    document = deployment.rest("ledger", "GET", "/openapi.json").json
    assert [p["name"] for p in document["paths"]["/ledger/entries"]["put"]["parameters"]] == ["Idempotency-Key"]


# -- review findings: scoping, fingerprints, what is kept ------------------------------------------

SCOPED = """
naftiko: 1.0.0-alpha2
capability:
  consumes:
  - type: http
    namespace: shop
    baseUri: https://api.shop.example.com
    resources:
    - name: orders
      path: /orders
      operations:
      - name: create-order
        method: POST
        inputParameters:
        - {name: X-Account, in: header}
        - {name: tag, in: query}
        body: {type: json, data: {item: '{{item}}', region: '{{region}}'}}
  exposes:
  - type: rest
    namespace: orders-rest
    port: 8080
    resources:
    - path: /orders
      operations:
      - method: POST
        name: create-order
        call: shop.create-order
        inputParameters:
        - {name: X-Account, in: header, type: string, required: true}
        - {name: tag, in: query, type: array}
        - {name: item, in: body, type: string, required: true}
        - {name: region, in: body, type: string}
  - type: mcp
    namespace: eu
    port: 9090
    tools:
    - name: create-order
      description: Order in the EU
      call: shop.create-order
      with: {item: tools.item, region: eu, X-Account: tools.account}
      inputParameters:
      - {name: item, type: string, description: what}
      - {name: account, type: string, description: who}
  - type: mcp
    namespace: us
    port: 9091
    tools:
    - name: create-order
      description: Order in the US
      call: shop.create-order
      with: {item: tools.item, region: us, X-Account: tools.account}
      inputParameters:
      - {name: item, type: string, description: what}
      - {name: account, type: string, description: who}
"""


@pytest.fixture
def scoped(tmp_path: Path, upstream: UpstreamServer, table: Any) -> Deployment:
    """The DynamoDB store: each MCP session here is a fresh Lambda instance, as deployed, so only
    a shared table carries a key from one call to the next."""
    folder = tmp_path / "scoped"
    write_spec(folder, "orders.yaml", SCOPED)
    tokens = "alice-token-0123456789abcdef0123456789,mallory-token-0123456789abcdef012345"
    return Deployment(folder, upstream.url, {"IDEMPOTENCY_TABLE": TABLE, "MCP_BEARER_TOKENS": tokens})


def _as(deployment: Deployment, api_key_id: str | None, key: str, body: Any, **headers: str) -> Any:
    from ..support.deployment import Response
    from ..support.events import apigw_event

    handler = deployment._rest.get("orders")
    if handler is None:
        deployment.rest("orders", "GET", "/openapi.json")  # builds the handler
        handler = deployment._rest["orders"]
    event = apigw_event(1, "POST", "/orders/orders", None, body, {"Idempotency-Key": key, **headers})
    event["requestContext"]["identity"]["apiKeyId"] = api_key_id
    return Response(handler(event, None))


def test_a_key_belongs_to_its_caller(scoped: Deployment, upstream: UpstreamServer) -> None:
    """Two API keys, one idempotency key: each gets its own write; neither sees the other's answer."""
    upstream.reply(Reply(201, {"receipt": "alice's"}), Reply(201, {"receipt": "mallory's"}))
    alice = _as(scoped, "alice-key-id", "order-42", {"item": "a"}, **{"X-Account": "acme"})
    mallory = _as(scoped, "mallory-key-id", "order-42", {"item": "a"}, **{"X-Account": "acme"})
    assert alice.json == {"receipt": "alice's"} and mallory.json == {"receipt": "mallory's"}
    assert "idempotent-replayed" not in mallory.headers
    again = _as(scoped, "alice-key-id", "order-42", {"item": "a"}, **{"X-Account": "acme"})
    assert again.json == {"receipt": "alice's"} and again.headers["idempotent-replayed"] == "true"
    assert writes(upstream) == 2


def test_mcp_keys_belong_to_their_token(scoped: Deployment, upstream: UpstreamServer) -> None:
    upstream.reply(Reply(201, {"receipt": "alice's"}), Reply(201, {"receipt": "mallory's"}))
    arguments = {"item": "a", "account": "acme", "idempotencyKey": "order-42"}
    alice = scoped.call_tool(
        "create-order", arguments, path="/mcp/orders/eu", token="alice-token-0123456789abcdef0123456789"
    )
    mallory = scoped.call_tool(
        "create-order", arguments, path="/mcp/orders/eu", token="mallory-token-0123456789abcdef012345"
    )
    assert alice.structured_content == {"receipt": "alice's"}
    assert mallory.structured_content == {"receipt": "mallory's"} and not (mallory.meta or {}).get(
        "io.naftiko/idempotent-replayed"
    )
    again = scoped.call_tool(
        "create-order", arguments, path="/mcp/orders/eu", token="alice-token-0123456789abcdef0123456789"
    )
    assert again.structured_content == {"receipt": "alice's"} and again.meta["io.naftiko/idempotent-replayed"]
    assert writes(upstream) == 2


def test_the_fingerprint_is_the_request_the_operation_sees(scoped: Deployment, upstream: UpstreamServer) -> None:
    """Header inputs count; the order of array values counts; JSON whitespace does not."""
    upstream.reply(Reply(201, {"id": "o"}))
    base = {"Idempotency-Key": "f-1", "X-Account": "alice", "content-type": "application/json"}
    first = scoped.rest("orders", "POST", "/orders", query={"tag": ["p", "q"]}, body={"item": "x"}, headers=base)
    assert first.status == 201
    other_account = scoped.rest(
        "orders", "POST", "/orders", query={"tag": ["p", "q"]}, body={"item": "x"}, headers={**base, "X-Account": "bob"}
    )
    assert other_account.status == 422
    other_order = scoped.rest("orders", "POST", "/orders", query={"tag": ["q", "p"]}, body={"item": "x"}, headers=base)
    assert other_order.status == 422
    from ..support.deployment import Response
    from ..support.events import apigw_event

    event = apigw_event(1, "POST", "/orders/orders", {"tag": ["p", "q"]}, None, base, raw_body='{ "item" :  "x" }')
    spaced = Response(scoped._rest["orders"](event, None))
    assert spaced.status == 201 and spaced.headers["idempotent-replayed"] == "true"
    assert writes(upstream) == 1


def test_a_bad_input_does_not_use_the_key_up(scoped: Deployment, upstream: UpstreamServer) -> None:
    upstream.reply(Reply(201, {"id": "o"}))
    headers = {"Idempotency-Key": "v-1", "X-Account": "alice"}
    assert scoped.rest("orders", "POST", "/orders", body={}, headers=headers).status == 400  # no item
    fixed = scoped.rest("orders", "POST", "/orders", body={"item": "x"}, headers=headers)
    assert fixed.status == 201 and "idempotent-replayed" not in fixed.headers


def test_mcp_blocks_do_not_share_a_fingerprint(scoped: Deployment, upstream: UpstreamServer) -> None:
    """Same tool name and arguments in two blocks that send different requests: two writes."""
    upstream.reply(Reply(201, {"id": "eu-1"}), Reply(201, {"id": "us-1"}))
    arguments = {"item": "a", "account": "acme", "idempotencyKey": "ns-1"}
    token = "alice-token-0123456789abcdef0123456789"
    eu = scoped.call_tool("create-order", arguments, path="/mcp/orders/eu", token=token)
    us = scoped.call_tool("create-order", arguments, path="/mcp/orders/us", token=token)
    assert eu.structured_content == {"id": "eu-1"}
    assert us.is_error and us.structured_content["status"] == 422  # not eu's answer
    assert writes(upstream) == 1


def test_a_timeout_after_sending_keeps_the_key(folder: Path, upstream: UpstreamServer, table: Any) -> None:
    """The upstream got the write and answered too late: a retry must not write again."""
    from ..support.deployment import Response
    from ..support.events import apigw_event

    class Context:
        aws_request_id = "req-timeout"

        def get_remaining_time_in_millis(self) -> int:
            return 3000  # the invocation's deadline: 2 s of it for the upstream

    deployment = deploy(folder, upstream)
    deployment.rest("orders", "GET", "/openapi.json")
    upstream.reply(Reply(201, {"id": "late"}, delay_s=2.5), Reply(201, {"id": "again"}))
    event = apigw_event(1, "POST", "/orders/orders", None, {"item": "a"}, {"Idempotency-Key": "t-1"})
    first = Response(deployment._rest["orders"](event, Context()))
    assert first.status == 504
    retry = Response(deployment._rest["orders"](event, Context()))
    assert retry.status == 504 and retry.headers["idempotent-replayed"] == "true"
    assert writes(upstream) == 1


def test_a_created_answer_without_a_body_is_the_same_with_a_key(folder: Path, upstream: UpstreamServer) -> None:
    deployment = Deployment(folder, upstream.url, {"SHOP_TOKEN": "t", "IDEMPOTENCY_STORE": "memory"})
    upstream.reply(Reply(201, b"", headers={}))
    plain = post(deployment, None, {"item": "a"})
    keyed = post(deployment, "e-1", {"item": "a"})
    replay = post(deployment, "e-1", {"item": "a"})
    assert (plain.status, plain.json) == (keyed.status, keyed.json) == (replay.status, replay.json)
    assert plain.headers.get("content-type") == keyed.headers.get("content-type") == replay.headers.get("content-type")


def test_a_store_without_a_region_is_503(
    folder: Path, upstream: UpstreamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    refused = post(deploy(folder, upstream), "r-1", {"item": "a"})
    assert refused.status == 503 and upstream.received == []


def test_a_write_answered_see_other_is_kept_whatever_the_get_after_it_says(
    folder: Path, upstream: UpstreamServer, table: Any
) -> None:
    """303 after the POST: the write was done. The GET that follows it may fail (403 here), but
    that says nothing about the write: the answer is kept and a retry does not write again."""
    deployment = deploy(folder, upstream)
    upstream.reply(Reply(303, b"", headers={"Location": "/orders/1"}), Reply(403, {"error": "no"}), Reply(201, {}))
    first = post(deployment, "r-1", {"item": "a"})
    assert first.status >= 400
    retry = post(deployment, "r-1", {"item": "a"})
    assert retry.status == first.status and retry.headers["idempotent-replayed"] == "true"
    assert writes(upstream) == 1


def test_an_mcp_fault_of_ours_after_the_write_keeps_the_key(
    folder: Path, upstream: UpstreamServer, table: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug after sending (here: decoding the upstream's answer) must not free the key: the
    write happened. REST keeps it by the same rule."""
    import naftiko_lambda.runner.steps as invoke

    real, failures = invoke.decode_response, [1]

    def broken(*args: Any, **kwargs: Any) -> Any:
        if failures:
            failures.pop()
            raise RuntimeError("a bug in decoding")
        return real(*args, **kwargs)

    monkeypatch.setattr(invoke, "decode_response", broken)
    deployment = deploy(folder, upstream, MCP_BEARER_TOKENS="t" * 40)
    upstream.reply(Reply(201, {"id": "o-1"}))
    arguments = {"item": "a", "quantity": 1, "idempotencyKey": "bug-1"}
    first = deployment.call_tool("create-order", arguments, token="t" * 40, path="/mcp/orders")
    assert first.is_error and first.structured_content["error"] == "InternalError"
    assert "a bug" not in json.dumps(first.structured_content)  # the log has it, not the caller
    retry = deployment.call_tool("create-order", arguments, token="t" * 40, path="/mcp/orders")
    assert retry.is_error and retry.meta["io.naftiko/idempotent-replayed"]
    assert writes(upstream) == 1


STATIC_INPUT = ORDERS.replace(
    "keys: {SHOP_TOKEN: SHOP_TOKEN}", "keys: {SHOP_TOKEN: SHOP_TOKEN, SHOP_QUANTITY: SHOP_QUANTITY}"
).replace(
    "        - {name: quantity, in: body, type: number}\n",
    "        - {name: quantity, in: body, type: number, value: '{{SHOP_QUANTITY}}'}\n",
)


def test_a_missing_credential_frees_the_key(tmp_path: Path, upstream: UpstreamServer, table: Any) -> None:
    """A static input bound to a credential that is not configured: nothing was sent, so the
    503 is not kept; once the credential is there, the same key runs."""
    assert "value: '{{SHOP_QUANTITY}}'" in STATIC_INPUT
    folder = tmp_path / "static"
    write_spec(folder, "orders.yaml", STATIC_INPUT)
    upstream.reply(Reply(201, {"id": "o-1"}))
    missing = post(deploy(folder, upstream), "c-1", {"item": "a"})
    assert missing.status == 503 and writes(upstream) == 0
    fixed = post(deploy(folder, upstream, SHOP_QUANTITY="3"), "c-1", {"item": "a"})
    assert fixed.status == 201 and "idempotent-replayed" not in fixed.headers
    assert writes(upstream) == 1 and upstream.last.json()["item"] == "a"


def test_a_cognito_user_is_a_caller_of_their_own(scoped: Deployment, upstream: UpstreamServer) -> None:
    """REST API (v1) Cognito authorizer: the user's ``sub`` is in requestContext.authorizer.claims."""
    from ..support.deployment import Response
    from ..support.events import apigw_event

    scoped.rest("orders", "GET", "/openapi.json")  # builds the handler
    upstream.reply(Reply(201, {"for": "alice"}), Reply(201, {"for": "bob"}))
    answers = []
    for user in ("alice-sub", "bob-sub", "alice-sub"):
        headers = {"Idempotency-Key": "k-42", "X-Account": "acme"}
        event = apigw_event(1, "POST", "/orders/orders", None, {"item": "a"}, headers)
        event["requestContext"]["authorizer"] = {"claims": {"sub": user}}
        answers.append(Response(scoped._rest["orders"](event, None)).json)
    assert answers == [{"for": "alice"}, {"for": "bob"}, {"for": "alice"}]
    assert writes(upstream) == 2
