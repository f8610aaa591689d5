"""Runtime: what the runner needs besides the capability, built once per cold start by an entry.

Holds the seams the runner talks through (seams.py), one credential source per capability and
the idempotency guard. ``Runtime.call`` is the one call both adapters make: steps.run plus one
log line, one metric set and one trace span per invocation.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import NaftikoError, UpstreamError
from ..observability import record_upstream_call, upstream_span
from .seams import RefreshableCredentials, Transport, Upstreams

if TYPE_CHECKING:  # the runner's steps load with the first call, not with the cold start
    from ..capability.model import Capability, Json
    from ..deadline import Deadline
    from .idempotency import Guard
    from .outputs import Outcome
    from .steps import Runnable


def _guard() -> Guard:
    from .idempotency import Guard

    return Guard()


@dataclass
class Runtime:
    """What run() needs besides the capability, built once per cold start by the entry.

    Holds the transport, the base URI overrides, one credential source per capability (created
    on first use, then reused so its secret cache lives across warm invocations) and the guard
    that runs writes under their idempotency key.
    """

    transport: Transport
    upstreams: Upstreams
    credentials_factory: Callable[[Capability], RefreshableCredentials]
    guard_factory: Callable[[], Guard] = field(default=lambda: _guard())
    _credentials: dict[str, RefreshableCredentials] = field(default_factory=dict)
    _guard: Guard | None = None

    @property
    def idempotency(self) -> Guard:
        """The guard of keyed writes, made (and its Powertools pieces imported) on the first key."""
        if self._guard is None:
            self._guard = self.guard_factory()
        return self._guard

    def credentials_for(self, capability: Capability) -> RefreshableCredentials:
        found = self._credentials.get(capability.name)
        if found is None:
            found = self._credentials[capability.name] = self.credentials_factory(capability)
        return found

    def call(
        self,
        capability: Capability,
        operation: Runnable,
        inputs: Mapping[str, Json],
        deadline: Deadline | None = None,
        effects: list[str] | None = None,
    ) -> Outcome:
        """run() plus one structured log line per invocation (never the arguments or headers),
        naming what ran: the consumed ``ns.operation`` of a single call, else the operation.
        ``effects`` collects the calls that may have changed something upstream (steps.run)."""
        from .steps import run

        target = getattr(operation, "target", None) or f"resource:{operation.name}"
        started = time.perf_counter()
        status: int | str = "error"
        try:
            with upstream_span(capability.name, target):
                outcome = run(
                    capability,
                    operation,
                    inputs,
                    credentials=self.credentials_for(capability),
                    transport=self.transport,
                    upstreams=self.upstreams,
                    deadline=deadline,
                    effects=effects,
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
            record_upstream_call(capability.name, target, status, time.perf_counter() - started)
