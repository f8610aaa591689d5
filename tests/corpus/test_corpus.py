"""Every capability file of the shared corpus either loads or is reported clearly; none crashes."""

from __future__ import annotations

import collections

import pytest
from naftiko_lambda.capability.load import load_capability
from naftiko_lambda.errors import SpecError

from ..conftest import CORPUS

pytestmark = pytest.mark.corpus


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not beside the project")
def test_corpus_loads_or_reports_every_file(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    assert len(files) > 2000
    loaded, reasons = 0, collections.Counter[str]()
    for file in files:
        try:
            capability = load_capability(file)
        except SpecError as exc:
            assert str(file) in str(exc) and exc.message, exc
            reasons[exc.message.split(":")[0].split("(")[0][:60]] += 1
            continue
        loaded += 1
        assert capability.name == file.stem
    with capsys.disabled():  # the counts belong in CI's output
        print(f"\ncorpus: {len(files)} files, {loaded} loaded, {len(files) - loaded} reported with a message")
        for reason, count in reasons.most_common(12):
            print(f"  {count:5d}  {reason}")
    assert loaded > len(files) // 2
