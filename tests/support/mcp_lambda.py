"""Drive the MCP Lambda handler with the SDK's own client.

LambdaTransport is an httpx2 transport that turns each HTTP request into a Lambda function URL
event (payload 2.0, as AWS sends it), invokes the real handler, and turns its answer back into
an HTTP response. One worker thread with its own event loop stands for one Lambda instance.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx2
import uvicorn

from ..conftest import EVENTS

FUNCTION_URL = "https://abcdefghijklmnopqrstuvwxyz123456.lambda-url.us-east-1.on.aws"
_TEMPLATE = json.loads((EVENTS / "mcp-tools-list.function-url.json").read_text())


def function_url_event(method: str, path: str, headers: dict[str, str], body: bytes, query: str = "") -> dict[str, Any]:
    event = copy.deepcopy(_TEMPLATE)
    event["rawPath"] = path
    event["rawQueryString"] = query
    event["requestContext"]["http"].update(method=method, path=path)
    event["headers"] = {k.lower(): v for k, v in headers.items()}
    event["headers"]["host"] = FUNCTION_URL.removeprefix("https://")
    if body:
        event["body"] = base64.b64encode(body).decode()
        event["isBase64Encoded"] = True
    else:
        event.pop("body", None)
        event["isBase64Encoded"] = False
    return event


class LambdaTransport(httpx2.AsyncBaseTransport):
    """``factory`` builds the handler inside the worker thread, as a cold start would."""

    def __init__(self, factory: Any) -> None:
        self.factory = factory
        self.handler: Any = None
        self.invocations = 0
        self.executor = ThreadPoolExecutor(
            max_workers=1, initializer=lambda: asyncio.set_event_loop(asyncio.new_event_loop())
        )

    def _invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        if self.handler is None:
            self.handler = self.factory()
        return self.handler(event, None)

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        self.invocations += 1
        return self.executor.submit(self._invoke, event).result()

    def close(self) -> None:
        self.executor.submit(lambda: asyncio.get_event_loop().close()).result()
        self.executor.shutdown()

    def __enter__(self) -> LambdaTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = await request.aread()
        event = function_url_event(
            request.method, request.url.path, dict(request.headers), body, request.url.query.decode()
        )
        result = await asyncio.get_running_loop().run_in_executor(None, self.invoke, event)
        payload = result.get("body") or ""
        data = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode()
        return httpx2.Response(result["statusCode"], headers=result.get("headers") or {}, content=data)


class UvicornServer:
    """The same ASGI app served by uvicorn on 127.0.0.1 (a real HTTP socket)."""

    def __init__(self, app: Any, port: int = 0) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        while not self.server.started:
            threading.Event().wait(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(5)
