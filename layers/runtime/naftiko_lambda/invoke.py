"""run(): one exposed operation, called with the caller's inputs -> Outcome.

The single call both adapters (REST and MCP) make. Steps 3-5 of the flow, in order: bind the
arguments, build the request (base URI, path, query, headers, body, auth), send it, map the
response. Raises only errors from errors.py.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

from .capability.model import Capability, ExposedOperation, Json
from .consumes.auth import apply_auth
from .consumes.bind import Credentials, make_scope
from .consumes.request import UpstreamRequest, build_request, resolve_base_uri
from .consumes.response import Outcome, UpstreamResponse, map_response
from .errors import NaftikoError, UpstreamError
from .observability import record_upstream_call, upstream_span

BASE_URI_PREFIX = "UPSTREAM_BASE_URI_"
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
"""Methods a call may be sent twice with (RFC 9110 section 9.2.2)."""


class Transport(Protocol):
    def send(self, request: UpstreamRequest, operation: str) -> UpstreamResponse: ...


class RefreshableCredentials(Credentials, Protocol):
    @property
    def uses_secret_store(self) -> bool: ...

    def refresh(self) -> bool: ...


def base_uri_variable(namespace: str) -> str:
    """``m3ter-billjob`` -> ``UPSTREAM_BASE_URI_M3TER_BILLJOB``."""
    return BASE_URI_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", namespace).upper()


@dataclass(frozen=True, slots=True)
class Upstreams:
    """Where each consumes namespace is sent when its spec ``baseUri`` is overridden."""

    base_uris: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], capabilities: tuple[Capability, ...]) -> Upstreams:
        found = {}
        for capability in capabilities:
            for namespace in capability.consumes:
                value = environ.get(base_uri_variable(namespace))
                if value:
                    found[namespace] = value
        return cls(MappingProxyType(found))


def run(
    capability: Capability,
    operation: ExposedOperation,
    inputs: Mapping[str, Json],
    *,
    credentials: RefreshableCredentials,
    transport: Transport,
    upstreams: Upstreams,
) -> Outcome:
    """Call the consumed operation behind ``operation`` with ``inputs``.

    Raises:
        InvocationError: an input is missing or unusable (names the parameter).
        CredentialError: a bound key has no value.
        UpstreamError (and subclasses): the upstream failed, with its status and body.
    """
    name = operation.call.ref
    consumes = capability.consumes[operation.call.namespace]
    scope = make_scope(capability, operation, inputs, credentials)
    base = resolve_base_uri(consumes.base_uri, scope, upstreams.base_uris.get(consumes.namespace), name)
    unsigned = build_request(operation.call, scope, base)
    response = transport.send(apply_auth(unsigned, consumes.auth, scope), name)
    if response.status == 401 and consumes.auth is not None and credentials.uses_secret_store:
        # The key may have been rotated since we cached it: fetch it afresh for the next call, and
        # re-send this one only when sending it twice cannot write twice.
        if credentials.refresh() and unsigned.method in IDEMPOTENT:
            response = transport.send(apply_auth(unsigned, consumes.auth, scope), name)
    return map_response(operation, response, scope)


@dataclass
class Runtime:
    """What run() needs besides the capability, built once per cold start by the entry.

    Holds the transport, the base URI overrides, and one credential source per capability
    (created on first use, then reused so its secret cache lives across warm invocations).
    """

    transport: Transport
    upstreams: Upstreams
    credentials_factory: Callable[[Capability], RefreshableCredentials]
    _credentials: dict[str, RefreshableCredentials] = field(default_factory=dict)

    def credentials_for(self, capability: Capability) -> RefreshableCredentials:
        found = self._credentials.get(capability.name)
        if found is None:
            found = self._credentials[capability.name] = self.credentials_factory(capability)
        return found

    def call(self, capability: Capability, operation: ExposedOperation, inputs: Mapping[str, Json]) -> Outcome:
        """run() plus one structured log line per upstream call (never the arguments or headers)."""
        started = time.perf_counter()
        status: int | str = "error"
        try:
            with upstream_span(capability.name, operation.call.ref):
                outcome = run(
                    capability,
                    operation,
                    inputs,
                    credentials=self.credentials_for(capability),
                    transport=self.transport,
                    upstreams=self.upstreams,
                )
            status = outcome.status
            return outcome
        except UpstreamError as exc:
            status = exc.status or type(exc).__name__
            raise
        except NaftikoError as exc:
            status = type(exc).__name__
            raise
        finally:
            record_upstream_call(capability.name, operation.call.ref, status, time.perf_counter() - started)
