"""The built-in sandbox upstream for `serve` with no credentials: plausible JSON for any call.

Each consumes namespace is pointed at ``/_sandbox/<namespace>`` on the serve port. Answers:
GET on a collection -> a page of two items; GET on an item -> that item; POST/PUT/PATCH -> the
body echoed with an id; DELETE -> a confirmation. Every request is recorded (the newest
RECORD_LIMIT), readable at ``GET /_sandbox/requests``.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from typing import Any

RECORD_LIMIT = 10_000
"""How many received requests the sandbox keeps for /_sandbox/requests."""
SANDBOX_TOKEN = "sandbox-credential"  # noqa: S105 - a stand-in value, sent only to the sandbox
"""Value given to every bind key in sandbox mode, so auth headers are built as for real."""


class Sandbox:
    def __init__(self) -> None:
        self.received: deque[dict[str, Any]] = deque(maxlen=RECORD_LIMIT)
        self._lock = threading.Lock()

    def answer(
        self, namespace: str, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any]:
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = body.decode("utf-8", errors="replace")
        with self._lock:
            self.received.append(
                {
                    "namespace": namespace,
                    "method": method,
                    "path": path,
                    "query": query,
                    "authorization": "present" if "authorization" in headers else "absent",
                    "body": parsed,
                    "at": time.time(),
                }
            )
        segments = [s for s in path.split("/") if s]
        last = segments[-1] if segments else namespace
        looks_like_id = any(c.isdigit() for c in last) or ("-" in last and len(last) > 12)
        if method == "GET" and not looks_like_id:
            items = [
                {"id": f"{last}-{i}", "name": f"Sample {last} {i}", "createdAt": "2026-11-01T00:00:00Z"} for i in (1, 2)
            ]
            return 200, {"data": items, "nextToken": None, "sandbox": True}
        if method == "GET":
            return 200, {"id": last, "name": f"Sample {last}", "status": "ACTIVE", "sandbox": True}
        if method == "DELETE":
            return 200, {"id": last, "deleted": True, "sandbox": True}
        echo = parsed if isinstance(parsed, dict) else {"body": parsed}
        return (201 if method == "POST" else 200), {"id": str(uuid.uuid4()), **echo, "sandbox": True}
