"""naftiko-lambda: serve Naftiko capability specs as REST APIs and MCP tools on AWS Lambda.

The flow: spec/ (file -> model) -> exposes/ (HTTP request or tool call -> inputs) -> invoke.run
-> consumes/ (bind, request, auth, transport, response) -> Outcome -> back through the adapter.
"""

from __future__ import annotations

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
from .invoke import Upstreams, run
from .spec.load import load_capabilities, load_capability
from .spec.model import Capability, ExposedOperation

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
    "run",
]
