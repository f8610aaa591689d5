"""UpstreamRequest -> UpstreamResponse: the only module that opens sockets.

One urllib3 PoolManager per process, reused across warm invocations (keep-alive). urllib3 rather
than requests: it is what requests runs on, and importing it costs ~25 ms of a cold start where
requests costs ~60 ms (bench/rest_handler.py). requests is imported only for HTTP Digest, whose
challenge-response it already implements.

Retries only for idempotent methods on 429/502/503/504, honouring Retry-After up to
RETRY_AFTER_CAP_S. Redirects are followed only to the same scheme and host. Bodies are read up
to MAX_BODY_BYTES, Lambda's synchronous response limit. Foreign exceptions are translated into
errors.py's tree here, with the cause kept.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

import urllib3
from urllib3.exceptions import (
    HTTPError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    TimeoutError,
)
from urllib3.util.retry import Retry

from ..errors import UpstreamTimeout, UpstreamTooLarge, UpstreamUnreachable
from .request import UpstreamRequest
from .response import UpstreamResponse

CONNECT_TIMEOUT_S = 3.05
"""Time to open a connection to the upstream (seconds)."""
READ_TIMEOUT_S = 20.0
"""Time to wait between bytes of the upstream's answer; keeps the whole call under API Gateway's 29 s."""
MAX_BODY_BYTES = 6 * 1024 * 1024
"""Largest upstream body accepted: Lambda's synchronous response payload limit (bytes)."""
RETRY_AFTER_CAP_S = 5.0
"""Longest Retry-After honoured before giving up and returning the 429/503 (seconds)."""
MAX_REDIRECTS = 3
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class _CappedRetry(Retry):
    """urllib3 Retry that will not sleep longer than RETRY_AFTER_CAP_S on a Retry-After."""

    def get_retry_after(self, response: Any) -> float | None:
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, RETRY_AFTER_CAP_S)


RETRY = _CappedRetry(
    total=2,
    connect=2,
    read=0,
    status=2,
    allowed_methods=IDEMPOTENT,
    status_forcelist=(429, 502, 503, 504),
    backoff_factor=0.2,
    respect_retry_after_header=True,
    raise_on_status=False,
    redirect=False,
)

# Module-level on purpose: pooled keep-alive connections survive warm invocations.
# Cleared by reset_pool() (tests).
_POOL: urllib3.PoolManager | None = None


def pool() -> urllib3.PoolManager:
    global _POOL
    if _POOL is None:
        _POOL = urllib3.PoolManager(num_pools=16, maxsize=16, retries=RETRY)
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

    def send(self, request: UpstreamRequest, operation: str) -> UpstreamResponse:
        if request.digest_auth:
            return _send_digest(request, operation, (self.connect_timeout_s, self.read_timeout_s))
        url = request.url
        for _ in range(MAX_REDIRECTS + 1):
            response = self._send_once(request, url, operation)
            location = response.headers.get("location")
            if response.status not in (301, 302, 303, 307, 308) or not location:
                return response
            target = urljoin(url, location)
            here, there = urlsplit(url), urlsplit(target)
            if (here.scheme, here.netloc) != (there.scheme, there.netloc):
                return response  # never carry credentials to another host: hand back the 3xx
            url = target
        return response

    def _send_once(self, request: UpstreamRequest, url: str, operation: str) -> UpstreamResponse:
        timeout = urllib3.Timeout(connect=self.connect_timeout_s, read=self.read_timeout_s)
        try:
            response = pool().request(
                request.method,
                url,
                headers=dict(request.headers),
                body=request.body,
                timeout=timeout,
                redirect=False,
                preload_content=False,
            )
            try:
                body = _read_capped(response, operation)
            finally:
                response.release_conn()
        except MaxRetryError as exc:
            raise _translate(exc.reason, operation) from exc
        except HTTPError as exc:
            raise _translate(exc, operation) from exc
        headers = {k.lower(): v for k, v in response.headers.items()}
        return UpstreamResponse(response.status, headers, body)


def _translate(exc: BaseException | None, operation: str) -> Exception:
    # Most specific first: urllib3's NewConnectionError is also a (connect) TimeoutError.
    if isinstance(exc, NewConnectionError):
        return UpstreamUnreachable(operation, "upstream connection failed")
    if isinstance(exc, ReadTimeoutError | TimeoutError):
        return UpstreamTimeout(operation, "upstream did not answer in time")
    if isinstance(exc, ProtocolError):
        return UpstreamUnreachable(operation, "upstream connection broke mid-response")
    return UpstreamUnreachable(operation, f"upstream request failed ({type(exc).__name__})")


def _read_capped(response: Any, operation: str) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise UpstreamTooLarge(operation, f"upstream body is over {MAX_BODY_BYTES} bytes", status=response.status)
    chunks, size = [], 0
    for chunk in response.stream(65536):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise UpstreamTooLarge(operation, f"upstream body is over {MAX_BODY_BYTES} bytes", status=response.status)
        chunks.append(chunk)
    return b"".join(chunks)


def _send_digest(request: UpstreamRequest, operation: str, timeout: tuple[float, float]) -> UpstreamResponse:
    """HTTP Digest (RFC 7616) through requests, which implements the challenge-response."""
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
            if int(response.headers.get("content-length") or 0) > MAX_BODY_BYTES:
                raise UpstreamTooLarge(operation, f"upstream body is over {MAX_BODY_BYTES} bytes")
            body = response.raw.read(MAX_BODY_BYTES + 1, decode_content=True)
            if len(body) > MAX_BODY_BYTES:
                raise UpstreamTooLarge(operation, f"upstream body is over {MAX_BODY_BYTES} bytes")
            headers = {k.lower(): v for k, v in response.headers.items()}
            return UpstreamResponse(response.status_code, headers, body)
    except requests.exceptions.Timeout as exc:
        raise UpstreamTimeout(operation, "upstream did not answer in time") from exc
    except requests.exceptions.RequestException as exc:
        raise UpstreamUnreachable(operation, f"upstream request failed ({type(exc).__name__})") from exc
