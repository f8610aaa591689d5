"""The stateless Streamable HTTP endpoint as a small ASGI app around the SDK's session manager.

Routes: ``/`` and ``/mcp`` serve every capability; ``/mcp/{capability}`` one capability (the
union of its ``mcp`` blocks); ``/mcp/{capability}/{namespace}`` one block (tools.py). Only POST
reaches the SDK: in stateless mode a GET would open an event stream that never ends (a buffered
Lambda would run to its timeout), so GET and DELETE get 405. Mangum runs the ASGI lifespan on
every invocation and the manager's ``run()`` is single-use, so a fresh stateless manager is
entered per request (~1 ms); see ../shared/NOTES.md.

Auth: the deployment's check (static bearer tokens, security.py, or an OAuth resource server,
MCP_AUTH=oauth2, ../oauth.py), and each served block's own ``authentication``; a request carrying
a block's declared bearer token, or an access token a block's oauth2 accepts, passes both. RFC 9728
metadata is served at ``/.well-known/oauth-protected-resource`` followed by the endpoint's path.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from ... import deadline
from ...addresses import is_loopback
from ...deadline import Deadline
from ...errors import CredentialError, Unauthorized
from ...observability import current_request_id, logger
from ...runner.callers import caller_identity, current_caller
from ..inbound import challenge, is_authorized
from . import workers
from .catalog import Catalog, aggregate_endpoint
from .policy import ToolPolicy
from .results import INTERNAL_ERROR, UNAUTHORIZED, rejection, rpc_error
from .security import BearerTokens
from .tools import Endpoint, endpoint_for

if TYPE_CHECKING:  # OAuth, the model and the runner load when a request needs them
    from ...capability.model import Capability
    from ...runner.runtime import Runtime
    from ..oauth import ResourceServer, Validator

Scope = dict[str, Any]
REALM = "naftiko-mcp"


async def _reply(send: Any, status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> None:
    data = json.dumps(body).encode()
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": data})


class McpHttpApp:
    """ASGI app: routing, method and auth rules, then the SDK for the protocol itself."""

    def __init__(
        self,
        catalog: Catalog,
        runtime: Callable[[], Runtime],
        *,
        tokens: BearerTokens | None,
        oauth: ResourceServer | None = None,
        variable: Callable[[str], str | None] = lambda name: None,
        security_settings: Any = None,
        policy: ToolPolicy | None = None,
        tool_mode: str = "list",
        write_scope: str | None = None,
    ) -> None:
        self.catalog = catalog  # the capabilities served, loaded on first use (catalog.py)
        self._make_runtime = runtime  # made on first use: a tools/list needs none of it (cold start)
        self._runtime: Runtime | None = None
        self.tokens = tokens  # static bearer tokens; None with MCP_AUTH=oauth2 or MCP_AUTH=none
        self.oauth = oauth  # the deployment's resource server (MCP_AUTH=oauth2)
        self.variable = variable  # its introspection client credentials, when it introspects (settings)
        self._validators: dict[ResourceServer, Validator] = {}  # their caches live while warm
        self.security_settings = security_settings
        self.policy = policy or ToolPolicy()  # the deployment's hard deny (policy.py)
        self.tool_mode = tool_mode  # list | search (on /mcp) | search-all (every endpoint)
        self.write_scope = write_scope  # MCP_AUTH=oauth2: the scope a token needs for tools that write
        # Endpoint tables and servers are built on first use, then kept for the warm process: one
        # per endpoint and kind of caller (every tool the policy allows, or its readOnly ones).
        self.endpoint_for: Callable[[str | None, str | None, bool], Endpoint | None] = cache(self._endpoint)
        self.server_for: Callable[[str | None, str | None, bool], Any] = cache(self._build_server)

    def _endpoint(self, capability: str | None, namespace: str | None, read_only: bool = False) -> Endpoint | None:
        policy = self.policy.for_caller(read_only)
        if capability is None:
            return aggregate_endpoint(self.catalog, policy, search=self.tool_mode != "list")
        found = self.catalog.capability(capability)
        return endpoint_for(found, namespace, policy, search=self.tool_mode == "search-all")

    def _build_server(self, capability: str | None, namespace: str | None, read_only: bool = False) -> Any:
        from .server import build_server

        endpoint = self.endpoint_for(capability, namespace, read_only)
        assert endpoint is not None
        return build_server(endpoint, lambda: self.runtime)

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            self._runtime = self._make_runtime()
        return self._runtime

    def route(self, path: str) -> tuple[str | None, str | None] | None:
        """``/mcp/a/b`` -> ("a", "b"); ``/mcp`` -> (None, None); None when no endpoint is there."""
        path = path.rstrip("/") or "/"
        if path in ("/", "/mcp"):
            return None, None
        parts = path.split("/")
        if len(parts) not in (3, 4) or parts[1] != "mcp" or parts[2] not in self.catalog:
            return None  # checked before any cache sees it: unknown paths must not grow the caches
        namespace = parts[3] if len(parts) == 4 else None
        if namespace is not None and namespace not in {b.namespace for b in self.catalog.capability(parts[2]).mcp}:
            return None  # the capability is loaded: its endpoint is about to need it
        return parts[2], namespace

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if scope["path"].startswith(METADATA_PATH):
            await self._metadata(scope, send)
            return
        target = self.route(scope["path"])
        if target is None:
            path = scope["path"]
            message = f"no MCP endpoint at {path}: use /mcp, /mcp/<capability> or /mcp/<capability>/<namespace>"
            await _reply(send, 404, rpc_error(-32600, message))
            return
        if scope["method"] != "POST":
            await _reply(send, 405, rpc_error(-32600, "use POST: this endpoint is stateless"), {"Allow": "POST"})
            return
        endpoint = self.endpoint_for(*target, False)
        assert endpoint is not None
        limit = deadline.current.get()
        try:  # on a worker thread when checking may fetch keys or a secret; else here (~0.2 ms less)
            if self._may_block(endpoint):
                denied, caller, read_only = await workers.run_sync(self._denied, endpoint, scope, limit)
            else:
                denied, caller, read_only = self._denied(endpoint, scope, limit)
        except (CredentialError, Unauthorized) as exc:
            if isinstance(exc, CredentialError):  # fail closed, and say why in the log (never a token)
                extra = {"reason": str(exc), "correlation_id": current_request_id.get()}
                logger().error("MCP credentials unusable", extra=extra)
            status, body, headers = rejection(exc, _base(scope) + METADATA_PATH + _endpoint_path(target))
            await _reply(send, status, body, headers)
            return
        except Exception:  # a fault of ours: JSON-RPC with a correlation id, the story in the log
            correlation = current_request_id.get()
            logger().exception("unexpected error checking credentials", extra={"correlation_id": correlation})
            await _reply(send, 500, rpc_error(INTERNAL_ERROR, f"internal error (correlation id {correlation})"))
            return
        if denied is not None:
            # A client that sent a token must hear that it is wrong, not be sent looking for a login.
            sent = any(k.lower() == b"authorization" and v[:7].lower() == b"bearer " for k, v in scope["headers"])
            if sent and denied.startswith("Bearer"):
                denied += ', error="invalid_token", error_description="the bearer token is wrong"'
            message = "the bearer token is wrong" if sent else "credentials are required"
            await _reply(send, 401, rpc_error(UNAUTHORIZED, message), {"WWW-Authenticate": denied})
            return
        from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

        manager = StreamableHTTPSessionManager(
            app=self.server_for(*target, read_only),
            stateless=True,
            json_response=True,
            security_settings=self.security_settings,
        )
        current_caller.set(caller)  # whose idempotency keys this request's tool calls use
        async with manager.run():
            await manager.handle_request(scope, receive, send)

    def _may_block(self, endpoint: Endpoint) -> bool:
        """Whether _denied may wait on I/O: a block's credentials, an authorization server, or a
        token secret. Static tokens (MCP_BEARER_TOKENS) and MCP_AUTH=none are checked in memory."""
        return bool(endpoint.auths) or self.oauth is not None or (self.tokens is not None and not self.tokens.static)

    def _denied(self, endpoint: Endpoint, scope: Scope, limit: Deadline | None = None) -> tuple[str | None, str, bool]:
        """(None when the request may pass, else the WWW-Authenticate challenge to answer with;
        who the caller is: the OAuth subject or the bearer token, hashed, for idempotency keys;
        whether the caller may use readOnly tools only: a token without MCP_OAUTH_WRITE_SCOPE, or
        a read-only bearer token).

        Raises Unauthorized for a missing or refused OAuth access token, and CredentialError when
        a token store, a block's bound credential or an authorization server cannot be read.
        """
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        authorization = headers.get("authorization")
        spec_token = False  # a block's own bearer token or access token also stands for the deployment's
        subject: str | None = None
        for auth, capability in endpoint.auths:
            if auth.type == "oauth2":
                from ..oauth import ResourceServer

                claims = self._validator(ResourceServer.from_auth(auth), capability).check(authorization, limit)
                subject = f"{claims.get('iss')}|{claims.get('sub') or claims.get('client_id')}"
                spec_token = True
                continue

            from ...capability.model import Plan
            from ...runner.scope import make_scope

            credentials = self.runtime.credentials_for(capability)
            if not is_authorized(auth, headers, query, make_scope(capability, Plan(), {}, credentials)):
                return challenge(auth, REALM), "", False
            # A token the file itself spells out is no secret of the operator's: it opens nothing more.
            declared = auth.fields.get("token")
            spec_token = spec_token or (auth.type == "bearer" and declared is not None and bool(declared.variables))
        if spec_token:
            return None, caller_identity(subject), False
        if self.oauth is not None:
            from ..oauth.validator import scopes_of

            claims = self._validator(self.oauth, None).check(authorization, limit)
            read_only = self.write_scope is not None and self.write_scope not in scopes_of(claims)
            subject = f"{claims.get('iss')}|{claims.get('sub') or claims.get('client_id')}"
            return None, caller_identity(subject), read_only
        if self.tokens is not None:
            access = self.tokens.access(authorization)
            if access is None:
                return f'Bearer realm="{REALM}"', "", False
            _, _, token = (authorization or "").partition(" ")
            return None, caller_identity(token.strip()), access == "read"  # each accepted token is its own caller
        return None, "", False

    def _validator(self, server: ResourceServer, capability: Capability | None) -> Validator:
        from ..oauth import Validator

        found = self._validators.get(server)
        if found is None:
            if capability is not None:
                source = self.runtime.credentials_for(capability)

                def read(key: str) -> str:
                    return str(source.get(key).reveal())
            else:
                variable = self.variable

                def read(key: str) -> str:
                    value = variable(key)
                    if not value:
                        raise CredentialError(key, "not configured: set the environment variable")
                    return value

            found = self._validators.setdefault(server, Validator(server, self.runtime.transport, read))
        return found

    def resource_server(self, target: tuple[str | None, str | None]) -> ResourceServer | None:
        """The resource server that guards an endpoint: a block's oauth2, else the deployment's."""
        endpoint = self.endpoint_for(*target, False)
        for auth, _ in endpoint.auths if endpoint else ():
            if auth.type == "oauth2":
                from ..oauth import ResourceServer

                return ResourceServer.from_auth(auth)
        return self.oauth

    async def _metadata(self, scope: Scope, send: Any) -> None:
        """RFC 9728: ``/.well-known/oauth-protected-resource[/mcp[/{capability}[/{namespace}]]]``."""
        suffix = scope["path"][len(METADATA_PATH) :] or "/"
        target = self.route(suffix)
        server = self.resource_server(target) if target is not None and scope["method"] == "GET" else None
        if target is None or server is None:
            await _reply(send, 404, {"error": "no OAuth-protected MCP endpoint here"})
            return
        from ..oauth import protected_resource_metadata

        document = protected_resource_metadata(server, _base(scope) + _endpoint_path(target))
        await _reply(send, 200, document, {"Cache-Control": "max-age=3600"})


METADATA_PATH = "/.well-known/oauth-protected-resource"


def _endpoint_path(target: tuple[str | None, str | None]) -> str:
    capability, namespace = target
    return "/mcp" + (f"/{capability}" if capability else "") + (f"/{namespace}" if namespace else "")


def _base(scope: Scope) -> str:
    """``https://<host>`` as the caller sees this server (http:// only for a loopback host)."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    host = headers.get("host", "localhost")
    loopback = is_loopback(urlsplit(f"//{host}").hostname or "")
    scheme = headers.get("x-forwarded-proto") or ("http" if loopback else "https")
    return f"{scheme}://{host}"
