"""The seams the runner talks through, and where each consumes namespace is sent.

``Transport``: one request out, one answer back (consumes/transport.py is the one that opens
sockets; tests hand in their own). ``RefreshableCredentials``: bind variables -> Secrets
(credentials.py). ``Upstreams``: base URI overrides by namespace.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Protocol

from ..consumes.values import Credentials

if TYPE_CHECKING:  # types only: kept off the cold path
    from ..consumes.request import UpstreamRequest
    from ..consumes.response import UpstreamResponse
    from ..deadline import Deadline


class Transport(Protocol):
    def send(self, request: UpstreamRequest, operation: str, deadline: Deadline | None = None) -> UpstreamResponse: ...


class LazyTransport:
    """The urllib3 transport, imported on the first upstream call rather than on the cold start
    (~30 ms an MCP tools/list, a mock or a REST 400 never needs)."""

    def __init__(self) -> None:
        self._transport: Transport | None = None

    def send(self, request: UpstreamRequest, operation: str, deadline: Deadline | None = None) -> UpstreamResponse:
        if self._transport is None:
            from ..consumes.transport import Urllib3Transport

            self._transport = Urllib3Transport()
        return self._transport.send(request, operation, deadline)


class RefreshableCredentials(Credentials, Protocol):
    @property
    def refreshable(self) -> bool: ...

    def refresh(self) -> bool: ...


def _no_override(namespace: str) -> str | None:
    return None


@dataclass(frozen=True, slots=True)
class Upstreams:
    """Where each consumes namespace is sent when its spec ``baseUri`` is overridden: ``base_uris``
    by namespace, else what ``lookup`` finds for it (settings.py: the ``UPSTREAM_BASE_URI_<NS>``
    variable, read by name on use, so no capability needs loading to know its overrides)."""

    base_uris: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    lookup: Callable[[str], str | None] = _no_override

    def base_uri(self, namespace: str) -> str | None:
        """The override of ``namespace``'s base URI, or None: the spec's ``baseUri`` applies."""
        return self.base_uris.get(namespace) or self.lookup(namespace) or None
