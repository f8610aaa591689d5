"""Deployment settings: every environment variable the runtime reads is named here, and read here.

Only the Lambda entries and the CLI make Settings (``Settings.from_environ``); everything else is
handed values. The variables:

    CAPABILITY_FILE                 the spec a REST function serves (path, absolute or relative)
    CAPABILITIES_DIR                the folder of specs the MCP function serves
    LAMBDA_TASK_ROOT                what a relative CAPABILITY_FILE / CAPABILITIES_DIR is relative to
    REST_API_KEY_REQUIRED           "true": the API Gateway in front of a REST function demands an x-api-key
                                    (usage plan), so its OpenAPI document declares that key on every operation
    CAPABILITY_SECRET_<NAME>        Secrets Manager id of capability <NAME>'s bind keys
    UPSTREAM_BASE_URI_<NAMESPACE>   replaces a consumes namespace's baseUri (local runs, tests)
    MCP_AUTH                        "bearer" (default), "oauth2" or "none": the MCP endpoint's inbound check
    MCP_BEARER_TOKENS / MCP_TOKENS_SECRET   accepted MCP bearer tokens (comma list / secret id)
    MCP_READ_ONLY_BEARER_TOKENS     accepted MCP bearer tokens that call readOnly tools only (comma list)
    MCP_OAUTH_ISSUER, _AUDIENCE, _SCOPES, _RESOURCE, _VALIDATION, _COGNITO, _CLIENT_ID, _CLIENT_SECRET
                                    MCP_AUTH=oauth2: the authorization server and what a token must be
    MCP_OAUTH_WRITE_SCOPE           MCP_AUTH=oauth2: the scope a token needs for tools that are not readOnly
    MCP_TOOL_MODE                   "list" (default), "search" (/mcp lists search_tools and call_tool) or
                                    "search-all" (every MCP endpoint does)
    MCP_TOOLS_INCLUDE / _EXCLUDE    globs over <capability>__<tool> (or tag:<tag>): the tools served
    MCP_READ_ONLY                   "true": only tools whose hints say readOnly are served
    IDEMPOTENCY_TABLE / _STORE / _WINDOW_S   where idempotency keys are kept, and for how long
    AWS_SAM_LOCAL                   "true" under `sam local`: a secret id that is a logical id is unset
    AWS_LAMBDA_FUNCTION_NAME, POWERTOOLS_TRACE_DISABLED   whether X-Ray subsegments are made

A capability's bind variables are read by its credential source (credentials.py), only the ones
capability/binds.py allows; every name above is reserved (capability/binds.py ``is_reserved``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from .runner.seams import LazyTransport, Upstreams

if TYPE_CHECKING:  # the model, the credentials and the runner load when a call needs them
    from .capability.model import Capability
    from .credentials import CredentialSource
    from .runner.idempotency import Guard
    from .runner.runtime import Runtime

CAPABILITY_SECRET_PREFIX = "CAPABILITY_SECRET_"  # noqa: S105 - a variable name, not a secret
BASE_URI_PREFIX = "UPSTREAM_BASE_URI_"
MCP_OAUTH_CLIENT = ("MCP_OAUTH_CLIENT_ID", "MCP_OAUTH_CLIENT_SECRET")
"""The MCP function's own client credentials, when MCP_AUTH=oauth2 introspects tokens."""
SAM_LOCAL_TABLE = "IdempotencyTable"
"""What IDEMPOTENCY_TABLE holds under `sam local`: the table's logical id, not a table."""


def env_suffix(name: str) -> str:
    """``m3ter-billjob`` -> ``M3TER_BILLJOB``: how a name appears in an environment variable."""
    return re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def secret_variable(capability: str) -> str:
    """``m3ter-billjob`` -> ``CAPABILITY_SECRET_M3TER_BILLJOB``: the variable holding its secret's id."""
    return CAPABILITY_SECRET_PREFIX + env_suffix(capability)


def base_uri_variable(namespace: str) -> str:
    """``m3ter-billjob`` -> ``UPSTREAM_BASE_URI_M3TER_BILLJOB``: the variable overriding its baseUri."""
    return BASE_URI_PREFIX + env_suffix(namespace)


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true")


@dataclass(frozen=True, slots=True)
class OAuthSettings:
    """MCP_AUTH=oauth2: the deployment's authorization server and what it asks of a token."""

    issuer: str
    audience: str | None
    resource: str | None
    scopes: tuple[str, ...]
    introspection: bool
    cognito: bool
    client_variables: tuple[str, str] = MCP_OAUTH_CLIENT


@dataclass(frozen=True)
class Settings:
    environ: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    _transport: LazyTransport = field(default_factory=LazyTransport, compare=False, repr=False)  # one per process

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        return cls(MappingProxyType(dict(environ)))

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.environ.get(key, default)

    # -- what a function serves ----------------------------------------------------------
    def capability_file(self) -> Path:
        """CAPABILITY_FILE, relative to the function's folder. Raises RuntimeError when unset."""
        name = self.environ.get("CAPABILITY_FILE")
        if not name:
            raise RuntimeError("CAPABILITY_FILE is not set: it names the capability spec this function serves")
        return self._in_task_root(Path(name))

    def capabilities_dir(self) -> Path:
        """CAPABILITIES_DIR (default ``capabilities``), relative to the function's folder."""
        return self._in_task_root(Path(self.environ.get("CAPABILITIES_DIR") or "capabilities"))

    def _in_task_root(self, path: Path) -> Path:
        """A relative path is in the function's folder (LAMBDA_TASK_ROOT), else the working one."""
        return path if path.is_absolute() else Path(self.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()) / path

    @property
    def rest_api_key_required(self) -> bool:
        """REST_API_KEY_REQUIRED: ``true`` (or ``1``, any case) when API Gateway demands the usage
        plan's ``x-api-key``. The function does not check the key (API Gateway does); it declares it."""
        return _true(self.environ.get("REST_API_KEY_REQUIRED"))

    @property
    def tracing(self) -> bool:
        """X-Ray subsegments only inside Lambda with tracing active (Powertools' own rule)."""
        in_lambda = bool(self.environ.get("AWS_LAMBDA_FUNCTION_NAME"))
        return in_lambda and self.environ.get("POWERTOOLS_TRACE_DISABLED", "").lower() not in ("1", "true")

    @property
    def sam_local(self) -> bool:
        return self.environ.get("AWS_SAM_LOCAL", "").lower() == "true"

    # -- the runner ----------------------------------------------------------------------
    def credentials(self, capability: Capability) -> CredentialSource:
        from .credentials import CredentialSource

        secret_id = self.environ.get(secret_variable(capability.name)) or None
        return CredentialSource(
            self.environ,
            secret_id,
            capability.binds,
            capability.variables,
            sam_local=self.sam_local,
            transport=self._transport,
        )

    def upstreams(self) -> Upstreams:
        """Base URI overrides, read by name when a namespace is first called (never listed)."""
        environ = self.environ

        def lookup(namespace: str) -> str | None:
            return environ.get(base_uri_variable(namespace)) or None

        return Upstreams(lookup=lookup)

    def runtime(self) -> Runtime:
        """The transport, upstream overrides, credentials and idempotency guard of the entries.

        Credentials are made per capability on its first call (the MCP function loads
        capabilities lazily), base URI overrides looked up per namespace when a call needs one.
        """
        from .runner.runtime import Runtime

        return Runtime(self._transport, self.upstreams(), self.credentials, self.idempotency)

    def idempotency(self) -> Guard:
        """IDEMPOTENCY_TABLE (DynamoDB), or IDEMPOTENCY_STORE=memory (`serve`); IDEMPOTENCY_WINDOW_S.

        With neither, a request that carries a key is answered 503 rather than run unguarded. Under
        ``sam local`` the table's Ref is its logical id, not a table: keys are kept in memory (for
        as long as the container lives: ``--warm-containers LAZY``).
        """
        from .runner.idempotency import WINDOW_S, Guard

        window = self.environ.get("IDEMPOTENCY_WINDOW_S", "")
        table = self.environ.get("IDEMPOTENCY_TABLE") or None
        return Guard(
            table=table,
            memory=self.environ.get("IDEMPOTENCY_STORE") == "memory" or (self.sam_local and table == SAM_LOCAL_TABLE),
            window_s=int(window) if window.isdigit() else WINDOW_S,
        )

    # -- the MCP endpoint's inbound check --------------------------------------------------
    @property
    def mcp_auth(self) -> str:
        """MCP_AUTH: ``bearer`` (default), ``oauth2`` or ``none``."""
        return (self.environ.get("MCP_AUTH") or "bearer").lower()

    @property
    def mcp_bearer_tokens(self) -> str | None:
        """MCP_BEARER_TOKENS: accepted tokens, comma-separated (a local override of the secret)."""
        return self.environ.get("MCP_BEARER_TOKENS")

    @property
    def mcp_tokens_secret(self) -> str | None:
        """MCP_TOKENS_SECRET: the Secrets Manager id of the accepted tokens. Under ``sam local``
        a value that is not an ARN is the template's logical id, not a secret: unset, as for a
        capability's secret, so the function never asks the real Secrets Manager for it."""
        found = self.environ.get("MCP_TOKENS_SECRET") or None
        if found and self.sam_local and not found.startswith("arn:"):
            return None
        return found

    def mcp_oauth(self) -> OAuthSettings:
        """MCP_AUTH=oauth2: MCP_OAUTH_ISSUER, MCP_OAUTH_AUDIENCE, MCP_OAUTH_SCOPES (comma list),
        MCP_OAUTH_RESOURCE, MCP_OAUTH_VALIDATION (jwks | introspection), MCP_OAUTH_COGNITO (true:
        the issuer is Amazon Cognito, as an issuer on a Cognito host is anyway)."""
        environ = self.environ
        return OAuthSettings(
            issuer=environ.get("MCP_OAUTH_ISSUER", "").rstrip("/"),
            audience=environ.get("MCP_OAUTH_AUDIENCE") or None,
            resource=environ.get("MCP_OAUTH_RESOURCE") or None,
            scopes=tuple(s.strip() for s in environ.get("MCP_OAUTH_SCOPES", "").split(",") if s.strip()),
            introspection=environ.get("MCP_OAUTH_VALIDATION", "jwks") == "introspection",
            cognito=_true(environ.get("MCP_OAUTH_COGNITO")),
        )

    @property
    def mcp_read_only_bearer_tokens(self) -> str | None:
        """MCP_READ_ONLY_BEARER_TOKENS: tokens of callers allowed readOnly tools only (comma list)."""
        return self.environ.get("MCP_READ_ONLY_BEARER_TOKENS")

    @property
    def mcp_write_scope(self) -> str | None:
        """MCP_OAUTH_WRITE_SCOPE: the scope an access token needs to see and call tools that are not readOnly."""
        return (self.environ.get("MCP_OAUTH_WRITE_SCOPE") or "").strip() or None

    @property
    def mcp_tool_mode(self) -> str:
        """MCP_TOOL_MODE: ``list`` (default), ``search`` or ``search-all``.

        Raises:
            ValueError: another value (the function must not start serving something else).
        """
        mode = (self.environ.get("MCP_TOOL_MODE") or "list").strip().lower()
        if mode not in ("list", "search", "search-all"):
            raise ValueError(f"MCP_TOOL_MODE must be list, search or search-all, not {mode!r}")
        return mode

    def mcp_tool_filter(self) -> tuple[str | None, str | None, bool]:
        """MCP_TOOLS_INCLUDE, MCP_TOOLS_EXCLUDE (comma-separated globs) and MCP_READ_ONLY (true:
        readOnly tools only): what exposes/mcp/policy.py's ToolPolicy is made of."""
        environ = self.environ
        return environ.get("MCP_TOOLS_INCLUDE"), environ.get("MCP_TOOLS_EXCLUDE"), _true(environ.get("MCP_READ_ONLY"))

    def variable(self, name: str) -> str | None:
        """One of the variables above, by name (the MCP introspection client's credentials)."""
        return self.environ.get(name) or None
