"""consumes/formats.py: upstream bodies to JSON values, each format refusing what is not one."""

from __future__ import annotations

import pytest
from naftiko_lambda.consumes.formats import DECODERS, decode


def test_each_format_decodes_to_json_values() -> None:
    assert decode("json", b'{"a": [1, 2.5, true, null]}') == {"a": [1, 2.5, True, None]}
    assert decode("yaml", b"a: 2024-05-01\nb: [x, 1]\n") == {"a": "2024-05-01", "b": ["x", 1]}
    assert decode("csv", b"id,name\n1,a\n2\n") == [{"id": "1", "name": "a"}, {"id": "2", "name": None}]
    assert decode("tsv", b"a\tb\n1\t2\n") == [{"a": "1", "b": "2"}]
    assert decode("xml", b'<r><i k="1">x</i><i>y</i></r>') == {"i": [{"k": "1", "#text": "x"}, "y"]}
    assert decode("text", b"caf\xc3\xa9") == "café"
    assert decode("json", b"  ") is None


@pytest.mark.parametrize(
    ("fmt", "body"),
    [
        ("json", b'{"a": NaN}'),
        ("json", b"[1e999]"),
        ("json", b"[" * 300 + b"]" * 300),
        ("yaml", b"a: &x 1\nb: *x\n"),
        ("yaml", b"a: !!binary aGk=\n"),
        ("yaml", b"a: !!set {x}\n"),
        ("yaml", b"a: !mine x\n"),
        ("yaml", b"a: .nan\n"),
        ("xml", b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>'),
        ("xml", "<?xml version='1.0' encoding='UTF-16'?><!DOCTYPE r []><r/>".encode("utf-16")),
        ("csv", b"a\n" + b"x" * 200_000 + b"\n"),
        ("csv", b"a,b\n1,2,3\n"),
    ],
)
def test_what_is_not_a_safe_document_is_refused(fmt: str, body: bytes) -> None:
    with pytest.raises(ValueError):
        decode(fmt, body)


def test_the_decoders_are_the_output_formats_the_loader_accepts() -> None:
    from naftiko_lambda.capability.build import OUTPUT_FORMATS

    assert set(DECODERS) == OUTPUT_FORMATS
