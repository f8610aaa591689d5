"""Deployment settings read from the environment once, by the Lambda entries and `serve`.

Library code takes a Settings value; only the entries call ``Settings.from_environ``.

    CAPABILITY_FILE                 the spec a REST function serves (path, absolute or relative)
    CAPABILITIES_DIR                the folder of specs the MCP function serves
    REST_API_KEY_REQUIRED           "true": the API Gateway in front of a REST function demands an x-api-key
                                    (usage plan), so its OpenAPI document declares that key on every operation
    CAPABILITY_SECRET_<NAME>        Secrets Manager id of capability <NAME>'s bind keys
    UPSTREAM_BASE_URI_<NAMESPACE>   replaces a consumes namespace's baseUri (local runs, tests)
    MCP_AUTH                        "bearer" (default), "oauth2" or "none": the MCP endpoint's inbound check
    IDEMPOTENCY_TABLE / _STORE / _WINDOW_S   where idempotency keys are kept, and for how long
    MCP_BEARER_TOKENS / MCP_TOKENS_SECRET   accepted MCP bearer tokens (comma list / secret id)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .capability.model import Capability
from .credentials import CredentialSource
from .exposes.idempotency import WINDOW_S, Guard
from .exposes.oauth.resource import ResourceServer, is_cognito
from .invoke import LazyTransport, Runtime, Upstreams


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true")


def env_suffix(name: str) -> str:
    """``m3ter-billjob`` -> ``M3TER_BILLJOB``: how a name appears in an environment variable."""
    return re.sub(r"[^A-Za-z0-9]", "_", name).upper()


@dataclass(frozen=True)
class Settings:
    environ: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    _transport: LazyTransport = field(default_factory=LazyTransport, compare=False, repr=False)  # one per process

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        return cls(MappingProxyType(dict(environ)))

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.environ.get(key, default)

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

    def credentials(self, capability: Capability) -> CredentialSource:
        secret_id = self.environ.get("CAPABILITY_SECRET_" + env_suffix(capability.name)) or None
        sam_local = self.environ.get("AWS_SAM_LOCAL", "").lower() == "true"
        return CredentialSource(
            self.environ,
            secret_id,
            capability.binds,
            capability.variables,
            sam_local=sam_local,
            transport=self._transport,
        )

    def upstreams(self) -> Upstreams:
        return Upstreams.from_environ(self.environ)

    def runtime(self, capabilities: tuple[Capability, ...] = ()) -> Runtime:
        """The transport, upstream overrides and credentials the entries hand to the adapters.

        Nothing here depends on ``capabilities`` any more: base URI overrides are looked up per
        namespace when a call needs one, and credentials per capability on its first call (the
        MCP function loads capabilities lazily). The argument is accepted for existing callers.
        """
        return Runtime(self._transport, self.upstreams(), self.credentials, self.idempotency())

    def mcp_oauth(self) -> ResourceServer:
        """MCP_AUTH=oauth2: MCP_OAUTH_ISSUER, MCP_OAUTH_AUDIENCE, MCP_OAUTH_SCOPES (comma list),
        MCP_OAUTH_RESOURCE, MCP_OAUTH_VALIDATION (jwks | introspection), MCP_OAUTH_COGNITO (true:
        the issuer is Amazon Cognito, as an issuer on a Cognito host is anyway)."""
        environ = self.environ
        issuer = environ.get("MCP_OAUTH_ISSUER", "").rstrip("/")
        audience = environ.get("MCP_OAUTH_AUDIENCE") or None
        resource = environ.get("MCP_OAUTH_RESOURCE") or None
        scopes = tuple(s.strip() for s in environ.get("MCP_OAUTH_SCOPES", "").split(",") if s.strip())
        return ResourceServer(
            issuer=issuer,
            resource=resource,
            audiences=tuple(a for a in (audience, resource) if a),
            scopes=scopes,
            introspection=environ.get("MCP_OAUTH_VALIDATION", "jwks") == "introspection",
            client_variables=("MCP_OAUTH_CLIENT_ID", "MCP_OAUTH_CLIENT_SECRET"),
            cognito=is_cognito(issuer) or _true(environ.get("MCP_OAUTH_COGNITO")),
        )

    def idempotency(self) -> Guard:
        """IDEMPOTENCY_TABLE (DynamoDB), or IDEMPOTENCY_STORE=memory (`serve`); IDEMPOTENCY_WINDOW_S.

        With neither, a request that carries a key is answered 503 rather than run unguarded. Under
        ``sam local`` the table's Ref is its logical id, not a table: keys are kept in memory (for
        as long as the container lives: ``--warm-containers LAZY``).
        """
        window = self.environ.get("IDEMPOTENCY_WINDOW_S", "")
        table = self.environ.get("IDEMPOTENCY_TABLE") or None
        sam_local = self.environ.get("AWS_SAM_LOCAL", "").lower() == "true"
        return Guard(
            table=table,
            memory=self.environ.get("IDEMPOTENCY_STORE") == "memory" or (sam_local and table == "IdempotencyTable"),
            window_s=int(window) if window.isdigit() else WINDOW_S,
        )
