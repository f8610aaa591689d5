"""Exactly-once writes: a write with an idempotency key runs at most once per key, caller and
capability.

The caller names an attempt (REST ``Idempotency-Key`` header, IETF httpapi draft; MCP
``idempotencyKey`` argument) and repeats the name when it retries. The first request runs and
its answer is kept. A repeat of the same request gets that answer again with no upstream call
(replayed). The same key with a different request is a 422, and a repeat while the first still
runs is a 409 with Retry-After.

Which answers are kept (``settled``): every success; an upstream's own refusal of the request
(a 4xx other than 401/403 and the "try later" ones 408/425/429); and any failure after which the
write may have happened (it was sent and the upstream did not refuse it: a 500, 502 or 504, a
timeout or a broken connection after sending). Replaying that failure keeps a retry from
writing twice. Released, so a retry runs: failures where nothing was sent (no connection,
no time left, a missing credential, a bad input) or the upstream said it did not act (401, 403,
408, 425, 429, 503).

Keys belong to a caller: the record id hashes the caller's identity (API key id, OAuth subject,
or the credential presented) with the key, so one caller can neither read nor block another's.

Storage is Powertools Idempotency (its in-progress lock, expiry and payload validation) on a
DynamoDB table, or, for `serve`, the in-memory store below with the same conditions. Record ids
begin with the capability's name, so an IAM condition on the leading key keeps each REST
function to its own capability's records. Powertools and boto3 are imported on the first key
a process sees: a function that never gets one pays nothing at its cold start.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..deadline import Deadline, now_or_default
from ..errors import IdempotencyError, UpstreamError
from ..observability import logger

if TYPE_CHECKING:  # types only: kept off the cold path
    from ..capability.model import Capability, ExposedOperation

WINDOW_S = 24 * 3600
"""How long a stored answer is replayed for a key (seconds; the template's IdempotencyWindowSeconds)."""
MAX_STORED_BYTES = 350_000
"""Largest answer stored (JSON bytes): DynamoDB items hold 400 KB, less the record's own fields."""
RETRY_AFTER_S = 2
"""What a 409 tells the caller to wait before repeating (seconds)."""
MAX_KEY_CHARS = 255
NOT_ACTED_ON = frozenset({401, 403, 408, 425, 429})
"""Upstream 4xx statuses that mean "not done, try again" (the others are its answer to the request)."""
LOCK_MARGIN_S = 5
"""The in-progress lock outlives the invocation's deadline by this much: a call cut at the deadline
still has its answer stored before another attempt may take the key."""
KEY_ARGUMENT = "idempotencyKey"
"""The optional argument an MCP write tool takes (listed in its input schema)."""
WRITE_METHODS = frozenset({"POST", "PATCH"})
"""HTTP methods a repeat of which may write twice (PUT and DELETE are idempotent already)."""


def takes_key(capability: Capability, operation: ExposedOperation) -> bool:
    """Whether an MCP tool offers ``idempotencyKey``: hinted neither read-only nor idempotent, it
    calls an upstream POST or PATCH (or its aggregate function says ``idempotent: false``), and
    has no input of that name already."""
    hints = operation.hints
    if hints.read_only or hints.idempotent or any(i.name == KEY_ARGUMENT for i in operation.inputs):
        return False
    return _non_idempotent(capability, operation) or any(
        step.operation.method in WRITE_METHODS for step in operation.plan.calls
    )


def _non_idempotent(capability: Capability, operation: ExposedOperation) -> bool:
    function = capability.functions.get(operation.ref) if operation.ref else None
    return function is not None and function.semantics.idempotent is False


def honours_header(capability: Capability, operation: ExposedOperation) -> bool:
    """Whether a REST operation honours ``Idempotency-Key``: POST and PATCH, and any operation
    whose aggregate function's semantics say ``idempotent: false``."""
    return operation.method in WRITE_METHODS or _non_idempotent(capability, operation)


def settled(exc: BaseException, effects: Sequence[str] | None = None) -> bool:
    """Whether a failed write's answer is kept for its key (see the module docstring).

    ``effects``: the calls of the failed run that may have changed something upstream (steps.run
    notes them); None when it is not known, which counts as "it may have".
    """
    status = exc.status if type(exc) is UpstreamError else None
    if status is not None and 400 <= status < 500 and status not in NOT_ACTED_ON:
        return True  # the upstream's answer to this request: a retry would get it again
    return True if effects is None else bool(effects)


def fingerprint(*parts: object) -> str:
    """What makes two requests the same request, hashed (canonical JSON of the parts)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer as the adapter sends it: status, JSON body, the headers worth repeating; ``final``
    when it is kept for the key (``settled``); ``omitted`` when it was kept without its body
    (too large to store)."""

    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)
    final: bool = True
    omitted: bool = False


def check_key(key: str) -> str:
    """A key is 1 to 255 visible ASCII characters (a UUID, typically)."""
    if not 0 < len(key) <= MAX_KEY_CHARS or not all(33 <= ord(c) < 127 for c in key):
        raise IdempotencyError(400, f"an idempotency key is 1 to {MAX_KEY_CHARS} visible ASCII characters")
    return key


class _NotFinal(Exception):
    def __init__(self, answer: Answer) -> None:
        self.answer = answer


class _Remaining:
    """A Lambda-context stand-in for Powertools: the in-progress lock lasts as long as the
    invocation may, and a margin more."""

    def __init__(self, deadline: Deadline) -> None:
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline.remaining() + LOCK_MARGIN_S) * 1000)


@dataclass
class Guard:
    """Runs writes under their idempotency key; one per warm process (its store is reused)."""

    table: str | None = None  # the DynamoDB table; None with ``memory`` set: the in-memory store
    memory: bool = False
    window_s: int = WINDOW_S
    _stores: dict[str, Any] = field(default_factory=dict, repr=False)
    _client: Any = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def run(
        self,
        capability: str,
        key: str,
        fingerprint: str,
        execute: Callable[[], Answer],
        deadline: Deadline | None = None,
        caller: str = "",
    ) -> tuple[Answer, bool]:
        """(the answer, whether it was replayed). Raises IdempotencyError (409, 422, 503)."""
        from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
        from aws_lambda_powertools.utilities.idempotency.base import IdempotencyHandler
        from aws_lambda_powertools.utilities.idempotency.exceptions import (
            BaseError,
            IdempotencyAlreadyInProgressError,
            IdempotencyValidationError,
        )

        ran: list[Answer] = []

        def function() -> dict[str, Any]:
            answer = execute()
            ran.append(answer)
            if not answer.final:
                raise _NotFinal(answer)
            # The body is kept as its JSON text: Powertools stores records with sorted keys, and a
            # replay must be the same bytes as the first answer, not only the same meaning.
            try:
                text = json.dumps(answer.body, allow_nan=False, ensure_ascii=False)
            except (TypeError, ValueError, RecursionError):
                text = None  # not JSON: the upstream was called all the same, so the key is settled
            stored = {"status": answer.status, "text": text or "", "headers": dict(answer.headers)}
            # What is written is the record as Powertools serialises it (the text escaped again).
            size = len(json.dumps(stored, sort_keys=True).encode()) if text is not None else None
            if size is None or size > MAX_STORED_BYTES:
                # Kept without its body: a retry must still not write again (it is told so).
                why = "too large to store" if size else "not storable as JSON"
                logger().warning(f"answer {why}: kept without its body", extra={"capability": capability})
                stored = {"status": answer.status, "body": None, "headers": dict(answer.headers), "omitted": True}
            return stored

        config = IdempotencyConfig(
            event_key_jmespath="key",
            payload_validation_jmespath="fingerprint",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=self.window_s,
            lambda_context=_Remaining(deadline or now_or_default()),  # type: ignore[arg-type]
        )
        try:
            store = self.store(capability)
        except IdempotencyError:
            raise
        except Exception as exc:  # no region, no credentials, ...: the store cannot be used
            raise IdempotencyError(503, "the idempotency store is not available: the request was not run") from exc
        handler = IdempotencyHandler(
            function=function,
            function_payload={"key": [caller, key], "fingerprint": fingerprint},
            config=config,
            persistence_store=store,
            key_prefix=capability,  # record ids "<capability>#<hash>": the IAM leading-key condition
            function_args=(),
            function_kwargs={},
        )
        try:
            stored = handler.handle()
        except _NotFinal as signal:
            return signal.answer, False
        except IdempotencyValidationError:
            raise IdempotencyError(422, "this idempotency key was used for a different request") from None
        except IdempotencyAlreadyInProgressError:
            raise IdempotencyError(409, "a request with this idempotency key is in progress", RETRY_AFTER_S) from None
        except BaseError as exc:
            if ran:  # the write happened; only storing its answer failed: give the caller the answer
                logger().warning("idempotency store failed after the call", extra={"capability": capability})
                return ran[0], False
            raise IdempotencyError(503, "the idempotency store is not available: the request was not run") from exc
        if ran:
            return ran[0], False
        omitted = bool(stored.get("omitted"))
        body = json.loads(stored["text"]) if stored.get("text") else stored.get("body")
        return Answer(stored["status"], body, stored.get("headers") or {}, omitted=omitted), True

    def store(self, capability: str) -> Any:
        """One persistence layer per capability: Powertools keeps the key prefix on the layer itself,
        so a layer shared by two capabilities (the MCP function) could write one's records under
        the other's name. The DynamoDB client underneath is shared."""
        with self._lock:
            found = self._stores.get(capability)
            if found is None:
                found = MemoryStore() if self.memory else _dynamodb(self.table, self._dynamodb_client())
                self._stores[capability] = found
            return found

    def _dynamodb_client(self) -> Any:
        if not self.table:
            raise IdempotencyError(
                503, "no idempotency store is configured (IDEMPOTENCY_TABLE): the request was not run"
            )
        if self._client is None:
            import boto3  # type: ignore[import-untyped]
            from botocore.config import Config

            # Short: a store that does not answer fails the request fast (503) instead of eating its deadline.
            config = Config(connect_timeout=2, read_timeout=3, retries={"max_attempts": 2, "mode": "standard"})
            self._client = boto3.session.Session().client("dynamodb", config=config)
        return self._client


def _dynamodb(table: str | None, client: Any) -> Any:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(table_name=str(table), boto3_client=client)


def _memory_store_class() -> type:
    """The in-memory persistence layer for `serve`: DynamoDB's put conditions, on a dict."""
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyItemAlreadyExistsError,
        IdempotencyItemNotFoundError,
    )
    from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer

    class _MemoryStore(BasePersistenceLayer):
        def __init__(self) -> None:
            super().__init__()  # type: ignore[no-untyped-call]
            self.records: dict[str, Any] = {}
            self.guard = threading.Lock()

        def _get_record(self, idempotency_key: str) -> Any:
            with self.guard:
                found = self.records.get(idempotency_key)
            if found is None:
                raise IdempotencyItemNotFoundError
            return found

        def _put_record(self, data_record: Any) -> None:
            now = time.time()
            with self.guard:
                existing = self.records.get(data_record.idempotency_key)
                expired = existing is not None and existing.expiry_timestamp < now
                stale = (
                    existing is not None
                    and existing.status == "INPROGRESS"
                    and existing.in_progress_expiry_timestamp is not None
                    and existing.in_progress_expiry_timestamp < now * 1000
                )
                if existing is not None and not expired and not stale:
                    # As the DynamoDB layer does: a different payload under this key is refused here.
                    self._validate_payload(data_payload=data_record, stored_data_record=existing)
                    raise IdempotencyItemAlreadyExistsError(old_data_record=existing)
                self.records[data_record.idempotency_key] = data_record

        def _update_record(self, data_record: Any) -> None:
            with self.guard:
                self.records[data_record.idempotency_key] = data_record

        def _delete_record(self, data_record: Any) -> None:
            with self.guard:
                self.records.pop(data_record.idempotency_key, None)

    return _MemoryStore


def MemoryStore() -> Any:
    return _memory_store_class()()
