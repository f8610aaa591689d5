"""``naftiko-lambda migrate FILE...``: rewrite alpha1/alpha2 files as Ikanos ``1.0.0-beta4``.

The rewrite (beta4.py) works on ruamel.yaml's round-trip document, so comments, key order,
quoting and block styles stay where the library keeps them; the indentation of the file is
measured and kept. Before a file is replaced, its migrated text is loaded beside it and must
give the same model as the original (names, operations, inputs, plans, outputs: everything but
where issues are reported); otherwise nothing is written and the difference is named. A beta4
file is left as it is, so running migrate twice changes nothing the second time.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from ..capability.load import load_capability
from ..capability.model import Capability
from ..errors import SpecError
from .beta4 import to_beta4

INDENTS = ((2, 2, 0), (2, 4, 2))
"""ruamel's (mapping, sequence, offset) for lists at their key's column and for indented lists."""


def migrate_files(files: Sequence[Path], *, check: bool = False) -> int:
    """Migrate each file in place (``check``: only say which would change). 0 when all went well
    (``check``: nothing to change), 1 otherwise."""
    failed = changed = False
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"{file}: cannot read it: {exc}")
            failed = True
            continue
        try:
            migrated, notes = migrate_text(text)
        except ValueError as exc:
            print(f"{file}: not migrated: {exc}")
            failed = True
            continue
        if migrated == text:
            print(f"{file}: already beta4")
            continue
        changed = True
        for note in notes:
            print(f"{file}: {note}")
        if check:
            print(f"{file}: would be migrated")
            continue
        problem = _same_model(file, migrated)
        if problem:
            print(f"{file}: not migrated: {problem}")
            failed = True
            continue
        _write(file, migrated)
        print(f"{file}: migrated to beta4")
    return 1 if failed or (check and changed) else 0


def migrate_text(text: str) -> tuple[str, list[str]]:
    """The file's text as beta4 (the same text when it is beta4 already), and notes.

    Raises:
        ValueError: the text is not a YAML mapping.
    """
    from ..documents import Refused, load_yaml

    try:  # the one reader's limits first: ruamel would expand an alias bomb
        load_yaml(text.encode("utf-8"))
    except Refused as exc:
        raise ValueError(exc.message) from None
    yaml = _yaml(_indent_of(text), _width_of(text))
    try:
        document = yaml.load(text)
    except Exception as exc:  # ruamel raises its own YAMLError tree
        raise ValueError(f"invalid YAML: {exc}") from None
    if not hasattr(document, "items"):
        raise ValueError("a capability file is a YAML mapping")
    if "ikanos" in document:
        return text, []
    notes = to_beta4(document)
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue(), notes


def _yaml(indent: tuple[int, int, int], width: int = 4096) -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = width
    mapping, sequence, offset = indent
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def _width_of(text: str) -> int:
    """Fold long text where the file folds it: at its longest line (ruamel does not keep a
    scalar's own line breaks)."""
    return max([80, *(len(line) for line in text.splitlines())])


def _indent_of(text: str) -> tuple[int, int, int]:
    """The indentation style that round-trips the file with the fewest changed lines."""
    best, fewest = INDENTS[0], None
    for indent in INDENTS:
        yaml = _yaml(indent)
        try:
            out = io.StringIO()
            yaml.dump(yaml.load(text), out)
        except Exception:  # not YAML: migrate_text reports it
            return best
        changed = sum(1 for a, b in zip(text.splitlines(), out.getvalue().splitlines(), strict=False) if a != b)
        if fewest is None or changed < fewest:
            best, fewest = indent, changed
    return best


def _same_model(file: Path, migrated: str) -> str | None:
    """None when the migrated text loads to the model the file loads to; else what differs."""
    try:
        before = load_capability(file)
    except SpecError:
        return None  # it does not load as it is: there is no model to keep (validate says why)
    trial = file.with_name(f".{file.name}.migrating")
    try:
        trial.write_text(migrated, encoding="utf-8")
        after = load_capability(trial)
    except SpecError as exc:
        return f"the migrated file does not load ({exc})"
    finally:
        trial.unlink(missing_ok=True)
    return model_difference(before, after)


def model_difference(before: Capability, after: Capability) -> str | None:
    """The first field in which two loads of one capability differ, ignoring where it was read
    from (its name and source) and how issues name fields (``unserved``); None when equal."""
    if len(before.unserved) != len(after.unserved):
        return f"{len(before.unserved)} operations left out before, {len(after.unserved)} after"
    label = before.label if after.label == after.name and before.label == before.name else after.label
    after = replace(after, name=before.name, source=before.source, unserved=before.unserved, label=label)
    for field in fields(Capability):
        if getattr(before, field.name) != getattr(after, field.name):
            return f"its {field.name} would change"
    return None


def _write(file: Path, text: str) -> None:
    partial = file.with_name(f".{file.name}.{os.getpid()}.tmp")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, file)
