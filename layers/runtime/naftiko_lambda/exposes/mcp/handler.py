"""The MCP Lambda entry (function URL, payload 2.0): Mangum around McpHttpApp.

Serves every capability file in CAPABILITIES_DIR. Built once per cold start: with the folder's
compiled index (``naftiko-lambda compile``, run by ``sam build``) a cold start reads that index
only and loads each capability on first use; without it, every capability (catalog.py).
"""

from __future__ import annotations

from typing import Any

from ...settings import Settings
from ..lambda_entry import LambdaHandler, lazy_handler, wrap
from .catalog import Catalog
from .http import McpHttpApp
from .policy import ToolPolicy
from .security import MIN_TOKEN_CHARS, BearerTokens


def build_mcp_app(
    settings: Settings, *, security_settings: Any = None, min_token_chars: int = MIN_TOKEN_CHARS
) -> McpHttpApp:
    """The MCP app for CAPABILITIES_DIR with the deployment's bearer check (unless MCP_AUTH=none).

    ``min_token_chars`` is lowered only by `serve`, for a developer's own short local token.
    """
    catalog = Catalog.open(settings.capabilities_dir())
    tokens, oauth = None, None
    if settings.mcp_auth == "oauth2":
        from ..oauth import ResourceServer

        found = settings.mcp_oauth()
        oauth = ResourceServer(
            issuer=found.issuer,
            resource=found.resource,
            audiences=tuple(a for a in (found.audience, found.resource) if a),
            scopes=found.scopes,
            introspection=found.introspection,
            client_variables=found.client_variables,
            cognito=found.cognito,
        )
    elif settings.mcp_auth != "none":
        tokens = BearerTokens.from_setting(
            settings.mcp_bearer_tokens,
            settings.mcp_tokens_secret,
            min_chars=min_token_chars,
            read_only=settings.mcp_read_only_bearer_tokens,
        )
    if security_settings is None:
        from mcp.server.transport_security import TransportSecuritySettings

        # Behind a function URL the Host is <id>.lambda-url.<region>.on.aws; DNS rebinding is a
        # threat to servers on a user's own machine, not to a public HTTPS endpoint.
        security_settings = TransportSecuritySettings(enable_dns_rebinding_protection=False)
    return McpHttpApp(
        catalog,
        settings.runtime,
        tokens=tokens,
        oauth=oauth,
        variable=settings.variable,
        security_settings=security_settings,
        policy=ToolPolicy.from_settings(*settings.mcp_tool_filter()),
        tool_mode=settings.mcp_tool_mode,
        write_scope=settings.mcp_write_scope if settings.mcp_auth == "oauth2" else None,
    )


def create_handler(settings: Settings) -> LambdaHandler:
    return wrap(build_mcp_app(settings), tracing=settings.tracing)


handler = lazy_handler(create_handler)
"""The Lambda entry: built on the first invocation, reused while the instance is warm."""
