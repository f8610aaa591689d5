"""capability/jsonpath.py: the JSONPath subset the real files use."""

from __future__ import annotations

import pytest
from naftiko_lambda.capability.jsonpath import JsonPathSyntaxError, compile_jsonpath


@pytest.mark.parametrize(
    ("path", "doc", "value"),
    [
        ("$", {"a": 1}, {"a": 1}),
        ("$.a.b", {"a": {"b": 2}}, 2),
        ("$.a[1]", {"a": [1, 2]}, 2),
        ("$.a[-1]", {"a": [1, 2]}, 2),
        ("$[*].id", [{"id": 1}, {"id": 2}], [1, 2]),
        ("$['a b']", {"a b": 3}, 3),
        ("$.missing.x", {"a": 1}, None),
    ],
)
def test_jsonpath_subset(path: str, doc: object, value: object) -> None:
    assert compile_jsonpath(path).evaluate(doc) == value


@pytest.mark.parametrize("path", ["a.b", "$..a", "$.a[?(@.x)]", "$.a[1:2]"])
def test_anything_else_is_refused_at_load(path: str) -> None:
    with pytest.raises(JsonPathSyntaxError):
        compile_jsonpath(path)
