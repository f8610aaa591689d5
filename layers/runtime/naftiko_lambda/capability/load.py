"""Capability files -> model: the only module that reads spec files.

Parsing YAML is the slow part of a cold start (~100 ms for the 132 KB m3ter spec even with
libyaml), so ``compile_capabilities`` stores each parsed file as JSON in a cache folder keyed by
the file's SHA-256; ``load_capability`` reads that cache when it holds the file's current hash
(~2 ms) and parses the YAML otherwise. A stale cache can therefore never be used.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import SpecError
from .build import build_capability
from .check import check_capability
from .dialects import beta4_path, is_beta4, to_builder_shape
from .files import _cache_file, capability_files, read_raw, write_atomically
from .imports import resolve_imports
from .issues import SpecIssue
from .model import Capability


def _yaml() -> tuple[Any, Any]:
    """PyYAML and its fastest safe loader, imported only on a cache miss (~25 ms saved)."""
    import yaml

    return yaml, getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class Document:
    """A capability file as the builder reads it: ``raw`` in the one (alpha2) shape with its
    imports inlined, ``written`` as parsed (to name fields as the file does), the files it
    imported, and what reshaping a beta4 file found (dialects.py)."""

    raw: Any
    written: Any
    imports: tuple[str, ...]
    issues: tuple[SpecIssue, ...]


def read_document(file: Path, *, cache: bool = True) -> Document:
    """The parsed capability file in the builder's shape, with its imported sections inlined.

    Raises:
        SpecError: the file (or an imported one) cannot be read or parsed, or an import is wrong;
            the message names the importing file, its line and the field.
    """
    try:
        written = read_raw(file, cache=cache)
    except OSError as exc:
        raise SpecError(str(file), "", f"cannot read the file: {exc.strerror}") from exc
    return prepare(written, file, cache=cache)


def prepare(written: Any, file: Path, *, cache: bool = True) -> Document:
    """A parsed document of ``file`` in the builder's shape, imports inlined (read_document's
    work after reading; `migrate`'s checks hand it a rewritten document)."""
    raw, issues = to_builder_shape(written)

    def fail(at: tuple[str | int, ...], message: str) -> SpecError:
        issue = _as_written(written, SpecIssue("error", at, message))
        return SpecError(str(file), issue.field, message, line_of(file, issue))

    raw, imports = resolve_imports(raw, file, fail, cache=cache)
    return Document(raw, written, imports, tuple(issues))


def _as_written(written: Any, issue: SpecIssue) -> SpecIssue:
    """The issue at the field of the file as written (a beta4 file's keys, not list indices)."""
    return replace(issue, path=beta4_path(written, issue.path)) if is_beta4(written) else issue


def inspect_capability(file: Path, *, cache: bool = True) -> tuple[Capability | None, list[SpecIssue]]:
    """The model of a capability file (None when it cannot be served) and every issue found in
    it: the one judgement `validate`, the loader, `compile`, `serve` and `template` share.
    ``cache=False`` reads the YAML even when a compiled form exists (`validate`: what it judges
    is the text a reviewer reads).

    Raises:
        SpecError: the file (or an imported one) cannot be read or parsed.
    """
    return inspect_document(read_document(file, cache=cache), file)


def inspect_document(document: Document, file: Path) -> tuple[Capability | None, list[SpecIssue]]:
    """inspect_capability of a document already read (``prepare``)."""
    capability, issues = build_capability(document.raw, file.stem, str(file), imports=document.imports)
    if capability is not None:
        issues = [*issues, *check_capability(capability)]
    issues = [*document.issues, *(_as_written(document.written, i) for i in issues)]
    if capability is None or any(i.severity == "error" for i in issues):
        return None, issues
    unserved = tuple(f"{i.field}: {i.message}" for i in issues if i.severity == "unserved")
    return (replace(capability, unserved=unserved) if unserved else capability), issues


def load_capability(path: str | os.PathLike[str]) -> Capability:
    """Load one capability file into a ready-to-serve model.

    Raises:
        SpecError: the file is missing, is not YAML, or has an error (the first one, with its line).
    """
    file = Path(path)
    capability, issues = inspect_capability(file)
    if capability is not None:
        return capability
    errors = [i for i in issues if i.severity == "error"]  # "unserved" ones leave only their item out
    first = errors[0]
    more = f" (and {len(errors) - 1} more: run `naftiko-lambda validate {file}`)" if len(errors) > 1 else ""
    raise SpecError(str(file), first.field, first.message + more, line_of(file, first))


def load_capabilities(directory: str | os.PathLike[str]) -> tuple[Capability, ...]:
    """Every capability file (``*.yaml`` / ``*.yml``) in a folder, sorted by name; shared consumes
    files beside them are skipped (they are imported, not served)."""
    return tuple(load_capability(f) for f in capability_files(directory))


def compile_capabilities(files: list[Path]) -> list[Path]:
    """Write the JSON compile cache of each file; returns what was written.

    Every file is read and loaded before anything is written, so a file that cannot be read or
    does not load (a SpecError naming it) leaves nothing behind. Each cache file is written to a
    temporary name and renamed into place. YAML is read as JSON values (documents.py), so the
    cache holds the document exactly.
    """
    parsed = []
    for file in files:
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise SpecError(str(file), "", f"cannot read the file: {exc.strerror}") from exc
        load_capability(file)  # raises the SpecError that names the file, field and line
        from ..documents import load_yaml

        parsed.append((file, data, load_yaml(data)))
    written = []
    for file, data, raw in parsed:
        target = _cache_file(file, hashlib.sha256(data).hexdigest())
        target.parent.mkdir(exist_ok=True)
        write_atomically(target, json.dumps(raw, separators=(",", ":")))
        try:
            load_capability(file)  # through the cache just written: its JSON must give the same file
        except SpecError:
            target.unlink()
            raise
        for old in target.parent.glob(f"{file.stem}-*.json"):
            if old != target and len(old.stem) == len(file.stem) + 17:
                old.unlink()
        written.append(target)
    return written


def line_of(file: Path, issue: SpecIssue) -> int | None:
    """The 1-based line of the issue's field in the file, found by walking the YAML node tree.

    Only used when reporting, so the slower node composition never runs on a good cold start.
    """
    from ..documents import compose_yaml

    yaml, _ = _yaml()
    try:
        node = compose_yaml(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None
    line = node.start_mark.line + 1 if node is not None else None
    for part in issue.path:
        if node is None:
            break
        child = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    child = value
                    break
            if child is None and isinstance(part, int) and part < len(node.value):
                child = node.value[part][1]  # a beta4 keyed map read as a list
        elif isinstance(node, yaml.SequenceNode):
            if isinstance(part, int) and part < len(node.value):
                child = node.value[part]
            else:  # a name in place of an index: the item whose name or namespace matches
                for item in node.value:
                    if isinstance(item, yaml.MappingNode) and any(
                        k.value in ("name", "namespace") and v.value == part for k, v in item.value
                    ):
                        child = item
                        break
        if child is None:
            # named sub-paths (exposes namespace, operation name) may skip a level: search below
            child = _find_named(node, part)
        if child is None:
            break
        node = child
        line = node.start_mark.line + 1
    return line


def _find_named(node: Any, name: str | int) -> Any:
    yaml, _ = _yaml()
    if isinstance(node, yaml.MappingNode):
        if any(k.value in ("name", "namespace") and getattr(v, "value", None) == name for k, v in node.value):
            return node
        keyed = next((v for k, v in node.value if k.value == name and isinstance(v, yaml.MappingNode)), None)
        if keyed is not None:  # beta4: the entry keyed by the name
            return keyed
        children = [v for _, v in node.value]
    elif isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    else:
        return None
    for child in children:
        found = _find_named(child, name)
        if found is not None:
            return found
    return None
