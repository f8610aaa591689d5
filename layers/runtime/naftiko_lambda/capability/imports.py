"""Imported sections -> inlined entries: a capability's ``{import, from, as}`` entries replaced by
the entries they name in shared files of its folder (reads files; no model).

alpha2 imports consumed adapters only, as ``{import, location, as}``; beta4 imports any section
(``consumes``, ``exposes``, ``aggregates``, ``binds``) as ``{from, import, as}``. Either way the
path is relative to the importing file and never outside its folder; the source is a shared file
(its root section) or another capability (its ``capability.<section>``), in either dialect; the
first entry there whose ``namespace`` is ``import`` is copied, renamed to ``as`` when given. An
entry of the source that is itself an import is never followed (no chains).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..errors import SpecError
from .dialects import SECTIONS, is_beta4, to_builder_shape
from .files import read_raw
from .issues import FieldPath

Fail = Callable[[FieldPath, str], SpecError]
"""Makes the SpecError for a field of the importing file (load.py knows its lines)."""


def is_import(entry: Any) -> bool:
    return (
        isinstance(entry, Mapping)
        and ("import" in entry or "from" in entry or "location" in entry)
        and ("baseUri" not in entry and "type" not in entry and "keys" not in entry)
    )


def resolve_imports(raw: Any, file: Path, fail: Fail, *, cache: bool = True) -> tuple[Any, tuple[str, ...]]:
    """The document (builder shape, dialects.py) with each import entry of its capability replaced
    by the entry it names, and the files read.

    Raises:
        SpecError: an import names no file of the folder, a file that cannot be read, or no entry.
    """
    cap = raw.get("capability") if isinstance(raw, Mapping) else None
    if not isinstance(cap, Mapping):
        return raw, ()
    beta4 = is_beta4(raw)
    sections = SECTIONS if beta4 else ("consumes",)
    imported: list[str] = []
    resolved_cap = dict(cap)
    for section in sections:
        entries = cap.get(section)
        if not isinstance(entries, list) or not any(is_import(e) for e in entries):
            continue
        out = []
        for index, entry in enumerate(entries):
            if not is_import(entry):
                out.append(entry)
                continue
            found, target = _one(entry, section, ("capability", section, index), file, fail, beta4, cache)
            out.append(found)
            imported.append(str(target))
        resolved_cap[section] = out
    if not imported:
        return raw, ()
    return {**raw, "capability": resolved_cap}, tuple(dict.fromkeys(imported))


def _one(
    entry: Mapping[str, Any], section: str, at: FieldPath, file: Path, fail: Fail, beta4: bool, cache: bool
) -> tuple[dict[str, Any], Path]:
    key = "from" if beta4 else "location"
    if beta4 and "location" in entry and "from" not in entry:
        raise fail((*at, "location"), "beta4 imports say `from`, not `location` (the alpha2 spelling)")
    if not beta4 and "from" in entry and "location" not in entry:
        raise fail((*at, "from"), "alpha2 imports say `location`; `from` is beta4 (ikanos: 1.0.0-beta4)")
    if "openapi" in entry and "import" not in entry:
        raise fail(
            (*at, "openapi"),
            "consumes taken from an OpenAPI document at run time are not supported: "
            "convert it once with `naftiko-lambda import openapi`",
        )
    namespace, where = entry.get("import"), entry.get(key)
    if not isinstance(namespace, str) or not namespace or not isinstance(where, str) or not where:
        raise fail((*at, "import"), f"an imported {section} entry needs `import` (a namespace) and `{key}` (a file)")
    root = file.parent.resolve()
    target = (root / where.removeprefix("file://").lstrip("/")).resolve()
    if not target.is_relative_to(root):
        raise fail((*at, key), f"{where!r} points outside the capabilities folder")
    if target == file.resolve():
        raise fail((*at, key), f"{where!r} is this file: a file cannot import from itself")
    if target.is_dir():
        raise fail((*at, key), f"{where!r} is a folder: name the file to import from")
    try:
        document, _ = to_builder_shape(read_raw(target, cache=cache))
    except (OSError, SpecError) as exc:
        raise fail((*at, key), f"{where!r} cannot be read: {getattr(exc, 'strerror', None) or exc}") from exc
    found = next((e for e in _section_of(document, section) if e.get("namespace") == namespace), None)
    if found is None:
        what = {"consumes": "consumes adapter", "exposes": "exposes adapter", "aggregates": "aggregate"}
        raise fail((*at, "import"), f"{where!r} has no {what.get(section, 'binding')} with namespace {namespace!r}")
    alias = entry.get("as")
    copied = {**found, "namespace": alias} if isinstance(alias, str) and alias else dict(found)
    if entry.get("description") and not copied.get("description"):
        copied["description"] = entry["description"]
    return copied, target


def _section_of(document: Any, section: str) -> list[Mapping[str, Any]]:
    """The entries a source file offers: its root section, else its capability's (imports excluded)."""
    if not isinstance(document, Mapping):
        return []
    entries = document.get(section)
    if not isinstance(entries, list) and isinstance(document.get("capability"), Mapping):
        entries = document["capability"].get(section)
    return [e for e in entries or [] if isinstance(e, Mapping) and not is_import(e)]
