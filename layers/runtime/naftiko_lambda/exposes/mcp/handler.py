"""The MCP Lambda entry (function URL, payload 2.0): Mangum around McpHttpApp.

Serves every capability file in CAPABILITIES_DIR. Built once per cold start: with the folder's
compiled index (``naftiko-lambda compile``, run by ``sam build``) a cold start reads that index
only and loads each capability on first use; without it, every capability (catalog.py).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ...settings import Settings
from ..lambda_entry import LambdaHandler, lazy_handler, wrap
from .catalog import Catalog
from .http import McpHttpApp
from .security import MIN_TOKEN_CHARS, BearerTokens


def build_mcp_app(
    settings: Settings, *, security_settings: Any = None, min_token_chars: int = MIN_TOKEN_CHARS
) -> McpHttpApp:
    """The MCP app for CAPABILITIES_DIR with the deployment's bearer check (unless MCP_AUTH=none).

    ``min_token_chars`` is lowered only by `serve`, for a developer's own short local token.
    """
    folder = Path(settings.get("CAPABILITIES_DIR") or "capabilities")
    if not folder.is_absolute():
        folder = Path(settings.get("LAMBDA_TASK_ROOT") or os.getcwd()) / folder
    catalog = Catalog.open(folder)
    mode = (settings.get("MCP_AUTH") or "bearer").lower()
    tokens, oauth = None, None
    if mode == "oauth2":
        oauth = settings.mcp_oauth()
    elif mode != "none":
        tokens = BearerTokens.from_setting(
            settings.get("MCP_BEARER_TOKENS"), settings.get("MCP_TOKENS_SECRET") or None, min_chars=min_token_chars
        )
    if security_settings is None:
        from mcp.server.transport_security import TransportSecuritySettings

        # Behind a function URL the Host is <id>.lambda-url.<region>.on.aws; DNS rebinding is a
        # threat to servers on a user's own machine, not to a public HTTPS endpoint.
        security_settings = TransportSecuritySettings(enable_dns_rebinding_protection=False)
    return McpHttpApp(
        catalog,
        settings.runtime(),
        tokens=tokens,
        oauth=oauth,
        environ=settings.environ,
        security_settings=security_settings,
    )


def create_handler(settings: Settings) -> LambdaHandler:
    return wrap(build_mcp_app(settings), tracing=settings.tracing)


handler = lazy_handler(create_handler)
"""The Lambda entry: built on the first invocation, reused while the instance is warm."""
