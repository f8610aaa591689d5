"""Idempotency rules that need no store: which failures are kept, which tools take a key, settings."""

from __future__ import annotations

import pytest
from naftiko_lambda.capability.load import load_capability
from naftiko_lambda.errors import (
    CredentialError,
    IdempotencyError,
    InvocationError,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnreachable,
)
from naftiko_lambda.runner.idempotency import check_key, settled, takes_key
from naftiko_lambda.settings import Settings

from ...conftest import CAPABILITIES


def _effects(effects: bool | None) -> list[str] | None:
    """What steps.run noted as possibly changed upstream: something, nothing, or not known."""
    return None if effects is None else ["ledger.create-entry"] if effects else []


@pytest.mark.parametrize(
    ("error", "effects", "kept"),
    [
        (UpstreamError("op", "no", status=400), False, True),  # the upstream's answer: a retry gets it again
        (UpstreamError("op", "no", status=404), False, True),
        (UpstreamError("op", "later", status=429), False, False),  # not acted on: released
        (UpstreamError("op", "who", status=401), False, False),
        (UpstreamError("op", "down", status=503), False, False),
        (UpstreamError("op", "boom", status=500), True, True),  # sent, outcome unknown: kept
        (UpstreamTimeout("op", "slow"), True, True),
        (UpstreamTimeout("op", "no time left"), False, False),  # never sent
        (UpstreamUnreachable("op", "refused"), False, False),
        (InvocationError("op", "x", "bad"), False, False),
        (CredentialError("KEY", "missing"), False, False),
        (UpstreamError("op", "step 2 failed", status=429), True, True),  # step 1 wrote already
        (RuntimeError("a bug"), None, True),  # nothing known: assume it may have written
    ],
)
def test_which_failures_are_kept(error: Exception, effects: bool | None, kept: bool) -> None:
    assert settled(error, _effects(effects)) is kept


@pytest.mark.parametrize("key", ["", "x" * 256, "with space", "caf\u00e9", "tab\t"])
def test_bad_keys(key: str) -> None:
    with pytest.raises(IdempotencyError) as caught:
        check_key(key)
    assert caught.value.status == 400


def test_seed_tools_take_a_key_exactly_when_they_write() -> None:
    """Every seed tool calling POST or PATCH upstream (and not hinted idempotent) offers the key."""
    seen = {True: 0, False: 0}
    for file in sorted(CAPABILITIES.glob("*.yaml")):
        capability = load_capability(file)
        for tool in capability.tools:
            methods = {step.operation.method for step in tool.plan.calls}
            expected = bool(methods & {"POST", "PATCH"}) and not tool.hints.read_only and not tool.hints.idempotent
            assert takes_key(capability, tool) is expected, tool.name
            seen[expected] += 1
    assert seen[True] and seen[False]


def test_settings_choose_the_store() -> None:
    assert Settings.from_environ({"IDEMPOTENCY_TABLE": "t"}).idempotency().table == "t"
    assert Settings.from_environ({"IDEMPOTENCY_STORE": "memory"}).idempotency().memory
    # sam local resolves the table's Ref to its logical id: no such table, so keys live in memory
    local = {"IDEMPOTENCY_TABLE": "IdempotencyTable", "AWS_SAM_LOCAL": "true", "IDEMPOTENCY_WINDOW_S": "60"}
    guard = Settings.from_environ(local).idempotency()
    assert guard.memory and guard.window_s == 60
    assert not Settings.from_environ({}).idempotency().memory
