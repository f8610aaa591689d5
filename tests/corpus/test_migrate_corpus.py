"""Issue 20: every corpus file that loads migrates to beta4 and loads to the same model.

The rewrite (cli/beta4.py) runs on each file as PyYAML reads it and the result goes through the
loader's own pipeline from there (imports resolved beside the original file); `migrate` adds
only ruamel.yaml's round trip of the text around the same rewrite (tests/functional/test_beta4.py
runs the command itself). A file the relaxed alpha2 schema accepts must come out accepted by
the relaxed beta4 schema, unless a list had to stay a list (the notes say which).
"""

from __future__ import annotations

import collections
import copy
import os

import pytest
from naftiko_lambda.capability.files import read_raw
from naftiko_lambda.capability.load import inspect_document, load_capability, prepare
from naftiko_lambda.capability.schema import schema_issues
from naftiko_lambda.cli.beta4 import BETA4, to_beta4
from naftiko_lambda.cli.migrate import model_difference
from naftiko_lambda.errors import SpecError

from ..conftest import CORPUS

pytestmark = pytest.mark.corpus


@pytest.fixture(autouse=True)
def _corpus_present() -> None:
    if not CORPUS.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"the shared corpus is missing at {CORPUS}: CI must run the corpus tests")
        pytest.skip("the shared corpus is not beside the project")


def test_every_loading_corpus_file_migrates_to_the_same_model(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    counts = collections.Counter[str]()
    for file in files:
        try:
            before = load_capability(file)
        except SpecError:
            continue
        written = read_raw(file, cache=False)
        migrated = copy.deepcopy(written)
        notes = to_beta4(migrated)
        assert migrated["ikanos"] == BETA4 and "naftiko" not in migrated, file
        after, issues = inspect_document(prepare(migrated, file), file)
        assert after is not None, (file, [i for i in issues if i.severity == "error"][:1])
        assert model_difference(before, after) is None, (file, model_difference(before, after))
        counts["loaded"] += 1
        valid_before = not schema_issues(written)
        valid_after = not schema_issues(migrated)
        counts["schema-valid alpha2"] += valid_before
        counts["schema-valid beta4"] += valid_after
        if valid_before and not valid_after:
            kept = [n for n in notes if "kept as a list" in n]
            assert kept, (file, schema_issues(migrated)[:2])
            counts["kept a list"] += 1
    with capsys.disabled():
        print(f"\nmigrate: {counts['loaded']} corpus files load and migrate to the same model; " + str(dict(counts)))
    assert counts["loaded"] > 2200
