"""UpstreamRequest -> UpstreamResponse over ``requests``: the only module that opens sockets.

One pooled Session per process, reused across warm invocations. Retries (urllib3) only for
idempotent methods on 429/502/503/504, honouring Retry-After up to RETRY_AFTER_CAP_S. Redirects are
followed only to the same scheme and host. Bodies are read up to MAX_BODY_BYTES, Lambda's
synchronous response limit. Foreign exceptions are translated into errors.py's tree here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
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


def _new_session() -> requests.Session:
    retry = _CappedRetry(
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
    session = requests.Session()
    session.trust_env = False  # no proxies or .netrc credentials picked up from the machine
    adapter = HTTPAdapter(pool_connections=8, pool_maxsize=16, max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


# Module-level on purpose: pooled keep-alive connections survive warm invocations.
# Cleared by reset_session() (tests).
_SESSION: requests.Session | None = None


def session() -> requests.Session:
    global _SESSION
    if _SESSION is None:
        _SESSION = _new_session()
    return _SESSION


def reset_session() -> None:
    global _SESSION
    if _SESSION is not None:
        _SESSION.close()
    _SESSION = None


class RequestsTransport:
    """The production transport; ``send`` raises only errors from errors.py."""

    def __init__(self, connect_timeout_s: float = CONNECT_TIMEOUT_S, read_timeout_s: float = READ_TIMEOUT_S) -> None:
        self.timeout = (connect_timeout_s, read_timeout_s)

    def send(self, request: UpstreamRequest, operation: str) -> UpstreamResponse:
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
        auth = None
        if request.digest_auth:
            auth = requests.auth.HTTPDigestAuth(*request.digest_auth)
        try:
            with session().request(
                request.method,
                url,
                headers=dict(request.headers),
                data=request.body,
                timeout=self.timeout,
                allow_redirects=False,
                stream=True,
                auth=auth,
            ) as response:
                body = _read_capped(response, operation)
                headers = {k.lower(): v for k, v in response.headers.items()}
                return UpstreamResponse(response.status_code, headers, body)
        except (requests.exceptions.ConnectTimeout, requests.exceptions.ReadTimeout) as exc:
            raise UpstreamTimeout(operation, "upstream did not answer in time") from exc
        except requests.exceptions.RetryError as exc:
            raise UpstreamUnreachable(operation, "upstream kept failing after retries") from exc
        except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            if isinstance(exc.__context__, TimeoutError) or "timed out" in str(exc).lower():
                raise UpstreamTimeout(operation, "upstream did not answer in time") from exc
            raise UpstreamUnreachable(operation, "upstream connection failed") from exc
        except requests.exceptions.RequestException as exc:
            raise UpstreamUnreachable(operation, f"upstream request failed ({type(exc).__name__})") from exc


def _read_capped(response: requests.Response, operation: str) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise UpstreamTooLarge(operation, f"upstream body is over {MAX_BODY_BYTES} bytes", status=response.status_code)
    chunks, size = [], 0
    for chunk in response.iter_content(chunk_size=65536):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise UpstreamTooLarge(
                operation, f"upstream body is over {MAX_BODY_BYTES} bytes", status=response.status_code
            )
        chunks.append(chunk)
    return b"".join(chunks)
