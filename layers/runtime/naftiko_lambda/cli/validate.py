"""``naftiko-lambda validate FILE...``: every problem as ``file:line: field: message [severity]``.

The verdict is the loader's (capability/load.py ``inspect_capability``): a file fails exactly when
the runtime would refuse it, for the reason the runtime gives. JSON Schema departures and operations
left out are reported beside it and fail only with ``--strict``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..capability.files import read_raw
from ..capability.issues import SpecIssue
from ..capability.load import inspect_capability, line_of
from ..errors import SpecError


def issues_of(file: Path, *, schema: bool = True) -> list[SpecIssue]:
    """Every issue of one file: the loader's, then schema departures. Raises SpecError if unreadable."""
    _, issues = inspect_capability(file, cache=False)
    if schema:
        from ..capability.schema import schema_issues

        issues = [*issues, *schema_issues(read_raw(file, cache=False))]
    return issues


def validate_files(files: Sequence[Path], *, schema: bool = True, strict: bool = False) -> int:
    """Print each issue; 1 when any file would be refused (``strict``: or is not clean), else 0."""
    failed = False
    for file in files:
        try:
            issues = issues_of(file, schema=schema)
        except SpecError as exc:
            print(f"{exc} [error]")
            failed = True
            continue
        errors = sum(1 for i in issues if i.fails_validation)
        others = sum(1 for i in issues if i.fails_strict and not i.fails_validation)
        for issue in issues:
            line = line_of(file, issue)
            print(f"{file}:{line or 1}: {issue.field}: {issue.message} [{issue.severity}]")
        bad = errors > 0 or (strict and others > 0)
        failed = failed or bad
        print(f"{file}: {'FAILED' if bad else 'ok'} ({errors} errors, {len(issues) - errors} warnings)")
    return 1 if failed else 0
