"""What each function may read from its environment, declared so `sam local --env-vars` can set it,
and the `events/env.local.json` file that lists it (pure, but for reading the folder)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ...capability.binds import is_reserved
from ...capability.load import load_capabilities
from ...capability.model import Capability
from ...settings import base_uri_variable
from .names import logical_id

ENV_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]+")
"""What Lambda accepts as an environment variable name."""
ENV_LIMIT_BYTES = 4096
"""Lambda's limit on a function's environment variables (names and values together)."""
LOCAL_MCP_TOKEN = "local-dev-token-change-me-0123456789abcdef"  # noqa: S105 - a sample, for sam local
"""The bearer token the MCP sample events carry (scripts/make_events.py); local runs only."""


def bind_keys(capability: Capability) -> list[str]:
    """The variables a capability may read from binds or the environment (capability/binds.py):
    the keys its secret holds."""
    return sorted(capability.variables)


def runtime_variables(capability: Capability) -> list[str]:
    """The environment variables a function serving ``capability`` may read for it, declared on
    the function so that `sam local --env-vars` can set them (SAM sets only declared ones): its
    bind keys and an upstream base URI override per consumes namespace. Empty means unset."""
    keys = {name for name in bind_keys(capability) if not is_reserved(name)}  # reserved: the secret only
    names = keys | {base_uri_variable(ns) for ns in capability.consumes}
    return sorted(name for name in names if ENV_NAME.fullmatch(name))


def declared(capability: Capability) -> dict[str, str]:
    return dict.fromkeys(runtime_variables(capability), "")


def environment_bytes(variables: dict[str, Any], template: dict[str, Any]) -> int:
    """About what Lambda counts: names and values (a resolved ARN or name is taken as 100 bytes)."""
    merged = {**template["Globals"]["Function"]["Environment"]["Variables"], **variables}
    return sum(len(k) + (len(v) if isinstance(v, str) else 100) for k, v in merged.items())


def render_env_file(capabilities_dir: Path) -> str:
    """events/env.local.json: a `sam local ... --env-vars` file naming, per function, every
    variable it reads (fill in the keys), and the sample events' MCP bearer token."""
    capabilities = load_capabilities(capabilities_dir)
    document: dict[str, dict[str, str]] = {}
    mcp: dict[str, str] = {"MCP_BEARER_TOKENS": LOCAL_MCP_TOKEN}
    for capability in capabilities:
        document[f"{logical_id(capability.name)}Function"] = declared(capability)
        mcp.update(declared(capability))
    document["McpFunction"] = {"MCP_BEARER_TOKENS": LOCAL_MCP_TOKEN, **dict(sorted(mcp.items()))}
    return json.dumps(document, indent=2, sort_keys=False) + "\n"
