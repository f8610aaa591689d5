"""The compiled MCP bundle: what the MCP function knows of every capability without loading it.

`naftiko-lambda compile` (and so `sam build`, through functions/Makefile) writes two kinds of
file into ``.naftiko-cache/mcp/`` beside the capability files:

- ``index.json``: for each spec file of the folder, the SHA-256 of its bytes and of every file
  it imports, whether it is a capability (a shared consumes file is not) and the name of its
  listing file; plus the SHA-256 of the runtime code that compiled it (``code_digest``). Small:
  all a cold start of ``/mcp/{capability}`` reads besides that capability;
- ``summaries.json``: for each capability, its label, unserved operations and MCP blocks
  (namespace, guarded by its own authentication or not, tool names, whether it has resources or
  prompts): what the all-capabilities ``/mcp`` lists its tools from;
- ``<stem>-<digest>.json`` per capability: each tool of its unguarded blocks as tools/list shows
  it (tools.tool_listing), one object per block, read when a page shows one of them.

An entry is current when the hashes of its file and imports match the files as they are now
(catalog.py checks them on first use); anything else is loaded from the YAML. So a stale
compiled file is never used, and a file added after compiling is served all the same.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...capability.files import CACHE_DIRNAME, file_digest, is_capability_file, spec_files, write_atomically
from .tools import listed_tool, tool_listing

if TYPE_CHECKING:  # types only: a cold start builds no model
    from ...capability.model import Capability

BUNDLE_DIRNAME = "mcp"
"""The bundle's folder inside the compile cache folder."""
INDEX_FILE = "index.json"
SUMMARIES_FILE = "summaries.json"
SEARCH_FILE = "search.json"
FORMAT = 3
"""Version of the index layout; an index of another version is not read."""
PACKAGE = Path(__file__).resolve().parents[2]

Listing = list[dict[str, dict[str, Any]]]
"""One capability's tools as tools/list shows them: per MCP block, tool name -> tool_listing()."""


@dataclass(frozen=True, slots=True)
class Block:
    namespace: str
    guarded: bool  # declares its own inbound authentication: not on the all-capabilities /mcp
    tools: tuple[str, ...]
    extras: bool  # has resources or prompts
    read_only: tuple[bool, ...] = ()  # each tool's readOnly hint (policy.py: read-only callers)
    tags: tuple[tuple[str, ...], ...] = ()  # each tool's own tags (beta4)


@dataclass(frozen=True, slots=True)
class Summary:
    """What the all-capabilities endpoint and the router need of a capability."""

    name: str
    label: str
    unserved: tuple[str, ...]
    blocks: tuple[Block, ...]
    tags: tuple[str, ...] = ()  # info.tags


@dataclass(frozen=True, slots=True)
class Entry:
    """One spec file in the index."""

    file: str
    digest: str
    imports: Mapping[str, str]  # imported file, relative to the folder -> its SHA-256
    served: bool  # False for a shared consumes file (imported, not served)
    listing: str | None  # the capability's listing file in the bundle folder


def summarize(capability: Capability) -> Summary:
    blocks = tuple(
        Block(
            b.namespace,
            b.auth is not None,
            tuple(t.name for t in b.tools),
            bool(b.resources or b.prompts),
            tuple(t.hints.read_only for t in b.tools),
            tuple(t.tags for t in b.tools),
        )
        for b in capability.mcp
    )
    return Summary(capability.name, capability.label, capability.unserved, blocks, capability.tags)


def listing_of(capability: Capability) -> Listing:
    """What tools/list shows of each tool of the capability's unguarded blocks (guarded: ``{}``)."""
    listing: Listing = []
    for block in capability.mcp:
        tools: dict[str, dict[str, Any]] = {}
        if block.auth is None:
            for operation in block.tools:
                tools.setdefault(operation.name, tool_listing(capability, operation))
        listing.append(tools)
    return listing


CODE_STAMP = PACKAGE / "CODE_DIGEST"
"""The layer's build writes code_digest() here (layers/runtime/Makefile): a deployed cold start
reads it instead of hashing every module of the package again."""


@cache
def code_digest() -> str:
    """The SHA-256 of the runtime code that turns spec files into models and tool listings (every
    module of the package but the command line): an index compiled by other code is not used."""
    try:
        return CODE_STAMP.read_text(encoding="ascii").strip()
    except OSError:
        pass
    digest = hashlib.sha256()
    for root, dirs, files in os.walk(PACKAGE):
        dirs[:] = sorted(d for d in dirs if d not in ("cli", "__pycache__"))
        relative = os.path.relpath(root, PACKAGE)
        for name in sorted(files):
            if name.endswith(".py"):
                with open(os.path.join(root, name), "rb") as source:
                    digest.update(os.path.normpath(os.path.join(relative, name)).encode() + b"\0" + source.read())
    return digest.hexdigest()


def compile_bundle(directory: str | os.PathLike[str]) -> Path:
    """Write the folder's MCP index, summaries and each capability's listing file; returns the index.

    Every spec file of the folder is loaded (through its JSON compile cache when current), so a
    file that does not load stops the compile with its SpecError, as it would stop a cold start.
    The index is written last, and listing files it does not name are removed after it.
    """
    import mcp_types as types

    from ...capability.load import load_capability

    folder = Path(directory)
    bundle_dir = folder / CACHE_DIRNAME / BUNDLE_DIRNAME
    bundle_dir.mkdir(parents=True, exist_ok=True)
    root = folder.resolve()
    entries: dict[str, list[Any]] = {}
    summaries: dict[str, list[Any]] = {}
    served: list[Capability] = []
    for file in spec_files(folder):
        digest = file_digest(file)
        if not is_capability_file(file):
            entries[file.name] = [digest, {}, False, None]
            continue
        capability = load_capability(file)
        served.append(capability)
        imports = {str(Path(i).relative_to(root)): file_digest(Path(i)) for i in capability.imports}
        both = hashlib.sha256("\n".join([digest, *imports.values(), code_digest()]).encode()).hexdigest()
        listing = f"{file.stem}-{both[:16]}.json"
        tools = listing_of(capability)
        for block in tools:  # what the SDK will check when it sends them, checked now
            for name, found in block.items():
                types.Tool.model_validate(listed_tool(name, found))
        write_atomically(bundle_dir / listing, json.dumps(tools, separators=(",", ":")))
        entries[file.name] = [digest, imports, True, listing]
        summary = summarize(capability)
        blocks = [
            [b.namespace, b.guarded, list(b.tools), b.extras, list(b.read_only), [list(t) for t in b.tags]]
            for b in summary.blocks
        ]
        summaries[file.name] = [digest, summary.label, list(summary.unserved), blocks, list(summary.tags)]
    write_atomically(bundle_dir / SUMMARIES_FILE, json.dumps(summaries, separators=(",", ":")))
    from .catalog import search_documents
    from .search import build_index

    write_atomically(bundle_dir / SEARCH_FILE, json.dumps(build_index(search_documents(served)), separators=(",", ":")))
    index = bundle_dir / INDEX_FILE
    document = {"format": FORMAT, "code_digest": code_digest(), "files": entries}
    write_atomically(index, json.dumps(document, separators=(",", ":")))
    keep = {INDEX_FILE, SUMMARIES_FILE, SEARCH_FILE, *(entry[3] for entry in entries.values() if entry[3])}
    for old in bundle_dir.glob("*.json"):
        if old.name not in keep:
            old.unlink()
    return index


def read_index(directory: str | os.PathLike[str]) -> Mapping[str, Entry] | None:
    """The folder's index entries by file name; None when there is no usable index (none, another
    format, unreadable, or compiled by other runtime code). Nothing here says an entry is current."""
    document = _read(Path(directory) / CACHE_DIRNAME / BUNDLE_DIRNAME / INDEX_FILE)
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        return None
    if document.get("code_digest") != code_digest():
        return None
    return _Entries(document["files"])


def read_summaries(directory: str | os.PathLike[str]) -> Mapping[str, tuple[str, Summary]]:
    """Each capability's (file digest, summary) by file name; empty when unreadable."""
    document = _read(Path(directory) / CACHE_DIRNAME / BUNDLE_DIRNAME / SUMMARIES_FILE)
    return _Summaries(document if isinstance(document, dict) else {})


def read_search(directory: str | os.PathLike[str]) -> Any:
    """The compiled search index (search.py's data), or None when it is missing or unreadable."""
    found = _read(Path(directory) / CACHE_DIRNAME / BUNDLE_DIRNAME / SEARCH_FILE)
    return found if isinstance(found, dict) else None


def is_current(directory: Path, entry: Entry) -> bool:
    """Whether the entry was compiled from the bytes its file and imported files hold now."""
    try:
        if file_digest(directory / entry.file) != entry.digest:
            return False
        return all(file_digest(directory / path) == digest for path, digest in entry.imports.items())
    except OSError:
        return False


def read_listing(directory: Path, entry: Entry) -> Listing | None:
    """A current entry's listing file, or None when it is missing or unreadable."""
    if entry.listing is None:
        return None
    found = _read(directory / CACHE_DIRNAME / BUNDLE_DIRNAME / entry.listing)
    return found if isinstance(found, list) else None


def _read(file: Path) -> Any:
    try:
        return json.loads(file.read_bytes())
    except (OSError, ValueError):
        return None


class _Entries(Mapping[str, Entry]):
    """The index as read: an Entry is made when first asked for (a cold start asks for one or all)."""

    def __init__(self, raw: dict[str, list[Any]]) -> None:
        self._raw = raw

    def __getitem__(self, file: str) -> Entry:
        digest, imports, served, listing = self._raw[file]
        return Entry(file, digest, imports, served, listing)

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


class _Summaries(Mapping[str, tuple[str, Summary]]):
    def __init__(self, raw: dict[str, list[Any]]) -> None:
        self._raw = raw

    def __getitem__(self, file: str) -> tuple[str, Summary]:
        digest, label, unserved, blocks, tags = self._raw[file]
        found = tuple(
            Block(ns, guarded, tuple(tools), extras, tuple(read_only), tuple(tuple(t) for t in tool_tags))
            for ns, guarded, tools, extras, read_only, tool_tags in blocks
        )
        return digest, Summary(Path(file).stem, label, tuple(unserved), found, tuple(tags))

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)
