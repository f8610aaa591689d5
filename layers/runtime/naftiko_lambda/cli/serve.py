"""`naftiko-lambda serve`: the whole product on one local port, through the real Lambda handlers.

HTTP requests become API Gateway events for ``/{capability}/...`` (one REST handler per
capability, as one function each is deployed) and function URL events for ``/mcp`` (the MCP
handler), as `sam local start-api` would do. With no upstream credentials in the environment,
every consumes namespace is pointed at the built-in sandbox (sandbox.py) on the same port.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import socket
import stat
import sys
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..addresses import is_loopback
from ..capability.load import load_capabilities
from ..deadline import DEFAULT_CEILING_S
from ..exposes.mcp.security import MIN_TOKEN_CHARS
from ..settings import Settings, base_uri_variable
from .guard import refusal
from .lambda_events import function_url_event, lambda_response, rest_event
from .sandbox import SANDBOX_TOKEN, Sandbox

TOKEN_BYTES = 32
"""Randomness of the MCP token serve makes when none is given (bytes; kept in TOKEN_FILE, printed at start)."""
TOKEN_FILE = Path(".naftiko") / "serve-token"
"""Where the local MCP token is kept between runs (relative to the working directory), so a client
configured once keeps working after a restart; delete it for a new token."""
WORKERS = 16
"""Concurrent Lambda 'instances' (threads, each with its own event loop)."""


def _needs_sandbox(environ: Mapping[str, str], keys: set[str]) -> bool:
    return not any(environ.get(k) for k in keys)


class TokenFileError(Exception):
    """The token file cannot be used as it is (the message says why and what to do)."""


def kept_token(path: Path) -> str:
    """The token kept at ``path``, made (owner-only) on first use.

    The file must be a regular file of ours that only we can read, holding a long enough token;
    anything else is refused (never followed through a symlink, never widened or trusted)."""
    fix = f"delete {path} for a new token"
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        descriptor = None
    except OSError as exc:
        raise TokenFileError(f"{path}: cannot be read ({exc.strerror}): {fix}") from None
    if descriptor is not None:
        with os.fdopen(descriptor, "rb") as found:
            info = os.fstat(found.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_mode & 0o077 or info.st_uid != os.getuid():
                raise TokenFileError(f"{path}: not a file only you can read: {fix}")
            token = found.read(4096).decode("ascii", errors="replace").strip()
        if len(token) < MIN_TOKEN_CHARS or not token.isascii() or not token.isprintable():
            raise TokenFileError(f"{path}: not a token of {MIN_TOKEN_CHARS}+ characters: {fix}")
        return token
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    with os.fdopen(os.open(path, flags, 0o600), "w") as out:
        out.write(token + "\n")
    return token


def prepare_environ(
    capabilities_dir: Path,
    base_url: str,
    environ: Mapping[str, str],
    *,
    sandbox: bool | None,
    token: str | None = None,
) -> tuple[dict[str, str], bool]:
    """The environment the handlers see; with the sandbox, its base URIs and placeholder keys.

    The MCP token is ``token`` when given, else the environment's MCP_BEARER_TOKENS, else a
    fresh random one (serve passes the one kept in TOKEN_FILE)."""
    capabilities = load_capabilities(capabilities_dir)
    keys = {k for c in capabilities for k in c.variables}
    use_sandbox = _needs_sandbox(environ, keys) if sandbox is None else sandbox
    env = dict(environ)
    env["CAPABILITIES_DIR"] = str(capabilities_dir)
    if token:
        env["MCP_BEARER_TOKENS"] = token
    elif not env.get("MCP_BEARER_TOKENS"):
        env["MCP_BEARER_TOKENS"] = secrets.token_urlsafe(TOKEN_BYTES)
    if not env.get("IDEMPOTENCY_TABLE"):
        env.setdefault("IDEMPOTENCY_STORE", "memory")  # keys honoured while the process lives
    if use_sandbox:
        for key in keys:
            env[key] = SANDBOX_TOKEN
        for capability in capabilities:
            for namespace in capability.consumes:
                env[base_uri_variable(namespace)] = f"{base_url}/_sandbox/{namespace}"
    return env, use_sandbox


class LocalGateway:
    """ASGI app: the local stand-in for API Gateway + the function URL + (maybe) the upstreams."""

    def __init__(
        self,
        capabilities_dir: Path,
        environ: Mapping[str, str],
        sandbox: Sandbox | None,
        *,
        remote: bool = False,
        ceiling_s: float = DEFAULT_CEILING_S,
    ) -> None:
        from ..exposes.lambda_entry import wrap
        from ..exposes.mcp.handler import build_mcp_app
        from ..exposes.rest.handler import create_handler as create_rest

        settings = Settings.from_environ(environ)
        self.capabilities = {c.name: c for c in load_capabilities(capabilities_dir)}
        self.rest = {
            name: create_rest(
                Settings.from_environ({**environ, "CAPABILITY_FILE": str(Path(c.source).resolve())}),
                ceiling_s=ceiling_s,
            )
            for name, c in self.capabilities.items()
        }
        from mcp.server.transport_security import TransportSecuritySettings

        # guard.py checks Host and Origin for every route; the SDK's own check agrees on loopback.
        security = TransportSecuritySettings(
            enable_dns_rebinding_protection=not remote,
            allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*"],
            allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"],
        )
        # A developer's own MCP_BEARER_TOKENS may be short here (a warning says so); the default is random.
        self.mcp = wrap(build_mcp_app(settings, security_settings=security, min_token_chars=1), ceiling_s=ceiling_s)
        self.remote = remote
        self.sandbox = sandbox
        self._loops: list[asyncio.AbstractEventLoop] = []  # one per worker "Lambda instance"
        self.executor = ThreadPoolExecutor(WORKERS, initializer=self._new_loop)

    def _new_loop(self) -> None:
        loop = asyncio.new_event_loop()
        self._loops.append(loop)
        asyncio.set_event_loop(loop)

    def close(self) -> None:
        """Stop the worker threads and close their event loops."""
        self.executor.shutdown(wait=True)
        for loop in self._loops:
            loop.close()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            message = await receive()
            while message["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
                message = await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path, method = scope["path"], scope["method"]
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        refused = refusal(method, {k.lower(): v for k, v in headers}, body, remote=self.remote)
        if refused is not None:
            status, reason = refused
            problem = {"type": "about:blank", "title": "Refused by serve", "status": status, "detail": reason}
            await _send(send, status, [("content-type", "application/problem+json")], json.dumps(problem).encode())
            return
        first = path.lstrip("/").split("/", 1)[0]
        if first == "_sandbox" and self.sandbox is not None:
            await self._sandbox(send, method, path, scope["query_string"], dict(headers), body)
            return
        if path in ("", "/") and method in ("GET", "HEAD"):
            await self._index(send, dict((k.lower(), v) for k, v in headers))
            return
        if first in self.rest and path.rstrip("/") == f"/{first}":
            location = f"/{first}/docs" if self.capabilities[first].rest_operations else "/"
            await _send(send, 307, [("location", location)], b"")
            return
        # OAuth discovery (RFC 9728) lives beside the MCP endpoint, as the function URL serves it.
        if first in ("mcp", ".well-known") or path in ("", "/"):
            event = function_url_event(method, path, scope["query_string"], headers, body)
            handler = self.mcp
        elif first in self.rest:
            event = rest_event(method, path, scope["query_string"], headers, body)
            handler = self.rest[first]
        else:
            await _send(
                send,
                404,
                [("content-type", "application/problem+json")],
                json.dumps(
                    {
                        "title": "Not found",
                        "status": 404,
                        "detail": f"no capability {first!r}: try one of {sorted(self.rest)} or /mcp (the list: /)",
                    }
                ).encode(),
            )
            return
        result = await asyncio.get_running_loop().run_in_executor(self.executor, handler, event, None)
        status, out_headers, out_body = lambda_response(result)
        await _send(send, status, out_headers, out_body)

    async def _index(self, send: Any, headers: dict[str, str]) -> None:
        from .index_page import index, render_html, wants_html

        value = index(
            self.capabilities.values(), f"http://{headers.get('host', '127.0.0.1')}", sandbox=bool(self.sandbox)
        )
        if wants_html(headers):
            await _send(send, 200, [("content-type", "text/html; charset=utf-8")], render_html(value).encode())
        else:
            await _send(send, 200, [("content-type", "application/json")], json.dumps(value, indent=2).encode())

    async def _sandbox(
        self, send: Any, method: str, path: str, query: bytes, headers: dict[str, str], body: bytes
    ) -> None:
        assert self.sandbox is not None
        if path.rstrip("/") == "/_sandbox/requests":
            data = json.dumps(list(self.sandbox.received)).encode()
            await _send(send, 200, [("content-type", "application/json")], data)
            return
        _, _, rest = path.partition("/_sandbox/")
        namespace, _, upstream_path = rest.partition("/")
        status, answer = self.sandbox.answer(
            namespace, method, "/" + upstream_path, query.decode("latin-1"), headers, body
        )
        await _send(send, status, [("content-type", "application/json")], json.dumps(answer).encode())


async def _send(send: Any, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    if not any(k == b"content-length" for k, _ in raw):  # a HEAD answer keeps its GET's length
        raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def serve(
    capabilities_dir: Path,
    host: str,
    port: int,
    sandbox: bool | None,
    *,
    allow_remote: bool = False,
    ceiling_s: float = DEFAULT_CEILING_S,
    token: str | None = None,
    token_file: Path = TOKEN_FILE,
) -> int:
    """Run the gateway until interrupted; 2 (with a message) when it must not start."""
    if not is_loopback(host) and not allow_remote:
        print(
            f"serve: refusing to listen on {host}: anyone who can reach it could call the upstreams with your keys. "
            "Use --allow-remote to do it anyway (the MCP endpoint then needs the printed token).",
            file=sys.stderr,
        )
        return 2
    try:
        import uvicorn
    except ImportError:
        print("serve needs uvicorn: pip install 'naftiko-lambda[serve]'", file=sys.stderr)
        return 2
    try:  # before the banner: a second serve on the same port must not look as if it started
        listener = _listen(host, port)
    except OSError as exc:
        print(
            f"serve: cannot listen on {host}:{port}: {exc.strerror or exc} (another serve? try --port)", file=sys.stderr
        )
        return 2
    base_url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"  # noqa: S104 - a name, not a bind
    user_token = bool(token or os.environ.get("MCP_BEARER_TOKENS"))
    if not user_token:
        try:
            token = kept_token(token_file)
        except TokenFileError as exc:
            listener.close()
            print(f"serve: {exc}", file=sys.stderr)
            return 2
    environ, use_sandbox = prepare_environ(capabilities_dir, base_url, os.environ, sandbox=sandbox, token=token)
    gateway = LocalGateway(
        capabilities_dir,
        environ,
        Sandbox(load_capabilities(capabilities_dir)) if use_sandbox else None,
        remote=allow_remote,
        ceiling_s=ceiling_s,
    )
    banner(gateway, base_url, environ, use_sandbox, None if user_token else token_file)
    if allow_remote:
        print(
            f"  WARNING: listening on {host} with --allow-remote: other machines can reach this server.",
            file=sys.stderr,
        )
    if user_token and any(len(t.strip()) < MIN_TOKEN_CHARS for t in environ["MCP_BEARER_TOKENS"].split(",")):
        print(f"  WARNING: an MCP_BEARER_TOKENS token is shorter than {MIN_TOKEN_CHARS} characters.", file=sys.stderr)
    try:
        config = uvicorn.Config(gateway, host=host, port=port, log_level="warning", lifespan="on")
        uvicorn.Server(config).run(sockets=[listener])
    finally:
        gateway.close()
        listener.close()
    return 0


def _listen(host: str, port: int) -> socket.socket:
    """A bound, listening socket (as uvicorn would make it), so a busy port fails here."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
        listener.listen(2048)
    except OSError:
        listener.close()
        raise
    listener.set_inheritable(True)
    return listener


def banner(
    gateway: LocalGateway, base_url: str, environ: Mapping[str, str], use_sandbox: bool, token_file: Path | None = None
) -> None:
    out = sys.stderr
    line = "=" * 78
    print(line, file=out)
    if use_sandbox:
        print("  SANDBOX MODE: no upstream credentials found in the environment.", file=out)
        print("  Every upstream call goes to the built-in sandbox, NOT to the real APIs.", file=out)
        print(f"  What the sandbox received: {base_url}/_sandbox/requests", file=out)
        print("  Set the bind keys (e.g. M3TER_API_KEY, SUGER_API_KEY) to call the real APIs.", file=out)
    else:
        missing = {
            name: sorted(k for k in c.variables if not environ.get(k)) for name, c in gateway.capabilities.items()
        }
        unset = {name: keys for name, keys in missing.items() if keys}
        if len(unset) < len(missing):
            print("  LIVE MODE: calls go to the real APIs with the credentials in the environment.", file=out)
        else:
            print("  LIVE MODE (--live), but no upstream credentials are set: no call reaches an API;", file=out)
            print("  each answers 503 'credential not configured' until its bind keys are set.", file=out)
        for name, keys in unset.items():
            print(f"  {name}: {', '.join(keys)} not set (its calls answer 503)", file=out)
    print(line, file=out)
    for name, capability in gateway.capabilities.items():
        first = capability.rest_operations[0] if capability.rest_operations else None
        print(f"  REST {name}: {base_url}/{name}/docs  ({len(capability.rest_operations)} operations)", file=out)
        if first is not None:
            print(f"       e.g. {first.method} {base_url}/{name}{first.path}", file=out)
    token = (environ.get("MCP_BEARER_TOKENS") or "").split(",")[0]
    tools = sum(len(c.tools) for c in gateway.capabilities.values())
    print(f"  MCP  {base_url}/mcp  ({tools} tools; per capability: {base_url}/mcp/<capability>)", file=out)
    print(f"       Authorization: Bearer {token}", file=out)
    if token_file is not None:
        print(
            f"       (kept in {token_file}: the same after a restart; --token or MCP_BEARER_TOKENS to choose)", file=out
        )
    print(f"  Index: {base_url}/", file=out)
    print(line, file=out, flush=True)
