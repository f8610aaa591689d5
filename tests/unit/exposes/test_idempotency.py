"""Idempotency rules that need no store: which answers are final, which tools take a key, settings."""

from __future__ import annotations

import pytest
from naftiko_lambda.capability.load import load_capability
from naftiko_lambda.exposes.idempotency import Answer, IdempotencyError, check_key, takes_key
from naftiko_lambda.settings import Settings

from ...conftest import CAPABILITIES


@pytest.mark.parametrize(
    ("status", "final"),
    [
        (200, True),
        (201, True),
        (400, True),
        (404, True),
        (409, True),
        (408, False),
        (425, False),
        (429, False),
        (500, False),
        (502, False),
    ],
)
def test_final_answers(status: int, final: bool) -> None:
    assert Answer(status, None).final is final


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
