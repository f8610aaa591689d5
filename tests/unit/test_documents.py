"""documents.py: YAML and JSON we did not write, read as JSON values with limits."""

from __future__ import annotations

import pytest
from naftiko_lambda.documents import MAX_DEPTH, Refused, check_document, load_json, load_yaml


def test_yaml_reads_as_json_values() -> None:
    assert load_yaml(b"at: 2026-05-19T10:00:00Z\n1: one\ntrue: yes\nn: 0x10\n") == {
        "at": "2026-05-19T10:00:00Z",
        "1": "one",
        "true": True,
        "n": 16,
    }


@pytest.mark.parametrize(
    "text",
    [
        b"a: &x [1]\nb: *x\n",
        b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1),
        b"a: !!python/object:os.system x\n",
        b"? [a]\n: 1\n",
        b"a: 0x" + b"f" * 400 + b"\n",
        b"a: [\n",
    ],
)
def test_yaml_refusals_carry_a_line(text: bytes) -> None:
    with pytest.raises(Refused) as err:
        load_yaml(text)
    assert err.value.message


def test_deep_nesting_is_refused_before_anything_is_built() -> None:
    with pytest.raises(Refused, match="nested deeper"):
        load_yaml(b"[" * 200_000 + b"]" * 200_000)  # libyaml's composer would end the process


@pytest.mark.parametrize("text", [b'{"a": NaN}', b"[1e999]", b'["\\ud800"]', b"[" * 5000 + b"]" * 5000, b"{"])
def test_json_refusals(text: bytes) -> None:
    with pytest.raises(Refused):
        load_json(text)


def test_check_document_walks_without_recursion() -> None:
    deep: object = 1
    for _ in range(MAX_DEPTH):
        deep = [deep]
    assert check_document(deep) is deep
    with pytest.raises(Refused):
        check_document([deep])
