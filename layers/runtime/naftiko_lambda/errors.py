"""Every exception naftiko-lambda raises, in one tree.

    NaftikoError
    ├── SpecError            file, field, line: a capability file is wrong or unsupported
    ├── Unauthorized         status, error, scope: the caller's access token is missing or not enough
    ├── InvocationError      operation, param: the caller's input is wrong
    ├── CredentialError      key (never the value): a bound secret is not available
    ├── IdempotencyError     status, retry_after: an idempotency key cannot be honoured now
    └── UpstreamError        operation, status, body, sent: the upstream answered with a failure
        ├── UpstreamInvalidResponse   the upstream answered 2xx with a body we cannot read
        ├── UpstreamTooLarge          the upstream body is over the response cap
        ├── UpstreamTimeout           no answer within the timeout
        └── UpstreamUnreachable       no connection, or the connection broke

The REST and MCP adapters each map this tree in one table. Messages name the file, field,
parameter or operation at fault and never carry a secret value.
"""

from __future__ import annotations

from typing import Any


class NaftikoError(Exception):
    """Root of every error raised by naftiko-lambda."""

    step: str | None = None
    """The orchestration step that failed, when the error comes from one."""


class SpecError(NaftikoError):
    """A capability file cannot be served as written."""

    def __init__(self, file: str, field: str, message: str, line: int | None = None) -> None:
        self.file = file
        self.field = field
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class Unauthorized(NaftikoError):
    """An OAuth access token is missing (401), invalid (401 ``invalid_token``) or lacks a scope
    (403 ``insufficient_scope``); the adapters answer with a ``WWW-Authenticate`` challenge."""

    def __init__(self, message: str, *, status: int = 401, error: str | None = None, scope: str | None = None) -> None:
        self.status = status
        self.error = error
        self.scope = scope
        self.message = message
        super().__init__(message)


class InvocationError(NaftikoError):
    """The caller's input does not fit the operation (a 400 / an isError tool result)."""

    def __init__(self, operation: str, param: str | None, message: str) -> None:
        self.operation = operation
        self.param = param
        self.message = message
        super().__init__(f"{operation}: {param}: {message}" if param else f"{operation}: {message}")


class CredentialError(NaftikoError):
    """A bind key has no value: not in the environment, not in the capability's secret."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        self.message = message
        super().__init__(f"credential {key}: {message}")


class IdempotencyError(NaftikoError):
    """The key cannot be honoured now: 400 (not a key), 409 (in progress), 422 (used for another
    request), 503 (no store): nothing was run."""

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        self.status = status
        self.retry_after = retry_after
        self.message = message
        super().__init__(message)


class UpstreamError(NaftikoError):
    """The upstream API answered with an error status (or could not be used at all).

    ``sent`` is False only when the request provably never left: no connection was made, or no
    time was left to send it. Anything else may have reached the upstream.
    """

    def __init__(
        self, operation: str, message: str, status: int | None = None, body: Any = None, *, sent: bool = True
    ) -> None:
        self.operation = operation
        self.status = status
        self.body = body
        self.message = message
        self.sent = sent
        super().__init__(f"{operation}: {message}")


class UpstreamInvalidResponse(UpstreamError):
    """The upstream answered, but its body is not what the operation declares."""


class UpstreamTooLarge(UpstreamError):
    """The upstream body is larger than what a Lambda response can carry."""


class UpstreamTimeout(UpstreamError):
    """The upstream did not answer within the read or connect timeout."""


class UpstreamUnreachable(UpstreamError):
    """No connection to the upstream could be made, or it broke mid-response."""
