"""Booleans written as text: the one list of the words that mean true or false (pure).

A caller's ``?active=yes`` (exposes/inputs.py) and an upstream's ``"active": "1"`` shaped to a
declared boolean output (outputs.py) read the same words.
"""

from __future__ import annotations

TRUE_WORDS = frozenset({"true", "1", "yes"})
FALSE_WORDS = frozenset({"false", "0", "no"})


def as_boolean(text: str) -> bool | None:
    """``"Yes"`` -> True, ``"0"`` -> False, anything else -> None (any case)."""
    lowered = text.strip().lower()
    return True if lowered in TRUE_WORDS else False if lowered in FALSE_WORDS else None
