"""Bind variables -> Secret values: the environment, a binds ``location`` file, the capability's secret.

The only module that calls AWS, and the only one that reads a binds ``location``. The secret is a JSON object whose keys are the bind keys, read
through Powertools parameters (its own TTL cache, cleared by ``reset_caches``). Powertools and
boto3 are imported only when a key is missing from the environment, so local runs and
environment-configured functions never pay for them.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .capability.binds import is_reserved
from .capability.model import BoundVariable
from .deadline import now_or_default
from .errors import CredentialError

if TYPE_CHECKING:  # client-credentials minting loads with the first value that is a token source
    from .consumes.request import UpstreamRequest
    from .consumes.tokens import ClientCredentials

PLACEHOLDER = "REPLACE_ME"
"""Value the stack writes into a new capability secret; treated as "not configured"."""
SECRET_TTL_S = 300
"""How long a fetched secret is reused before Secrets Manager is asked again (seconds)."""
REFRESH_INTERVAL_S = 30.0
"""Least time between two forced fetches of a capability's secret (seconds): a burst of upstream
401s must not turn into a burst of GetSecretValue calls."""
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
    """Looks a bind variable up, first under its own name, then under its provider key.

    For each name, in order: ``environ`` (a snapshot the entry passes in), the bind's ``location``
    file (YAML, JSON or ``.env``; local runs and `serve`), then the capability's JSON secret. A
    variable ``REGISTRY_TOKEN`` bound as ``keys: {REGISTRY_TOKEN: registry-bearer-token}`` is thus
    found as ``REGISTRY_TOKEN`` or as ``registry-bearer-token``.

    ``variables`` are the only names looked up (the capability's ``variables``, capability/binds.py);
    None allows any name. A reserved runtime name (``AWS_SECRET_ACCESS_KEY``, ``PATH``, ...) is
    never read from the environment: a bind that declares one is found in its location or secret.

    ``refresh()`` drops what was read from Secrets Manager so the next lookup fetches it afresh
    (after an upstream 401, in case the key was rotated), at most once per REFRESH_INTERVAL_S.
    Under ``sam local`` (``sam_local``) a secret id that is not an ARN is the template's logical
    id, not a secret: it is treated as unset.
    """

    environ: Mapping[str, str]
    secret_id: str | None = None
    binds: Mapping[str, BoundVariable] = field(default_factory=dict)
    variables: frozenset[str] | None = None
    ttl_s: int = SECRET_TTL_S
    sam_local: bool = False
    transport: Any = None  # for minting client-credentials tokens (consumes/tokens.py)
    clock: Callable[[], float] = time.monotonic
    _force: bool = field(default=False, repr=False)
    _sources: dict[str, ClientCredentials] = field(default_factory=dict, repr=False)
    _last_refresh: float | None = field(default=None, repr=False)
    _files: dict[str, Mapping[str, Any]] = field(default_factory=dict, repr=False)

    def get(self, key: str) -> Secret:
        bound = self.binds.get(key)
        if (self.variables is not None and key not in self.variables) or (bound is None and is_reserved(key)):
            raise CredentialError(key, "is not a variable this capability may read: declare it under binds")
        names = [key] if bound is None or bound.provider_key == key else [key, bound.provider_key]
        location = bound.location if bound is not None else None
        for name in names:
            value = None if is_reserved(name) else self.environ.get(name)  # never the runtime's own
            if value:
                return self._secret(key, value)
            if location is not None:
                found = self._file(location, key).get(name)
                if found not in (None, ""):
                    return self._secret(key, found if isinstance(found, Mapping) else str(found))
            if self._uses_secret(key):
                found = self._secret_document(key).get(name)
                if found == PLACEHOLDER:
                    raise CredentialError(
                        key, f"the secret's value for {name!r} is still the placeholder: put the real key in"
                    )
                if (isinstance(found, str) and found) or isinstance(found, Mapping):
                    return self._secret(key, found)
        raise CredentialError(key, self._not_found(key, names, location))

    def _secret(self, key: str, value: Any) -> Secret:
        """The value as a Secret; a client-credentials token source is exchanged for its token."""
        if isinstance(value, str) and not value.lstrip().startswith("{"):
            return Secret(value)  # a plain value: never a token source
        from .consumes.tokens import mint, token_source

        source = token_source(value, key)
        if source is None:
            return Secret(value if isinstance(value, str) else json.dumps(value))
        if self.transport is None:
            raise CredentialError(key, "an oauth2 token source needs a transport to mint tokens")
        self._sources[key] = source

        def send(request: UpstreamRequest) -> Any:
            return self.transport.send(request, f"oauth2 token for {key}", now_or_default())

        return Secret(mint(source, key, send))

    def _not_found(self, key: str, names: list[str], location: str | None) -> str:
        where = " or ".join(repr(n) for n in names)
        if self._uses_secret(key):
            return f"the secret has no value for key {where} (and no environment variable)"
        hint = f"not configured: set the environment variable {key}"
        if location is not None:
            hint += f" or put {where} in {location}"
        if self.sam_local:
            hint += " (under sam local: pass it with --env-vars)"
        return hint

    @property
    def uses_secret_store(self) -> bool:
        return bool(self.secret_id) and not self._sam_local_placeholder()

    @property
    def refreshable(self) -> bool:
        """True when a refresh can change what ``get`` answers: a secret or a minted token."""
        return self.uses_secret_store or bool(self._sources)

    def refresh(self) -> bool:
        """Fetch the secret afresh and mint new tokens on the next lookups; False when one was
        forced too recently (at most one per REFRESH_INTERVAL_S)."""
        now = self.clock()
        if self._last_refresh is not None and now - self._last_refresh < REFRESH_INTERVAL_S:
            return False
        self._last_refresh = now
        self._force = True
        if self._sources:
            from .consumes.tokens import forget

            for source in self._sources.values():
                forget(source)
        return True

    def _uses_secret(self, key: str) -> bool:
        if not self.secret_id:
            return False
        if self._sam_local_placeholder():
            _hint_once(f"{self.secret_id!r} is a logical id under sam local, not a secret: pass {key} with --env-vars")
            return False
        return True

    def _sam_local_placeholder(self) -> bool:
        return self.sam_local and bool(self.secret_id) and not str(self.secret_id).startswith("arn:")

    def _file(self, location: str, key: str) -> Mapping[str, Any]:
        if location not in self._files:
            self._files[location] = read_values_file(location, key)
        return self._files[location]

    def _secret_document(self, key: str) -> Mapping[str, Any]:
        from aws_lambda_powertools.utilities import parameters  # lazy: ~0.2 s of imports

        force, self._force = self._force, False
        try:
            document = secrets_provider().get(self.secret_id, transform="json", max_age=self.ttl_s, force_fetch=force)
        except parameters.exceptions.TransformParameterError as exc:
            raise CredentialError(key, "the capability's secret is not a JSON object") from exc
        except parameters.exceptions.GetParameterError as exc:
            raise CredentialError(key, "the capability's secret cannot be read from Secrets Manager") from exc
        if not isinstance(document, Mapping):
            raise CredentialError(key, "the capability's secret is not a JSON object")
        return document


def read_values_file(location: str, key: str) -> Mapping[str, Any]:
    """A binds ``location`` file as a flat mapping: YAML, JSON, or ``.env`` (``KEY=value`` lines).

    A missing file gives an empty mapping (the secret may still hold the value); a file that
    exists but cannot be read or parsed is a CredentialError naming it.
    """
    path = Path(location)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise CredentialError(key, f"the binds location {path} cannot be read ({exc.strerror})") from exc
    if path.suffix == ".env" or path.name.startswith(".env"):
        pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line and not line.lstrip().startswith("#"))
        return {k.strip().removeprefix("export ").strip(): v.strip().strip("'\"") for k, v in pairs}
    from .documents import Refused, load_yaml  # JSON is YAML

    try:
        document = load_yaml(text)
    except Refused as exc:
        raise CredentialError(key, f"the binds location {path} is not valid YAML or JSON") from exc
    if document is None:
        return {}
    if not isinstance(document, Mapping):
        raise CredentialError(key, f"the binds location {path} must hold a mapping of keys to values")
    return document


_HINTED: set[str] = set()
"""Hints already logged by this process (each is logged once)."""


def _hint_once(message: str) -> None:
    if message not in _HINTED:
        _HINTED.add(message)
        from .observability import logger

        logger().warning(message)


def reset_secret_cache() -> None:
    """Drop the secrets provider and its cache (tests; a warm process keeps it for SECRET_TTL_S)."""
    global _PROVIDER
    _PROVIDER = None
    _HINTED.clear()
    parameters = sys.modules.get("aws_lambda_powertools.utilities.parameters")
    if parameters is not None:
        parameters.clear_caches()
        parameters.base.DEFAULT_PROVIDERS.clear()
