"""The files of a capabilities folder and their compiled forms, without building a model (pure I/O).

What a cold start needs to know of a folder before it loads anything: which spec files there
are (and that no two would be one capability), their hashes, their parsed documents (from the
compile cache when current), which are shared files rather than capabilities. load.py builds
models from these; the MCP bundle reads them without it.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

from ..errors import SpecError

CACHE_DIRNAME = ".naftiko-cache"
"""Folder beside the spec files that holds their compiled JSON (made by `naftiko-lambda compile`)."""


def _cache_file(path: Path, digest: str) -> Path:
    return path.parent / CACHE_DIRNAME / f"{path.stem}-{digest[:16]}.json"


def file_digest(path: Path) -> str:
    """The SHA-256 of a file's bytes (hex): what every compiled form of it is checked against.

    Raises:
        OSError: the file cannot be read.
    """
    return hashlib.sha256(path.read_bytes()).hexdigest()


def spec_names(directory: str | os.PathLike[str]) -> list[str]:
    """The names of the ``*.yaml`` / ``*.yml`` files of a folder (not below it), sorted, shared
    consumes files included: one directory listing, no file opened.

    Raises:
        SpecError: two files would be the same capability (see ``name_key``).
    """
    names = sorted(name for name in os.listdir(directory) if name.endswith((".yaml", ".yml")))
    seen: dict[str, str] = {}
    for name in names:
        first = seen.setdefault(name_key(Path(name).stem), name)
        if first != name:
            message = f"{first} and {name} would be one capability (same name, secret and function): rename one"
            raise SpecError(str(Path(directory) / name), "", message)
    return names


def name_key(name: str) -> str:
    """What no two capability files of a folder may share: the letters and digits of the name,
    case folded. ``m3ter-balances``, ``m3ter_balances`` and ``M3terBalances`` (or a ``.yml`` beside
    the ``.yaml``) would share CAPABILITY_SECRET_M3TER_BALANCES, the template's M3terBalances
    resources, and the MCP function's state: one would read the other's secret."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def spec_files(directory: str | os.PathLike[str]) -> list[Path]:
    return [Path(directory) / name for name in spec_names(directory)]


def read_raw(path: Path, *, cache: bool = True) -> Any:
    """The parsed document, from the compile cache when it is current (and ``cache``), else from
    the YAML. A cache file is read with the same limits as any document (documents.py)."""
    from ..documents import Refused, load_json

    data = path.read_bytes()
    if cache:
        try:
            return load_json(_cache_file(path, hashlib.sha256(data).hexdigest()).read_bytes())
        except (OSError, Refused):
            pass
    from ..documents import load_yaml  # PyYAML: only on a cache miss

    try:
        return load_yaml(data)
    except Refused as exc:
        raise SpecError(str(path), "", exc.message, exc.line) from exc


def is_capability_file(file: Path) -> bool:
    """False for a shared file (a section without a capability block, dialects.py): imported, not served."""
    from .dialects import is_section_file

    try:
        raw = read_raw(file)
    except (OSError, SpecError):
        return True  # let load_capability report it
    return not is_section_file(raw)


def capability_files(directory: str | os.PathLike[str]) -> list[Path]:
    return [f for f in spec_files(directory) if is_capability_file(f)]


def write_atomically(target: Path, text: str) -> None:
    """Write ``text`` to a temporary name beside ``target``, then rename it into place: a reader
    sees the old file or the whole new one, never a part."""
    partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, target)
