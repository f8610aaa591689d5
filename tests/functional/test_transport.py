"""The one HTTP client against a real loopback server: retries, timeouts, caps, redirects."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import pytest
from naftiko_lambda.consumes import transport as transport_module
from naftiko_lambda.consumes.request import UpstreamRequest
from naftiko_lambda.consumes.transport import Urllib3Transport
from naftiko_lambda.deadline import Deadline
from naftiko_lambda.errors import UpstreamError, UpstreamTimeout, UpstreamTooLarge, UpstreamUnreachable

from ..support.upstream import Reply, UpstreamServer


def test_get_is_retried_on_503_honouring_retry_after(upstream: UpstreamServer) -> None:
    upstream.reply(Reply(503, "busy", {"Retry-After": "0"}), Reply(200, {"ok": 1}))
    response = Urllib3Transport().send(UpstreamRequest("GET", upstream.url + "/x"), "op")
    assert response.status == 200
    assert len(upstream.received) == 2


def test_429_is_returned_after_bounded_retries(upstream: UpstreamServer) -> None:
    upstream.reply(Reply(429, "slow down", {"Retry-After": "0"}))
    response = Urllib3Transport().send(UpstreamRequest("GET", upstream.url + "/x"), "op")
    assert response.status == 429
    assert len(upstream.received) == 3  # first try + 2 retries


def test_post_is_never_sent_twice(upstream: UpstreamServer) -> None:
    upstream.reply(Reply(503, "busy", {"Retry-After": "0"}), Reply(200, {"ok": 1}))
    response = Urllib3Transport().send(UpstreamRequest("POST", upstream.url + "/x", body=b"{}"), "op")
    assert response.status == 503
    assert len(upstream.received) == 1


def test_slow_upstream_is_a_timeout(upstream: UpstreamServer) -> None:
    upstream.reply(Reply(200, "{}", delay_s=0.5))
    with pytest.raises(UpstreamTimeout):
        Urllib3Transport(read_timeout_s=0.1).send(UpstreamRequest("POST", upstream.url + "/x"), "op")


def test_closed_port_is_unreachable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(UpstreamUnreachable):
        Urllib3Transport().send(UpstreamRequest("GET", f"http://127.0.0.1:{port}/x"), "op")


def test_body_over_the_cap_is_refused(upstream: UpstreamServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport_module, "MAX_BODY_BYTES", 1000)
    upstream.reply(Reply(200, b"x" * 1001))
    with pytest.raises(UpstreamTooLarge):
        Urllib3Transport().send(UpstreamRequest("GET", upstream.url + "/x"), "op")


def test_redirect_to_another_host_is_an_error_naming_it(upstream: UpstreamServer) -> None:
    """Issue 11 item 5: a cross-host redirect was handed back as a bare 302 with a null body."""
    upstream.reply(Reply(302, "", {"Location": "http://localhost:1/steal"}))
    with pytest.raises(UpstreamError, match=r"redirected to another host \(localhost:1\): not followed") as err:
        Urllib3Transport().send(UpstreamRequest("GET", upstream.url + "/x", (("Authorization", "Bearer s"),)), "op")
    assert err.value.status == 302
    assert len(upstream.received) == 1


def test_303_after_a_post_is_followed_as_a_get_without_the_body(upstream: UpstreamServer) -> None:
    upstream.reply(Reply(303, "", {"Location": "/result/1"}), Reply(200, {"id": 1}))
    request = UpstreamRequest("POST", upstream.url + "/jobs", (("Content-Type", "application/json"),), b'{"a":1}')
    assert Urllib3Transport().send(request, "op").status == 200
    first, second = upstream.received
    assert (first.method, first.body) == ("POST", b'{"a":1}')
    assert (second.method, second.path, second.body) == ("GET", "/result/1", b"")
    assert "Content-Type" not in second.headers


def test_a_dripping_upstream_is_cut_at_the_deadline(upstream: UpstreamServer) -> None:
    """Issue 11 item 4: a byte every 1.5 s held one call for 58.5 s (the read timeout is per read)."""

    def drip(handler: Any) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "100")
        handler.end_headers()
        for _ in range(100):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            if stop.wait(0.1):
                return

    stop = threading.Event()
    upstream.reply(Reply(action=drip))
    started = time.monotonic()
    try:
        with pytest.raises(UpstreamTimeout, match="did not finish its answer in time"):
            Urllib3Transport().send(UpstreamRequest("GET", upstream.url + "/x"), "op", Deadline.after(0.5))
    finally:
        stop.set()
    assert time.monotonic() - started < 5  # a guard against hanging, not a measurement


def test_dripping_headers_are_cut_at_the_deadline_too(upstream: UpstreamServer) -> None:
    """The header phase is bounded as well: a status line sent a byte at a time."""

    def drip_headers(handler: Any) -> None:
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 200:
            try:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
            except OSError:
                return
            if stop.wait(0.05):
                return

    stop = threading.Event()
    upstream.reply(Reply(action=drip_headers))
    try:
        with pytest.raises(UpstreamTimeout):
            Urllib3Transport().send(UpstreamRequest("GET", upstream.url + "/x"), "op", Deadline.after(0.5))
    finally:
        stop.set()


def test_no_retry_wait_past_the_deadline(upstream: UpstreamServer) -> None:
    """A Retry-After that would outlast the deadline returns the 503 now instead of waiting."""
    upstream.reply(Reply(503, "busy", {"Retry-After": "3"}), Reply(200, {"ok": 1}))
    response = Urllib3Transport().send(UpstreamRequest("GET", upstream.url + "/x"), "op", Deadline.after(2.0))
    assert response.status == 503
    assert len(upstream.received) == 1


def test_an_expired_deadline_sends_nothing(upstream: UpstreamServer) -> None:
    with pytest.raises(UpstreamTimeout, match="no time left"):
        Urllib3Transport().send(UpstreamRequest("GET", upstream.url + "/x"), "op", Deadline.after(0))
    assert upstream.received == []


def test_same_host_redirect_is_followed(upstream: UpstreamServer) -> None:
    upstream.reply(Reply(302, "", {"Location": "/y"}), Reply(200, {"ok": 1}))
    response = Urllib3Transport().send(UpstreamRequest("GET", upstream.url + "/x"), "op")
    assert response.status == 200
    assert upstream.last.path == "/y"


def test_connection_is_reused_across_calls(upstream: UpstreamServer) -> None:
    transport = Urllib3Transport()
    for _ in range(3):
        transport.send(UpstreamRequest("GET", upstream.url + "/x"), "op")
    ports = {r.headers.get("Host") for r in upstream.received}
    assert len(ports) == 1
    assert transport_module.pool() is transport_module.pool()


def test_digest_auth_answers_the_challenge(upstream: UpstreamServer) -> None:
    """RFC 7616 challenge-response: the second request carries a correct MD5 digest."""
    import hashlib
    import re

    challenge = 'Digest realm="r", nonce="abc123", qop="auth", algorithm=MD5'
    upstream.reply(Reply(401, "", {"WWW-Authenticate": challenge}), Reply(200, {"ok": 1}))
    request = UpstreamRequest("GET", upstream.url + "/secure?x=1", digest_auth=("u", "p"))
    response = Urllib3Transport().send(request, "op")
    assert response.status == 200
    header = upstream.last.headers["Authorization"]
    fields = dict(re.findall(r'(\w+)="?([^",]+)"?', header))
    ha1 = hashlib.md5(b"u:r:p").hexdigest()
    ha2 = hashlib.md5(f"GET:{fields['uri']}".encode()).hexdigest()
    expected = hashlib.md5(f"{ha1}:abc123:{fields['nc']}:{fields['cnonce']}:auth:{ha2}".encode()).hexdigest()
    assert fields["response"] == expected and fields["uri"] == "/secure?x=1"
