"""The seeds as Ikanos beta4 files: migrated once per test process by the `migrate` command itself."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import cache
from pathlib import Path

from naftiko_lambda.cli.migrate import migrate_files

DIALECTS = ("alpha2", "beta4")


@cache
def _folder() -> Path:
    from ..conftest import SEED_FILES

    folder = Path(tempfile.mkdtemp(prefix="beta4-seeds-"))
    atexit.register(shutil.rmtree, folder, True)
    copies = []
    for file in SEED_FILES:
        copies.append(folder / file.name)
        shutil.copyfile(file, copies[-1])
    assert migrate_files(copies) == 0  # each one checked to load to the seed's own model
    return folder


def in_dialect(file: Path, dialect: str) -> Path:
    """The seed ``file`` as written (alpha2), or its migrated beta4 copy (the same file name)."""
    if dialect == "alpha2":
        return file
    migrated = _folder() / file.name
    assert migrated.read_text(encoding="utf-8").startswith("ikanos: 1.0.0-beta4")
    return migrated
