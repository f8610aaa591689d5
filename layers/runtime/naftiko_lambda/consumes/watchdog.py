"""One thread that cuts in-flight upstream calls at their deadline (for transport.py).

A socket timeout bounds each read, not the whole answer: an upstream that drips a byte a second
never trips it. So each call arms a Watch with its deadline; if the call is still running then,
the watchdog shuts its socket down, the blocked read returns, and the transport answers 504.

One long-lived daemon thread with a heap of deadlines (arming costs a lock and a push, a few
microseconds), rather than a timer thread per call (about 0.6 ms each on these machines).
Created on first use; a process keeps it while warm. ``Watch.connection`` is set by the
connection classes in transport.py when the call's request goes out, so the header phase is
covered as well as the body.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(eq=False)
class Watch:
    """One armed call: what to cut when its deadline passes."""

    expires_at: float  # a time.monotonic() value
    connection: Any = None  # the urllib3 connection the request went out on
    response: Any = None  # the urllib3 response, once its headers arrived
    fired: threading.Event = field(default_factory=threading.Event)
    done: bool = False

    def cut(self) -> None:
        """Shut the call's socket down: a blocked read returns at once."""
        self.fired.set()
        if self.response is not None:
            self.response.shutdown()
        sock = getattr(self.connection, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed: nothing left to cut
                sock.shutdown(socket.SHUT_RDWR)


class Watchdog:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Watch]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def arm(self, expires_at: float) -> Watch:
        watch = Watch(expires_at)
        with self._wake:
            heapq.heappush(self._heap, (expires_at, next(self._order), watch))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="naftiko-watchdog", daemon=True)
                self._thread.start()
            if self._heap[0][2] is watch:
                self._wake.notify()
        return watch

    def disarm(self, watch: Watch) -> None:
        watch.done = True  # removed lazily when it comes up

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._heap:
                    self._wake.wait()
                expires_at, _, watch = self._heap[0]
                if watch.done:
                    heapq.heappop(self._heap)
                    continue
                wait = expires_at - time.monotonic()
                if wait > 0:
                    self._wake.wait(wait)
                    continue
                heapq.heappop(self._heap)
            watch.cut()


WATCHDOG = Watchdog()
"""The process's one watchdog (module-level on purpose: a thread shared by every call)."""
