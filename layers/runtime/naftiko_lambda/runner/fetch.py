"""One HTTP exchange outside a plan (an OAuth authorization server's metadata, keys, introspection):
short, bounded, and failures remembered.

Every fetch goes through the transport (so it stays inside the invocation's deadline) and takes
at most FETCH_S: a hanging endpoint must not hold every request for the read timeout. A GET that
failed for the endpoint's own reasons (no connection, no answer in time, a 5xx) is remembered
for FAILURE_TTL_S, so the requests that follow fail fast (a 503) instead of each waiting on the
same dead endpoint; a POST (an introspection, about one caller's token) or a 4xx is never
remembered, so one caller's junk cannot lock the others out. Answers must be JSON objects.
Failures are CredentialErrors naming ``issuer`` (whom the endpoints belong to); an answer with
a status is an ``IssuerAnswered``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from ..consumes.request import UpstreamRequest, check_upstream_url
from ..deadline import Deadline
from ..documents import Refused, load_json
from ..errors import CredentialError, NaftikoError

FETCH_S = 5.0
"""Longest one fetch from the authorization server may take (seconds)."""
FAILURE_TTL_S = 30.0
"""How long a failed fetch is remembered before the endpoint is tried again (seconds)."""


class IssuerAnswered(CredentialError):
    """The endpoint answered, with a status other than 200."""

    def __init__(self, key: str, status: int) -> None:
        super().__init__(key, f"the authorization server answered {status}")
        self.status = status


class Fetcher:
    """Fetches JSON objects from one authorization server's endpoints for one validator."""

    def __init__(self, transport: Any, issuer: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.transport = transport
        self.issuer = issuer
        self.clock = clock
        self._failed: dict[str, float] = {}  # url -> when it last failed
        self._lock = threading.Lock()

    def get(self, url: str, deadline: Deadline) -> Mapping[str, Any]:
        request = UpstreamRequest("GET", self._url(url), (("Accept", "application/json"),))
        return self._exchange(request, deadline, remember=True)

    def post_form(
        self, url: str, form: Mapping[str, str], headers: tuple[tuple[str, str], ...], deadline: Deadline
    ) -> Mapping[str, Any]:
        all_headers = (*headers, ("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json"))
        request = UpstreamRequest("POST", self._url(url), all_headers, urlencode(form).encode())
        return self._exchange(request, deadline, remember=False)

    def _url(self, url: str) -> str:
        try:
            return check_upstream_url(url)
        except ValueError:
            raise CredentialError(
                self.issuer, "the authorization server named an endpoint that is not https://"
            ) from None

    def _exchange(self, request: UpstreamRequest, deadline: Deadline, *, remember: bool) -> Mapping[str, Any]:
        with self._lock:
            failed = self._failed.get(request.url) if remember else None
        if failed is not None and self.clock() - failed < FAILURE_TTL_S:
            raise CredentialError(self.issuer, "the authorization server failed moments ago: not asked again yet")
        bounded = Deadline.after(min(deadline.remaining(), FETCH_S))
        try:
            answer = self._send(request, bounded)
        except CredentialError as exc:
            if remember and not (isinstance(exc, IssuerAnswered) and exc.status < 500):
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
            raise IssuerAnswered(self.issuer, response.status)
        try:
            document = load_json(response.body)
        except Refused:
            raise CredentialError(self.issuer, "the authorization server's answer is not JSON") from None
        if not isinstance(document, dict):
            raise CredentialError(self.issuer, "the authorization server's answer is not a JSON object")
        return document
