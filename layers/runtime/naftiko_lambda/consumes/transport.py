"""UpstreamRequest -> UpstreamResponse: the only module that opens sockets.

One urllib3 PoolManager per process, reused across warm invocations (keep-alive). urllib3 rather
than requests: it is what requests runs on, and importing it costs ~25 ms of a cold start where
requests costs ~60 ms (bench/rest_handler.py). requests is imported only for HTTP Digest, whose
challenge-response it already implements.

Every send stays inside the invocation's Deadline: connect and read timeouts never exceed the
time left, the watchdog (watchdog.py) shuts the call's socket down at the deadline (a read
timeout is per socket read, so an upstream that drips a byte a second would otherwise hold the
call forever), and retries and Retry-After waits happen only when time is left for another try.

Retries: idempotent methods on 429/502/503/504, honouring Retry-After up to RETRY_AFTER_CAP_S;
any method when the connection could not be made (nothing was sent). Redirects: followed only to
the same scheme and host (a redirect elsewhere is an error, never a carrier of our credentials);
a 303, or a 301/302 after a write, is followed as a GET without the body. Bodies are read up to
MAX_BODY_BYTES. Foreign exceptions are translated into errors.py's tree here, with the cause kept.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import urllib3
import urllib3.connection
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    TimeoutError,
)

from ..deadline import Deadline, now_or_default
from ..errors import UpstreamError, UpstreamTimeout, UpstreamTooLarge, UpstreamUnreachable
from .request import UpstreamRequest
from .response import UpstreamResponse
from .watchdog import WATCHDOG, Watch

CONNECT_TIMEOUT_S = 3.05
"""Longest wait for a connection to the upstream (seconds)."""
READ_TIMEOUT_S = 20.0
"""Longest wait between bytes of the upstream's answer (seconds); the deadline bounds the whole."""
MAX_BODY_BYTES = 6 * 1024 * 1024
"""Largest upstream body accepted: Lambda's synchronous response payload limit (bytes)."""
RETRY_AFTER_CAP_S = 5.0
"""Longest Retry-After honoured before giving up and returning the 429/503 (seconds)."""
MIN_ATTEMPT_S = 1.0
"""Least time that must be left after a wait for another attempt to be worth making (seconds)."""
MAX_RETRIES = 2
MAX_REDIRECTS = 3
BACKOFF_S = 0.2
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})
REDIRECTS = frozenset({301, 302, 303, 307, 308})

_CURRENT = threading.local()
"""The Watch of the call this thread is making (the connection classes below fill it in)."""


class _WatchedHTTPConnection(urllib3.connection.HTTPConnection):
    """Tells the current Watch which connection its request went out on (new or kept alive)."""

    def request(self, *args: Any, **kwargs: Any) -> None:
        watch = getattr(_CURRENT, "watch", None)
        if watch is not None:
            watch.connection = self
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(urllib3.connection.HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        watch = getattr(_CURRENT, "watch", None)
        if watch is not None:
            watch.connection = self
        super().request(*args, **kwargs)


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


# Module-level on purpose: pooled keep-alive connections survive warm invocations.
# Cleared by reset_pool() (tests).
_POOL: urllib3.PoolManager | None = None


def pool() -> urllib3.PoolManager:
    global _POOL
    if _POOL is None:
        _POOL = urllib3.PoolManager(num_pools=16, maxsize=16, retries=False)
        _POOL.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
    return _POOL


def reset_pool() -> None:
    global _POOL
    if _POOL is not None:
        _POOL.clear()
    _POOL = None


class Urllib3Transport:
    """The production transport; ``send`` raises only errors from errors.py."""

    def __init__(self, connect_timeout_s: float | None = None, read_timeout_s: float | None = None) -> None:
        self.connect_timeout_s = connect_timeout_s or CONNECT_TIMEOUT_S
        self.read_timeout_s = read_timeout_s or READ_TIMEOUT_S

    def send(self, request: UpstreamRequest, operation: str, deadline: Deadline | None = None) -> UpstreamResponse:
        deadline = deadline or now_or_default()
        if request.digest_auth:
            deadline.check(operation)
            return _send_digest(request, operation, self._timeouts(deadline), _limit(request))
        method, url, headers, body = request.method, request.url, dict(request.headers), request.body
        attempt = redirects = 0
        delivered = False  # a request of this call reached the upstream: a failure now may follow an effect
        acted = False  # a write was answered with "see other": it was done, whatever follows
        while True:
            try:
                deadline.check(operation)
            except UpstreamError as exc:
                exc.sent = delivered
                raise
            sent = headers
            if request.signer is not None:  # each attempt signs what it sends, with a nonce of its own
                name, value = request.signer(method, url, body)
                sent = {**{k: v for k, v in headers.items() if k.lower() != name.lower()}, name: value}
            try:
                response = self._send_once(method, url, sent, body, operation, deadline, _limit(request))
            except _NotConnected as exc:
                if attempt < MAX_RETRIES and deadline.remaining() > BACKOFF_S * 2**attempt + MIN_ATTEMPT_S:
                    time.sleep(BACKOFF_S * 2**attempt)
                    attempt += 1
                    continue
                if isinstance(exc.error, UpstreamError):
                    exc.error.sent = delivered  # this attempt never connected
                raise exc.error from exc
            delivered = True
            location = response.headers.get("location")
            if response.status in REDIRECTS and location:
                target = urljoin(url, location)
                here, there = urlsplit(url), urlsplit(target)
                if (here.scheme, here.netloc) != (there.scheme, there.netloc):
                    raise UpstreamError(
                        operation,
                        f"upstream redirected to another host ({there.netloc}): not followed",
                        status=response.status,
                        body=None,
                    )
                if redirects >= MAX_REDIRECTS:
                    return replace(response, after_write=acted)
                if response.status == 303 or (response.status in (301, 302) and method not in ("GET", "HEAD")):
                    # RFC 9110 15.4.4: see the result with a GET; the write is never sent again.
                    acted = acted or method not in ("GET", "HEAD")
                    method, body = "GET", None
                    headers = {k: v for k, v in headers.items() if k.lower() not in ("content-type", "content-length")}
                url, redirects = target, redirects + 1
                continue
            if method in IDEMPOTENT and response.status in RETRY_STATUSES and attempt < MAX_RETRIES:
                asked = _retry_after(response)
                wait = min(BACKOFF_S * 2**attempt if asked is None else asked, RETRY_AFTER_CAP_S)
                if deadline.remaining() - wait >= MIN_ATTEMPT_S:
                    time.sleep(wait)
                    attempt += 1
                    continue
            return replace(response, after_write=acted) if acted else response

    def _timeouts(self, deadline: Deadline) -> tuple[float, float]:
        left = max(deadline.remaining(), 0.001)
        return min(self.connect_timeout_s, left), min(self.read_timeout_s, left)

    def _send_once(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
        operation: str,
        deadline: Deadline,
        limit: tuple[int, str],
    ) -> UpstreamResponse:
        connect_s, read_s = self._timeouts(deadline)
        # The watchdog cuts the call at the deadline, however slowly headers or body arrive.
        watch = _CURRENT.watch = WATCHDOG.arm(deadline.expires_at)
        try:
            try:
                response = pool().request(
                    method,
                    url,
                    headers=headers,
                    body=body,
                    timeout=urllib3.Timeout(connect=connect_s, read=read_s),
                    redirect=False,
                    retries=False,
                    preload_content=False,
                )
            except (NewConnectionError, ConnectTimeoutError) as exc:
                raise _NotConnected(_translate(exc, operation)) from exc
            except HTTPError as exc:
                raise _timeout_or(exc, watch, operation) from exc
            watch.response = response
            try:
                data = _read_capped(response, operation, limit)
            except HTTPError as exc:
                raise _timeout_or(exc, watch, operation) from exc
            finally:
                response.release_conn()
        finally:
            WATCHDOG.disarm(watch)
            _CURRENT.watch = None
        if watch.fired.is_set():  # a shut-down read may end quietly: what was read is not the whole answer
            raise UpstreamTimeout(operation, "upstream did not finish its answer in time")
        headers_out = {k.lower(): v for k, v in response.headers.items()}
        return UpstreamResponse(response.status, headers_out, data)


class _NotConnected(Exception):
    """No connection was made: nothing was sent, so any method may try again."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def _timeout_or(exc: HTTPError, watch: Watch, operation: str) -> Exception:
    """The deadline's timeout when the watchdog cut the call, else what the error says."""
    if watch.fired.is_set():
        return UpstreamTimeout(operation, "upstream did not finish its answer in time")
    return _translate(exc, operation)


def _retry_after(response: UpstreamResponse) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _translate(exc: BaseException | None, operation: str) -> Exception:
    # Most specific first: urllib3's NewConnectionError is also a (connect) TimeoutError.
    if isinstance(exc, NewConnectionError):
        return UpstreamUnreachable(operation, "upstream connection failed")
    if isinstance(exc, ReadTimeoutError | TimeoutError):
        return UpstreamTimeout(operation, "upstream did not answer in time")
    if isinstance(exc, ProtocolError):
        return UpstreamUnreachable(operation, "upstream connection broke mid-response")
    return UpstreamUnreachable(operation, f"upstream request failed ({type(exc).__name__})")


def _limit(request: UpstreamRequest) -> tuple[int, str]:
    """The most bytes the answer may have, and the refusal's text when it has more."""
    if request.max_bytes is None:
        return MAX_BODY_BYTES, f"upstream body is over {MAX_BODY_BYTES} bytes"
    return request.max_bytes, f"upstream answer exceeded maxBinarySize (limit={request.max_bytes} bytes)"


def _read_capped(response: Any, operation: str, limit: tuple[int, str]) -> bytes:
    most, refusal = limit
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > most:
        raise UpstreamTooLarge(operation, refusal, status=response.status)
    chunks, size = [], 0
    while True:
        chunk = response.read1(65536)  # returns what has arrived: the watchdog can stop a drip
        if not chunk:
            break
        size += len(chunk)
        if size > most:
            raise UpstreamTooLarge(operation, refusal, status=response.status)
        chunks.append(chunk)
    return b"".join(chunks)


def _send_digest(
    request: UpstreamRequest, operation: str, timeout: tuple[float, float], limit: tuple[int, str]
) -> UpstreamResponse:
    """HTTP Digest (RFC 7616) through requests, which implements the challenge-response.

    Bounded by the connect and read timeouts the deadline allows (no watchdog: requests hides
    the response object until the exchange is done).
    """
    import requests
    from requests.auth import HTTPDigestAuth

    assert request.digest_auth is not None
    try:
        with requests.request(
            request.method,
            request.url,
            headers=dict(request.headers),
            data=request.body,
            auth=HTTPDigestAuth(*request.digest_auth),
            timeout=timeout,
            allow_redirects=False,
            stream=True,
        ) as response:
            most, refusal = limit
            if int(response.headers.get("content-length") or 0) > most:
                raise UpstreamTooLarge(operation, refusal)
            body = response.raw.read(most + 1, decode_content=True)
            if len(body) > most:
                raise UpstreamTooLarge(operation, refusal)
            headers = {k.lower(): v for k, v in response.headers.items()}
            return UpstreamResponse(response.status_code, headers, body)
    except requests.exceptions.Timeout as exc:
        raise UpstreamTimeout(operation, "upstream did not answer in time") from exc
    except requests.exceptions.RequestException as exc:
        raise UpstreamUnreachable(operation, f"upstream request failed ({type(exc).__name__})") from exc
