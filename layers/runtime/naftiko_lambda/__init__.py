"""naftiko-lambda: serve Naftiko capability specs as REST APIs and MCP tools on AWS Lambda.

The flow: capability/ (file -> model) -> exposes/ (HTTP request or tool call -> inputs) -> runner/ run
-> consumes/ (request, auth, transport, response) -> Outcome -> back through the adapter.

Public names are imported lazily (PEP 562) so that ``import naftiko_lambda.capability.load`` does not
pull in requests or the adapters: every module a cold start skips is time saved.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "Capability": ".capability.model",
    "ExposedOperation": ".capability.model",
    "load_capability": ".capability.load",
    "load_capabilities": ".capability.load",
    "CredentialSource": ".credentials",
    "Secret": ".credentials",
    "Upstreams": ".runner.seams",
    "run": ".runner.steps",
    "NaftikoError": ".errors",
    "SpecError": ".errors",
    "InvocationError": ".errors",
    "CredentialError": ".errors",
    "UpstreamError": ".errors",
    "UpstreamInvalidResponse": ".errors",
    "UpstreamTimeout": ".errors",
    "UpstreamTooLarge": ".errors",
    "UpstreamUnreachable": ".errors",
}

__all__ = [
    "Capability",
    "CredentialError",
    "CredentialSource",
    "ExposedOperation",
    "InvocationError",
    "NaftikoError",
    "Secret",
    "SpecError",
    "UpstreamError",
    "UpstreamInvalidResponse",
    "UpstreamTimeout",
    "UpstreamTooLarge",
    "UpstreamUnreachable",
    "Upstreams",
    "load_capabilities",
    "load_capability",
    "reset_caches",
    "run",
]

if TYPE_CHECKING:  # pragma: no cover
    from .capability.load import load_capabilities, load_capability
    from .capability.model import Capability, ExposedOperation
    from .credentials import CredentialSource, Secret
    from .errors import (
        CredentialError,
        InvocationError,
        NaftikoError,
        SpecError,
        UpstreamError,
        UpstreamInvalidResponse,
        UpstreamTimeout,
        UpstreamTooLarge,
        UpstreamUnreachable,
    )
    from .runner.seams import Upstreams
    from .runner.steps import run


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name], __name__), name)
    raise AttributeError(f"module 'naftiko_lambda' has no attribute {name!r}")


def reset_caches() -> None:
    """Drop every process-wide cache: the HTTP pool, secrets, minted tokens, pending metrics."""
    from .consumes import tokens
    from .consumes.transport import reset_pool
    from .credentials import reset_secret_cache
    from .observability import reset_observability

    reset_pool()
    reset_secret_cache()
    tokens.reset()
    reset_observability()
