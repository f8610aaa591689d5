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
    upstream.reply(Reply(201, {"id": "o-6"}, delay_s=0.3))
    statuses: list[int] = []
    barrier = threading.Barrier(len(instances))

    def go(instance: Deployment) -> None:
        barrier.wait()
        statuses.append(post(instance, "k-6", {"item": "a"}).status)

    threads = [threading.Thread(target=own_loop(lambda i=i: go(i))) for i in instances]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert writes(upstream) == 1
    assert sorted(statuses) == [201] + [409] * (len(instances) - 1)


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


def test_an_answer_too_large_to_store_is_returned_and_not_kept(
    folder: Path, upstream: UpstreamServer, table: Any
) -> None:
    deployment = deploy(folder, upstream)
    upstream.reply(Reply(201, {"blob": "x" * 400_000}))
    first = post(deployment, "k-9", {"item": "a"})
    assert first.status == 201 and len(first.json["blob"]) == 400_000
    assert post(deployment, "k-9", {"item": "a"}).status == 201
    assert writes(upstream) == 2  # not replayable: the key was released, as the README says
    assert table.scan(TableName=TABLE)["Count"] == 0


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


def test_an_mcp_upstream_failure_releases_the_key(folder: Path, upstream: UpstreamServer, table: Any) -> None:
    deployment = deploy(folder, upstream)
    upstream.reply(Reply(500, {"message": "boom"}), Reply(201, {"id": "o-12"}))
    arguments = {"item": "anchor", "quantity": 1, "idempotencyKey": "mk-2"}
    failed = deployment.call_tool("create-order", arguments, path="/mcp/orders")
    assert failed.is_error and failed.structured_content["status"] == 500
    retried = deployment.call_tool("create-order", arguments, path="/mcp/orders")
    assert not retried.is_error and retried.structured_content == {"id": "o-12"}
    assert writes(upstream) == 2


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
    assert json.loads(found.stdout.strip().splitlines()[-1]) == ["naftiko_lambda.exposes.idempotency"]


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
