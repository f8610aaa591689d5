"""The time an invocation has left: every upstream call, read, retry, wait and step stays within it.

In Lambda the budget is ``context.get_remaining_time_in_millis()`` minus ``MARGIN_S``, kept to
send the answer (a 504 problem) before the function is killed; `serve` and tests use a ceiling.
The Lambda entry sets ``current`` for the invocation; the adapters pass it to ``Runtime.call``.
"""

from __future__ import annotations

import contextvars
import time
from dataclasses import dataclass
from typing import Any

from .errors import UpstreamTimeout

MARGIN_S = 1.0
"""Time kept back from the function's remaining time to answer the caller (seconds)."""
DEFAULT_CEILING_S = 28.0
"""Budget of an invocation with no Lambda context (`serve`, tests): the function's timeout (seconds)."""


@dataclass(frozen=True, slots=True)
class Deadline:
    expires_at: float  # a time.monotonic() value

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + max(0.0, seconds))

    def remaining(self) -> float:
        """Seconds left (never negative)."""
        return max(0.0, self.expires_at - time.monotonic())

    def check(self, operation: str, what: str = "call the upstream") -> None:
        """Raise UpstreamTimeout (a 504) when no time is left to ``what``."""
        if self.remaining() <= 0:
            raise UpstreamTimeout(operation, f"the invocation's time is up: no time left to {what}", sent=False)


def for_invocation(context: Any, ceiling_s: float = DEFAULT_CEILING_S) -> Deadline:
    """The deadline of one Lambda invocation (the context's remaining time), else ``ceiling_s``."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining):
        return Deadline.after(min(float(remaining()) / 1000.0, ceiling_s) - MARGIN_S)
    return Deadline.after(ceiling_s - MARGIN_S)


current: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar("deadline", default=None)
"""The deadline of the invocation being served (set by the Lambda entry, per invocation)."""


def now_or_default() -> Deadline:
    """The current invocation's deadline, or a fresh default one outside an invocation."""
    return current.get() or Deadline.after(DEFAULT_CEILING_S - MARGIN_S)
