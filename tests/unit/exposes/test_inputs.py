"""exposes/inputs.py: a caller's raw values checked against an operation's inputs."""

from __future__ import annotations

import pytest
from naftiko_lambda.capability.model import Input
from naftiko_lambda.errors import InvocationError
from naftiko_lambda.exposes.inputs import check_inputs, check_value


@pytest.mark.parametrize(
    ("kind", "text", "value"),
    [
        ("integer", "42", 42),
        ("number", "2.5", 2.5),
        ("boolean", "yes", True),
        ("array", "a,b", ["a", "b"]),
        ("object", '{"a": 1}', {"a": 1}),
    ],
)
def test_text_from_a_url_is_converted(kind: str, text: str, value: object) -> None:
    assert check_value(Input("x", kind, True), text, "op", from_text=True) == value


@pytest.mark.parametrize(
    ("kind", "raw"), [("integer", "4.5x"), ("number", "nan"), ("boolean", "maybe"), ("string", None)]
)
def test_a_wrong_value_names_the_input(kind: str, raw: object) -> None:
    with pytest.raises(InvocationError) as err:
        check_value(Input("x", kind, True), raw, "op", from_text=True)
    assert err.value.param == "x"


def test_required_inputs_are_enforced_and_static_ones_are_not_the_callers() -> None:
    inputs = (Input("id", "string", True), Input("fixed", "string", True, static=object()))  # type: ignore[arg-type]
    assert check_inputs(inputs, {"id": 7}, "op", from_text=False) == {"id": "7"}
    with pytest.raises(InvocationError, match="is required"):
        check_inputs(inputs, {}, "op", from_text=False)
