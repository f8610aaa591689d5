"""Drive an ASGI app in-process: lifespan startup (for apps that need it), then HTTP requests.

Used to compare our MCP app and a peer's on equal footing: no server, no Lambda adapter.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any


class AsgiDriver:
    def __init__(self, app: Any, lifespan: bool) -> None:
        self.app = app
        self.lifespan = lifespan
        self._shutdown: asyncio.Event | None = None
        self._task: asyncio.Task[Any] | None = None

    async def start(self) -> None:
        if not self.lifespan:
            return
        started = asyncio.Event()
        self._shutdown = asyncio.Event()
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "lifespan.startup"}
            assert self._shutdown is not None
            await self._shutdown.wait()
            return {"type": "lifespan.shutdown"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "lifespan.startup.complete":
                started.set()

        self._task = asyncio.create_task(self.app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))
        await started.wait()

    async def stop(self) -> None:
        if self._shutdown is not None and self._task is not None:
            self._shutdown.set()
            await self._task

    async def post(self, path: str, payload: dict[str, Any], headers: dict[str, str]) -> tuple[int, Any]:
        body = json.dumps(payload).encode()
        raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        raw += [(b"content-type", b"application/json"), (b"accept", b"application/json, text/event-stream")]
        raw += [(b"host", b"127.0.0.1:8000"), (b"content-length", str(len(body)).encode())]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": raw,
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 8000),
        }
        chunks: list[bytes] = []
        status = 0
        delivered = False

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        text = b"".join(chunks).decode()
        return status, json.loads(text) if text else None
