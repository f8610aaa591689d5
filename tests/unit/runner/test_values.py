"""runner/values.py: the one list of words that mean true or false."""

from __future__ import annotations

import pytest
from naftiko_lambda.runner.values import as_boolean


@pytest.mark.parametrize(
    ("text", "value"),
    [("true", True), ("YES", True), ("1", True), (" no ", False), ("0", False), ("maybe", None), ("", None)],
)
def test_booleans_as_text(text: str, value: bool | None) -> None:
    assert as_boolean(text) is value
