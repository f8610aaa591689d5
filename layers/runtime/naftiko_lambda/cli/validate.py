"""``naftiko-lambda validate FILE...``: every problem as ``file:line: field: message``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..capability.build import build_capability
from ..capability.check import check_capability
from ..capability.issues import SpecIssue
from ..capability.load import line_of, read_raw, resolve_imports
from ..errors import SpecError


def issues_of(file: Path, *, schema: bool = True) -> list[SpecIssue]:
    """Every issue of one file: schema, structure and meaning. Raises SpecError if unreadable."""
    try:
        raw = read_raw(file)
    except OSError as exc:
        raise SpecError(str(file), "", f"cannot read the file: {exc.strerror}") from exc
    issues: list[SpecIssue] = []
    if schema:
        from ..capability.schema import schema_issues

        issues.extend(schema_issues(raw))
    document, imports = resolve_imports(raw, file)
    capability, built = build_capability(document, file.stem, str(file), imports=imports)
    issues.extend(built)
    if capability is not None:
        issues.extend(check_capability(capability))
    return issues


def validate_files(files: Sequence[Path], *, schema: bool = True) -> int:
    """Print each issue; 1 when any file has an error, 0 otherwise (warnings do not fail)."""
    failed = False
    for file in files:
        try:
            issues = issues_of(file, schema=schema)
        except SpecError as exc:
            print(f"{exc} [error]")
            failed = True
            continue
        errors = sum(1 for i in issues if i.fails_validation)
        for issue in issues:
            line = line_of(file, issue)
            print(f"{file}:{line or 1}: {issue.field}: {issue.message} [{issue.severity}]")
        failed = failed or errors > 0
        print(f"{file}: {'FAILED' if errors else 'ok'} ({errors} errors, {len(issues) - errors} warnings)")
    return 1 if failed else 0
