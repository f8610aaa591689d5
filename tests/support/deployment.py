"""A capability folder of test specs served by the real Lambda handlers, against loopback upstreams.

``Deployment(folder, upstream)`` builds the REST handler of each capability (API Gateway events,
as deployed) and one MCP handler (function URL events) for the folder, with every consumes
namespace pointed at the loopback ``upstream``. ``rest()`` sends one request through a REST
handler; ``mcp()`` runs a coroutine with the official SDK client on an MCP endpoint.
"""

from __future__ import annotations

import asyncio
import json
import textwrap
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from naftiko_lambda.capability.load import load_capabilities, load_capability
from naftiko_lambda.exposes.mcp.handler import create_handler as create_mcp
from naftiko_lambda.exposes.rest.handler import create_handler as create_rest
from naftiko_lambda.settings import Settings, base_uri_variable

from .events import apigw_event, response_headers, response_json
from .mcp_lambda import FUNCTION_URL, LambdaTransport, function_url_event

MCP_TOKEN = "deployment-test-token-0123456789abcdef"
T = TypeVar("T")


def write_spec(folder: Path, name: str, text: str) -> Path:
    """Write a capability (or shared) file, dedenting the test's literal."""
    file = folder / name
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(textwrap.dedent(text).lstrip())
    return file


def _leaf(group: BaseExceptionGroup) -> BaseException:
    found: BaseException = group
    while isinstance(found, BaseExceptionGroup) and len(found.exceptions) == 1:
        found = found.exceptions[0]
    return found


def _invoke(settings: Settings, event: dict[str, Any]) -> Response:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)  # before the handler is built: Mangum would make one of its own
    try:
        return Response(create_mcp(settings)(event, None))
    finally:
        loop.close()
        asyncio.set_event_loop(None)


class Response:
    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.status: int = raw["statusCode"]
        self.headers = response_headers(dict(raw))
        self.json = response_json(dict(raw))
        self.raw = raw  # the Lambda response as returned: body text, headers, base64 flag


class Deployment:
    def __init__(self, folder: Path, upstream: str, environ: Mapping[str, str] | None = None) -> None:
        self.folder = folder
        self.environ = {"MCP_BEARER_TOKENS": MCP_TOKEN, **(environ or {})}
        for capability in load_capabilities(folder):
            for namespace in capability.consumes:
                self.environ.setdefault(base_uri_variable(namespace), upstream)
        self._rest: dict[str, Any] = {}

    def rest(
        self,
        capability: str,
        method: str,
        path: str,
        *,
        query: dict[str, str | list[str]] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        version: int = 1,
    ) -> Response:
        handler = self._rest.get(capability)
        if handler is None:
            file = next(f for f in (*self.folder.glob("*.yaml"), *self.folder.glob("*.yml")) if f.stem == capability)
            load_capability(file)  # a clear SpecError here rather than inside the handler
            settings = Settings.from_environ({**self.environ, "CAPABILITY_FILE": str(file)})
            handler = self._rest[capability] = create_rest(settings)
        event = apigw_event(version, method, f"/{capability}{path}", query, body, headers)
        return Response(handler(event, None))

    def mcp(
        self,
        scenario: Callable[[Client], Awaitable[T]],
        *,
        path: str = "/mcp",
        mode: str = "auto",
        token: str = MCP_TOKEN,
        headers: dict[str, str] | None = None,
    ) -> T:
        """Run ``scenario`` with an SDK client connected to the MCP handler at ``path``."""
        settings = Settings.from_environ({**self.environ, "CAPABILITIES_DIR": str(self.folder)})

        async def run() -> T:
            with LambdaTransport(lambda: create_mcp(settings)) as transport:
                auth = {"Authorization": f"Bearer {token}", **(headers or {})}
                async with (
                    httpx2.AsyncClient(transport=transport, headers=auth) as http,
                    Client(streamable_http_client(FUNCTION_URL + path, http_client=http), mode=mode) as client,
                ):
                    return await scenario(client)

        # On its own thread: anyio.run would drop (unclosed) the loop a REST call left on this one.
        with ThreadPoolExecutor(1) as pool:
            try:
                return pool.submit(anyio.run, run).result()
            except BaseExceptionGroup as group:  # the client's task groups wrap the one real error
                raise _leaf(group) from group

    def get_mcp(self, path: str) -> Response:
        """One GET to the MCP handler (function URL event): the discovery documents."""
        settings = Settings.from_environ({**self.environ, "CAPABILITIES_DIR": str(self.folder)})
        event = function_url_event("GET", path, {"accept": "application/json"}, b"")
        event["requestContext"]["http"]["method"] = "GET"
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(_invoke, settings, event).result()

    def post_mcp(self, path: str, message: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
        """One raw JSON-RPC POST to the MCP handler (function URL event): status, headers, body."""
        settings = Settings.from_environ({**self.environ, "CAPABILITIES_DIR": str(self.folder)})
        all_headers = {
            "content-type": "application/json",
            "accept": "application/json, text/event-stream",
            "mcp-protocol-version": "2025-11-25",
            **(headers or {}),
        }
        event = function_url_event("POST", path, all_headers, json.dumps(message).encode())
        with ThreadPoolExecutor(1) as pool:  # a Lambda instance of its own, with its own event loop
            return pool.submit(_invoke, settings, event).result()

    def mcp_with_auth(self, auth: Any, tool: str, path: str = "/mcp") -> Any:
        """Call ``tool`` with the SDK client authenticating through ``auth`` (an httpx Auth, e.g. the
        SDK's OAuth providers): function URL requests reach the handler, the rest the network."""
        settings = Settings.from_environ({**self.environ, "CAPABILITIES_DIR": str(self.folder)})

        async def run() -> Any:
            with LambdaTransport(lambda: create_mcp(settings)) as lambda_transport:
                network = httpx2.AsyncHTTPTransport()
                mounts = {FUNCTION_URL: lambda_transport}
                async with (
                    httpx2.AsyncClient(transport=network, mounts=mounts, auth=auth) as http,
                    Client(streamable_http_client(FUNCTION_URL + path, http_client=http), mode="legacy") as client,
                ):
                    return await client.call_tool(tool, {})

        with ThreadPoolExecutor(1) as pool:
            try:
                return pool.submit(anyio.run, run).result()
            except BaseExceptionGroup as group:
                raise _leaf(group) from group

    def call_tool(self, tool: str, arguments: dict[str, Any], **kwargs: Any) -> Any:
        async def scenario(client: Client) -> Any:
            return await client.call_tool(tool, arguments)

        return self.mcp(scenario, **kwargs)

    def list_tools(self, **kwargs: Any) -> list[Any]:
        async def scenario(client: Client) -> list[Any]:
            return list((await client.list_tools()).tools)

        return self.mcp(scenario, **kwargs)
