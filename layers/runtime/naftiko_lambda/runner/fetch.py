"""One HTTP exchange outside a plan (an OAuth authorization server's metadata, keys, introspection):
short, bounded, and failures remembered.

Every fetch goes through the transport (so it stays inside the invocation's deadline) and takes
at most FETCH_S: a hanging endpoint must not hold every request for the read timeout. A fetch
that failed is remembered for FAILURE_TTL_S, so the requests that follow fail fast (a 503)
instead of each waiting on the same dead endpoint. Answers must be JSON objects. Failures are
CredentialErrors naming ``issuer`` (whom the endpoints belong to).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from ..consumes.request import UpstreamRequest, check_upstream_url
from ..deadline import Deadline
from ..errors import CredentialError, NaftikoError

FETCH_S = 5.0
"""Longest one fetch from the authorization server may take (seconds)."""
FAILURE_TTL_S = 30.0
"""How long a failed fetch is remembered before the endpoint is tried again (seconds)."""


class Fetcher:
    """Fetches JSON objects from one authorization server's endpoints for one validator."""

    def __init__(self, transport: Any, issuer: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.transport = transport
        self.issuer = issuer
        self.clock = clock
        self._failed: dict[str, float] = {}  # url -> when it last failed
        self._lock = threading.Lock()

    def get(self, url: str, deadline: Deadline) -> Mapping[str, Any]:
        return self._exchange(UpstreamRequest("GET", self._url(url), (("Accept", "application/json"),)), deadline)

    def post_form(
        self, url: str, form: Mapping[str, str], headers: tuple[tuple[str, str], ...], deadline: Deadline
    ) -> Mapping[str, Any]:
        all_headers = (*headers, ("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json"))
        request = UpstreamRequest("POST", self._url(url), all_headers, urlencode(form).encode())
        return self._exchange(request, deadline)

    def _url(self, url: str) -> str:
        try:
            return check_upstream_url(url)
        except ValueError:
            raise CredentialError(
                self.issuer, "the authorization server named an endpoint that is not https://"
            ) from None

    def _exchange(self, request: UpstreamRequest, deadline: Deadline) -> Mapping[str, Any]:
        with self._lock:
            failed = self._failed.get(request.url)
        if failed is not None and self.clock() - failed < FAILURE_TTL_S:
            raise CredentialError(self.issuer, "the authorization server failed moments ago: not asked again yet")
        bounded = Deadline.after(min(deadline.remaining(), FETCH_S))
        try:
            answer = self._send(request, bounded)
        except CredentialError:
            with self._lock:
                self._failed[request.url] = self.clock()
            raise
        with self._lock:
            self._failed.pop(request.url, None)
        return answer

    def _send(self, request: UpstreamRequest, deadline: Deadline) -> Mapping[str, Any]:
        try:
            response = self.transport.send(request, "oauth", deadline)
        except NaftikoError as exc:
            raise CredentialError(self.issuer, "the authorization server cannot be reached") from exc
        if response.status != 200:
            raise CredentialError(self.issuer, f"the authorization server answered {response.status}")
        try:
            document = json.loads(response.body)
        except (ValueError, RecursionError):
            raise CredentialError(self.issuer, "the authorization server's answer is not JSON") from None
        if not isinstance(document, dict):
            raise CredentialError(self.issuer, "the authorization server's answer is not a JSON object")
        return document
