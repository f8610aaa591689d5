"""The shared corpus as test input: every file loads or is refused with a message; none crashes.

Issue 9: at least 90 % of the files that declare ``1.0.0-alpha1`` or ``1.0.0-alpha2`` load.
Issue 10: every capability example of the reference engine loads, except the fixtures that are
invalid on purpose, which are refused with a message naming the defect.
"""

from __future__ import annotations

import collections
import os
import re
from pathlib import Path

import pytest
import yaml
from naftiko_lambda.capability.load import load_capability
from naftiko_lambda.errors import SpecError

from ..conftest import CORPUS

pytestmark = pytest.mark.corpus
FRAMEWORK = CORPUS / "naftiko-framework-v1.0.0-alpha2"
LOAD_FLOOR = 0.98  # issue 24: measured 98.7 % once signed requests load
NOT_CAPABILITIES = ("/openapi/", "/schemas/sample", "/rules/naftiko-rules")


@pytest.fixture(autouse=True)
def _corpus_present() -> None:
    if not CORPUS.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"the shared corpus is missing at {CORPUS}: CI must run the corpus tests")
        pytest.skip("the shared corpus is not beside the project")


def _version(file: Path) -> object:
    try:
        raw = yaml.load(file.read_bytes(), Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return None
    return raw.get("naftiko") if isinstance(raw, dict) else None


def test_corpus_loads_or_reports_every_file(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    assert len(files) > 2000
    versioned = loaded = 0
    reasons = collections.Counter[str]()
    for file in files:
        counted = _version(file) in ("1.0.0-alpha1", "1.0.0-alpha2")
        versioned += counted
        try:
            capability = load_capability(file)
        except SpecError as exc:
            assert str(file) in str(exc) and exc.message, exc
            if counted:
                reasons[re.sub(r"'[^']*'", "'…'", exc.message.split(" (and ")[0])[:90]] += 1
            continue
        loaded += counted
        assert capability.name == file.stem
    share = loaded / versioned
    with capsys.disabled():  # the counts belong in CI's output
        print(f"\ncorpus: {len(files)} files, {versioned} declare alpha1/alpha2, {loaded} of those load ({share:.1%})")
        for reason, count in reasons.most_common():
            print(f"  {count:5d}  {reason}")
    assert share >= LOAD_FLOOR


def test_reference_examples_load_except_the_invalid_ones(capsys: pytest.CaptureFixture[str]) -> None:
    examples = sorted(p for p in FRAMEWORK.rglob("*.y*ml") if not any(part in str(p) for part in NOT_CAPABILITIES))
    assert len(examples) > 30
    refused = {}
    for file in examples:
        try:
            load_capability(file)
        except SpecError as exc:
            refused[file.name] = str(exc)
    with capsys.disabled():
        print(f"\nreference examples: {len(examples)}, refused on purpose:")
        for name, message in refused.items():
            print(f"  {name}: {message.split(': ', 1)[1]}")
    assert sorted(refused) == ["aggregate-invalid-ref.yaml", "spectral-semantics-inconsistent.yaml"]
    assert "ref 'unknown.nonexistent' names no aggregate function" in refused["aggregate-invalid-ref.yaml"]
    assert "inconsistent with weather.get-forecast" in refused["spectral-semantics-inconsistent.yaml"]
