"""``naftiko-lambda validate FILE...``: every problem as ``file:line: field: message [severity]``.

The verdict is the loader's (capability/load.py ``inspect_capability``): a file fails exactly when
the runtime would refuse it, for the reason the runtime gives. JSON Schema departures and operations
left out are reported beside it and fail only with ``--strict``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..capability.dialects import SECTIONS, is_beta4, is_section_file, to_builder_shape
from ..capability.files import read_raw
from ..capability.imports import is_import
from ..capability.issues import SpecIssue
from ..capability.load import inspect_capability, line_of
from ..capability.model import Capability
from ..errors import CredentialError, SpecError


def issues_of(file: Path, *, schema: bool = True) -> list[SpecIssue]:
    """Every issue of one file: the loader's, then schema departures. Raises SpecError if unreadable.

    A beta4 shared file (a section without a capability: dialects.py) is not a capability: its
    shape is checked here, its entries when a capability imports them."""
    try:
        raw = read_raw(file, cache=False)
    except OSError as exc:
        raise SpecError(str(file), "", f"cannot read the file: {exc.strerror}") from exc
    if is_beta4(raw) and is_section_file(raw):
        issues = [*to_builder_shape(raw)[1], *_empty_sections(raw)]
        if schema:
            from ..capability.schema import schema_issues

            issues = [*issues, *schema_issues(raw)]
        return issues
    capability, issues = inspect_capability(file, cache=False)
    if capability is not None:
        issues = [*issues, *_signing_key_issues(capability)]
    if schema:
        from ..capability.schema import schema_issues

        issues = [*issues, *schema_issues(raw)]
    return issues


def _signing_key_issues(capability: Capability) -> Iterator[SpecIssue]:
    """A signing key this shell's environment binds that would not sign (not a PEM, not RSA, a
    wrong keystore password): the error names the bind, never the key. Keys in a secret store
    are checked when a request first needs them."""
    for consumes in capability.consumes.values():
        auth = consumes.auth
        template = auth.fields.get("signingKey") if auth is not None and auth.type == "oauth1" else None
        if auth is None or template is None or len(template.variables) != 1 or len(template.parts) != 1:
            continue
        bind = template.variables[0].name
        text = os.environ.get(bind)
        if not text:
            continue
        password_template = auth.fields.get("signingKeyPassword")
        password_vars = password_template.variables if password_template is not None else ()
        password = os.environ.get(password_vars[0].name) if len(password_vars) == 1 else None
        from ..consumes.signing.keys import signing_key

        try:
            signing_key(text, bind, password)
        except CredentialError as exc:
            where = ("capability", "consumes", consumes.namespace, "authentication", "signingKey")
            yield SpecIssue("error", where, f"the environment variable {bind} {exc.message}")


def _empty_sections(raw: dict[str, Any]) -> list[SpecIssue]:
    """A shared file offers entries: at least one per section, none of them an import (a
    capability's import of it would not follow a second one)."""
    issues = []
    for section in SECTIONS:
        entries = raw.get(section)
        if section in raw and not entries:
            issues.append(SpecIssue("error", (section,), f"a shared {section} file needs at least one entry"))
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            if is_import(entry):
                message = "a shared file cannot import: imports do not chain (import it into the capability)"
                issues.append(SpecIssue("error", (section, index), message))
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
