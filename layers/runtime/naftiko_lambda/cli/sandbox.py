"""The built-in sandbox upstream for `serve` with no credentials: plausible JSON for any call.

Each consumes namespace is pointed at ``/_sandbox/<namespace>`` on the serve port. A call to a
consumed operation whose exposed operation declares typed outputs (an imported capability's do)
is answered in that shape: each output's mapping gets a value of its type, arrays two items, so
the first call of a new capability shows its fields filled. Otherwise: GET on a collection -> a
page of two items; GET on an item -> that item; POST/PUT/PATCH -> the body echoed with an id;
DELETE -> a confirmation. Every request is recorded (the newest RECORD_LIMIT), readable at
``GET /_sandbox/requests``.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable
from typing import Any

from ..capability.model import Capability, Output
from ..capability.templates import Var

RECORD_LIMIT = 10_000
"""How many received requests the sandbox keeps for /_sandbox/requests."""
SANDBOX_TOKEN = "sandbox-credential"  # noqa: S105 - a stand-in value, sent only to the sandbox
"""Value given to every bind key in sandbox mode, so auth headers are built as for real."""


SCALARS: dict[str, Any] = {"integer": 1, "number": 1.5, "boolean": True}


def shaped(outputs: Iterable[Output]) -> Any:
    """A document that the ``outputs`` read as typed values (None when they declare no shape)."""
    document: Any = None
    for output in outputs:
        if output.value is not None:
            continue
        document = _place(document, output.mapping.steps if output.mapping else (), _sample(output, output.name))
    return document


def _sample(output: Output, name: str | None) -> Any:
    if output.type == "array":
        if output.items is None:
            return []
        return [_index(_sample(output.items, name), i) for i in (1, 2)]
    if output.type == "object":
        found: Any = {}
        for name, prop in output.properties:
            steps = prop.mapping.steps if prop.mapping else (name,)
            found = _place(found, steps, _sample(prop, name) if prop.value is None else None)
        return found
    return SCALARS.get(output.type, f"sample {name or 'value'}")


def _index(value: Any, i: int) -> Any:
    """The i-th item of a sampled array: strings numbered so items differ."""
    if isinstance(value, dict):
        return {k: (f"{v} {i}" if isinstance(v, str) else v) for k, v in value.items()}
    return f"{value} {i}" if isinstance(value, str) else value


def _place(document: Any, steps: tuple[str | int, ...], value: Any) -> Any:
    if not steps:
        if isinstance(document, dict) and isinstance(value, dict):
            return {**document, **value}
        return value if document is None or not isinstance(value, dict) else document
    head, rest = steps[0], steps[1:]
    if head == "*" or isinstance(head, int):
        return [_place(None, rest, value)]
    container = document if isinstance(document, dict) else {}
    return {**container, str(head): _place(container.get(str(head)), rest, value)}


def _pattern(parts: tuple[str | Var, ...]) -> re.Pattern[str]:
    text = "".join(re.escape(p) if isinstance(p, str) else "[^/]+" for p in parts)
    return re.compile(text.rstrip("/") + "/?")


class Sandbox:
    def __init__(self, capabilities: Iterable[Capability] = ()) -> None:
        self.received: deque[dict[str, Any]] = deque(maxlen=RECORD_LIMIT)
        self._lock = threading.Lock()
        # (namespace, method) -> [(path pattern, shaped answer)] for operations that declare outputs
        self._shapes: dict[tuple[str, str], list[tuple[re.Pattern[str], Any]]] = {}
        for capability in capabilities:
            for operation in (*capability.rest_operations, *capability.tools):
                call = operation.call
                shape = shaped(operation.plan.outputs) if call is not None else None
                if call is None or shape in (None, {}, []) or operation.plan.orchestrated:
                    continue
                entry = (_pattern(call.path.parts), shape)
                self._shapes.setdefault((call.namespace, call.method.upper()), []).append(entry)

    def _shape(self, namespace: str, method: str, path: str) -> Any:
        for pattern, shape in self._shapes.get((namespace, method.upper()), ()):
            if pattern.fullmatch(path):
                return shape
        return None

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
        shape = self._shape(namespace, method, path)
        if shape is not None:
            if isinstance(shape, dict) and isinstance(parsed, dict):  # a write echoes what it was sent
                shape = {**shape, **{k: v for k, v in parsed.items() if k in shape}}
            return (201 if method == "POST" else 200), shape
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
