"""consumes/values.py: how values travel as text, and looking a name up."""

from __future__ import annotations

from naftiko_lambda.consumes.values import MISSING, as_text, lookup


def test_values_as_text() -> None:
    assert [as_text(v) for v in (True, False, 3, 2.5, "x", {"a": 1}, [1, "b"])] == [
        "true",
        "false",
        "3",
        "2.5",
        "x",
        '{"a":1}',
        '[1,"b"]',
    ]


def test_lookup_is_exact_first_then_case_insensitive() -> None:
    values = {"orgId": 1, "orgid": 2, "Name": "n"}
    assert lookup(values, "orgid") == 2 and lookup(values, "NAME") == "n"
    assert lookup(values, "missing") is MISSING
