"""SOURCE -> Document: parse YAML or JSON, check it is OpenAPI 3.0/3.1, check every ``$ref``.

The importer's only file I/O. Every ``$ref`` of SOURCE, and of the files it references next to
it, is checked once here and rewritten to a canonical ``<file>#<pointer>`` (``#<pointer>`` for
SOURCE itself, ``<file>`` relative to SOURCE's folder), so the pure conversion can follow any of
them with ``Document.lookup`` without knowing where it was written. Any reference that does not
resolve is an OpenApiError naming the file and the pointer of the ``$ref``: nothing is written.
"""

from __future__ import annotations

import datetime
import os
import re
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from .issues import OpenApiError
from .names import pointer

VERSIONS = ("3.0", "3.1")
"""OpenAPI minor versions read (``openapi: 3.0.x`` / ``3.1.x``)."""
SWAGGER_HINT = (
    "Swagger 2.0 is not supported: no maintained Python library converts it; convert it to "
    "OpenAPI 3 first (for example `npx swagger2openapi SOURCE -o openapi.yaml`) and import that"
)
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed OpenAPI document whose ``$ref``s all resolve.

    ``files`` holds SOURCE under the key ``""`` and each referenced file under its path relative
    to SOURCE's folder; every ``$ref`` in them is canonical (``key#pointer``).
    """

    name: str  # SOURCE's file name, as messages and generated comments show it
    version: str
    files: Mapping[str, Any]

    @property
    def root(self) -> Mapping[str, Any]:
        root: Mapping[str, Any] = self.files[""]
        return root

    def lookup(self, ref: str) -> Any:
        """The node a canonical ``$ref`` names (checked when the document was read)."""
        key, _, fragment = ref.partition("#")
        return _walk(self.files[key], _tokens(fragment))


def read_document(source: Path) -> Document:
    """Read SOURCE and the files its ``$ref``s name. Raises OpenApiError on any bad input."""
    name = source.name
    root = _parse(source, name)
    if not isinstance(root, Mapping):
        raise OpenApiError(name, "", "not an OpenAPI document: the top level is not a mapping")
    if "swagger" in root:
        raise OpenApiError(name, "/swagger", SWAGGER_HINT)
    version = str(root.get("openapi", ""))
    if not version:
        raise OpenApiError(name, "", "not an OpenAPI document: it has no `openapi` field")
    if not re.fullmatch(r"3\.[01](\.\d+)?", version):
        raise OpenApiError(name, "/openapi", f"OpenAPI {version} is not supported (3.0 and 3.1 are)")
    files = _resolve_references(source, root)
    paths = files[""].get("paths")
    if not isinstance(paths, Mapping) or not any(
        isinstance(item, Mapping) and any(m in item for m in METHODS) for item in paths.values()
    ):
        raise OpenApiError(name, "/paths", "the paths object is empty: there is no operation to import")
    return Document(name, version, files)


def _parse(file: Path, name: str) -> Any:
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise OpenApiError(name, "", f"cannot read the file: {exc.strerror}") from exc
    from ...documents import Refused, load_json, load_yaml

    if data.lstrip()[:1] in (b"{", b"["):
        try:
            return load_json(data)
        except Refused:
            pass  # YAML in braces (flow style): let the YAML parser say what is wrong
    try:
        return load_yaml(data)
    except Refused as exc:
        where = f" at line {exc.line}" if exc.line else ""
        raise OpenApiError(name, "", f"not YAML or JSON{where}: {exc.message}") from exc


def _resolve_references(source: Path, root: Any) -> dict[str, Any]:
    """Normalise every file (string keys, dates as text) and rewrite its ``$ref``s canonically."""
    source = source.resolve()
    folder = source.parent
    raw: dict[str, Any] = {"": root}
    files: dict[str, Any] = {}
    queue = deque([""])
    while queue:
        key = queue.popleft()
        if key in files:
            continue
        here = folder / key if key else source

        def on_ref(ref: str, at: tuple[str | int, ...], key: str = key, here: Path = here) -> str:
            label = key or source.name
            target_key, fragment = _target(ref, here, source, label, at)
            if target_key not in raw:
                raw[target_key] = _parse(folder / target_key, target_key)
                queue.append(target_key)
            try:
                _walk(raw[target_key], _tokens(fragment))
            except LookupError:
                raise OpenApiError(label, pointer(*at, "$ref"), f"cannot resolve $ref {ref!r}") from None
            return f"{target_key}#{fragment}"

        files[key] = _normalise(raw[key], (), on_ref)
    return files


def _target(ref: str, here: Path, source: Path, file_label: str, at: tuple[str | int, ...]) -> tuple[str, str]:
    """A ``$ref`` written in ``here`` -> (key of the file it names, decoded fragment)."""
    parts = urlsplit(ref)
    where = pointer(*at, "$ref")
    if parts.scheme or parts.netloc:
        raise OpenApiError(file_label, where, f"$ref {ref!r} is remote: only files next to SOURCE are read")
    fragment = unquote(parts.fragment)
    # realpath, not normpath: a symbolic link inside the folder may point anywhere.
    target = Path(os.path.realpath(here.parent / unquote(parts.path))) if parts.path else here
    folder = source.parent
    if os.path.commonpath([folder, target]) != str(folder):
        raise OpenApiError(file_label, where, f"$ref {ref!r} points outside the folder of SOURCE")
    if not target.is_file():
        raise OpenApiError(file_label, where, f"cannot resolve $ref {ref!r}: no such file")
    return ("" if target == source else target.relative_to(folder).as_posix()), fragment


def _tokens(fragment: str) -> list[str]:
    if fragment in ("", "/"):
        return []
    if not fragment.startswith("/"):
        raise LookupError(fragment)  # a plain-name anchor: OpenAPI documents do not use them
    return [t.replace("~1", "/").replace("~0", "~") for t in fragment[1:].split("/")]


def _walk(node: Any, tokens: list[str]) -> Any:
    for token in tokens:
        if isinstance(node, Mapping):
            # Before _normalise has run on a file, YAML's ``200:`` is still an int key.
            node = node[token] if token in node or not token.isdigit() else node[int(token)]
        elif isinstance(node, list) and token.isdigit():
            node = node[int(token)]
        else:
            raise KeyError(token)
    return node


def _normalise(node: Any, at: tuple[str | int, ...], on_ref: Any) -> Any:
    """A copy with string keys (YAML reads ``200:`` as an int), dates as ISO text, refs rewritten."""
    if isinstance(node, Mapping):
        out = {}
        for key, value in node.items():
            text = str(key).lower() if isinstance(key, bool) else str(key)
            if text == "$ref" and isinstance(value, str):
                out[text] = on_ref(value, at)
            else:
                out[text] = _normalise(value, (*at, text), on_ref)
        return out
    if isinstance(node, list):
        return [_normalise(item, (*at, i), on_ref) for i, item in enumerate(node)]
    if isinstance(node, datetime.date | datetime.datetime):
        return node.isoformat()
    return node
