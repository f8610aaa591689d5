"""``naftiko-lambda import openapi SOURCE``: read, convert, then write every file or none.

Exit 0 with the files written (warnings on stderr and atop each file); exit 2 with one line
naming the file and JSON pointer at fault, and nothing written, when SOURCE cannot be imported.
"""

from __future__ import annotations

import copy
import datetime
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .convert import CapabilityFile, ImportOptions, import_document
from .document import Document, read_document
from .issues import OpenApiError
from .writer import render

BAD_INPUT = 2


def today(environ: dict[str, str] | os._Environ[str] = os.environ) -> str:
    """Today as YYYY-MM-DD, or the day of ``SOURCE_DATE_EPOCH`` (the reproducible-builds variable)."""
    epoch = environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.datetime.fromtimestamp(int(epoch), datetime.UTC).date().isoformat()
    return datetime.date.today().isoformat()


def run_import(source: Path, output: Path, options: ImportOptions) -> int:
    """Import SOURCE into ``output``; returns the exit code."""
    try:
        document = read_document(source)
        files = import_document(document, options)
    except OpenApiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return BAD_INPUT
    texts = [
        (output / f"{f.stem}.yaml", render(_in(f.mapping, options), header(document, options), f.issues)) for f in files
    ]
    seen = set()
    for f in files:
        for issue in f.issues:
            if issue not in seen:
                seen.add(issue)
                print(f"warning: {document.name}#{issue}", file=sys.stderr)
    output.mkdir(parents=True, exist_ok=True)
    for (target, text), f in zip(texts, files, strict=True):
        partial = target.with_name(f".{target.name}.partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(target)
        print(f"wrote {target} ({_count(f)})")
    return 0


def _in(mapping: Mapping[str, Any], options: ImportOptions) -> Mapping[str, Any]:
    """The file in the dialect asked for: the importer builds alpha2, `migrate`'s rewrite makes beta4."""
    if options.dialect != "beta4":
        return mapping
    from ..beta4 import to_beta4

    rewritten = copy.deepcopy(dict(mapping))
    to_beta4(rewritten)
    return rewritten


def _count(f: CapabilityFile) -> str:
    warnings = len(f.issues)
    return f"{f.operations} operations, {warnings} warning{'s' if warnings != 1 else ''}"


def header(document: Document, options: ImportOptions) -> Sequence[str]:
    """The comment lines that say where the file came from and how to make it again."""
    info = document.root.get("info") or {}
    title = f"{info.get('title', '')} {info.get('version', '')}".strip()
    command = ["naftiko-lambda import openapi", document.name]
    if options.namespace:
        command.append(f"--namespace {options.namespace}")
    if options.split_by_tag:
        command.append("--split-by-tag")
    command.extend(f"--include-tag '{tag}'" for tag in options.include_tags)
    if options.exclude_deprecated:
        command.append("--exclude-deprecated")
    if options.dialect != "alpha2":
        command.append(f"--format {options.dialect}")
    return [
        f"Imported from {document.name} (OpenAPI {document.version}: {title}) by",
        f"  {' '.join(command)}",
        "Review it like code; re-run the import when the document changes.",
    ]
