"""Bind keys -> Secret values: the process environment first, then the capability's secret.

The only module that calls AWS. The secret is a JSON object whose keys are the bind keys, read
through Powertools parameters (its own TTL cache, cleared by ``reset_caches``). Powertools and
boto3 are imported only when a key is missing from the environment, so local runs and
environment-configured functions never pay for them.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import CredentialError

PLACEHOLDER = "REPLACE_ME"
"""Value the stack writes into a new capability secret; treated as "not configured"."""
SECRET_TTL_S = 300
"""How long a fetched secret is reused before Secrets Manager is asked again (seconds)."""
SECRETS_CONNECT_TIMEOUT_S = 2.0
SECRETS_READ_TIMEOUT_S = 3.0
"""Secrets Manager timeouts (seconds): boto3's defaults (60 s) would outlive the function's 28 s."""

# Module-level on purpose: one Powertools SecretsProvider per process, holding the TTL cache of
# fetched secrets across warm invocations. Cleared by reset_secret_cache().
_PROVIDER: Any = None


def secrets_provider() -> Any:
    global _PROVIDER
    if _PROVIDER is None:
        from aws_lambda_powertools.utilities.parameters import SecretsProvider
        from botocore.config import Config

        config = Config(
            connect_timeout=SECRETS_CONNECT_TIMEOUT_S,
            read_timeout=SECRETS_READ_TIMEOUT_S,
            retries={"max_attempts": 2, "mode": "standard"},
        )
        _PROVIDER = SecretsProvider(boto_config=config)
    return _PROVIDER


class Secret:
    """A credential value whose repr and str are masked; ``reveal()`` is the one way to the text."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass
class CredentialSource:
    """Looks bind keys up: ``environ`` (a snapshot the entry passes in), then the JSON secret.

    ``refresh()`` drops what was read from Secrets Manager so the next lookup fetches it afresh
    (called once after an upstream 401, in case the key was rotated).
    """

    environ: Mapping[str, str]
    secret_id: str | None = None
    ttl_s: int = SECRET_TTL_S
    _force: bool = field(default=False, repr=False)

    def get(self, key: str) -> Secret:
        value = self.environ.get(key)
        if value:
            return Secret(value)
        if not self.secret_id:
            raise CredentialError(key, f"not configured: set the environment variable {key}")
        document = self._secret_document()
        value = document.get(key)
        if not isinstance(value, str) or not value:
            raise CredentialError(key, f"the secret has no value for key {key!r} (and no environment variable)")
        if value == PLACEHOLDER:
            raise CredentialError(key, f"the secret's value for {key!r} is still the placeholder: put the real key in")
        return Secret(value)

    @property
    def uses_secret_store(self) -> bool:
        return bool(self.secret_id)

    def refresh(self) -> None:
        self._force = True

    def _secret_document(self) -> Mapping[str, Any]:
        from aws_lambda_powertools.utilities import parameters  # lazy: ~0.2 s of imports

        force, self._force = self._force, False
        try:
            document = secrets_provider().get(self.secret_id, transform="json", max_age=self.ttl_s, force_fetch=force)
        except parameters.exceptions.TransformParameterError as exc:
            raise CredentialError("*", "the capability's secret is not a JSON object") from exc
        except parameters.exceptions.GetParameterError as exc:
            raise CredentialError("*", "the capability's secret cannot be read from Secrets Manager") from exc
        if not isinstance(document, Mapping):
            raise CredentialError("*", "the capability's secret is not a JSON object")
        return document


def reset_secret_cache() -> None:
    """Drop the secrets provider and its cache (tests; a warm process keeps it for SECRET_TTL_S)."""
    global _PROVIDER
    _PROVIDER = None
    parameters = sys.modules.get("aws_lambda_powertools.utilities.parameters")
    if parameters is not None:
        parameters.clear_caches()
        parameters.base.DEFAULT_PROVIDERS.clear()
