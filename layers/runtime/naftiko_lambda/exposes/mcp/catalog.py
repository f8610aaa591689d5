"""The capabilities one MCP function serves, by name, loaded no sooner than needed.

Without a compiled index (a plain folder: `serve`, tests, a build that skipped compiling) every
capability is loaded when the catalog opens, as a cold start always did. With one (bundle.py),
opening lists the folder and reads the index only; then, per capability and on first use:

- its index entry is used once the hashes of its file and imports matched (bundle.is_current);
- its model is loaded when something runs (a tools/call, its own endpoint ``/mcp/{capability}``,
  resources or prompts on ``/mcp``);
- a file without a current entry is read from its YAML, as without an index.

The all-capabilities endpoint is built from summaries and listings (aggregate_endpoint): listing
its tools loads no model, and a tool is built for tools/call the first time it is called.
Each capability's unserved operations are logged once, when it is first resolved.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from ..lambda_entry import report_unserved
from .bundle import (
    Entry,
    Listing,
    Summary,
    is_current,
    listing_of,
    read_index,
    read_listing,
    read_summaries,
    summarize,
)
from .tools import SEPARATOR, Endpoint, ToolEntry, extras, listed_tool, tool_entry

if TYPE_CHECKING:  # types only: kept off the cold path
    from ...capability.model import Capability
    from .policy import ToolPolicy
    from .search import Fields, SearchIndex


class Catalog:
    """The capability files of one folder, by file name (``names`` maps a capability name to its file)."""

    def __init__(self, folder: Path, files: Sequence[str], index: Mapping[str, Entry] | None) -> None:
        self.folder = folder
        self.files = tuple(files)  # spec files in name order (with an index, shared consumes files too)
        self.names = {Path(f).stem: f for f in self.files}  # a capability is named after its file
        self._index = index or {}
        self._summaries_read: Mapping[str, tuple[str, Summary]] | None = None
        self._current: dict[str, Entry | None] = {}  # file -> its entry once checked (None: not current)
        self._models: dict[str, Capability] = {}
        self._summaries: dict[str, Summary] = {}
        self._listings: dict[str, Listing] = {}
        self._served: dict[str, bool] = {}
        self._reported: set[str] = set()
        self._search: SearchIndex | None = None
        self._lock = threading.RLock()  # `serve` shares one catalog between worker threads

    @classmethod
    def open(cls, directory: str | Path) -> Catalog:
        """The folder's catalog: lazy over a compiled index, else every capability loaded now.

        Raises:
            SpecError: without an index, a capability file that does not load.
        """
        from ...capability.files import capability_files, spec_names

        folder = Path(directory)
        index = read_index(folder)
        if index is not None:
            return cls(folder, spec_names(folder), index)
        catalog = cls(folder, [f.name for f in capability_files(folder)], None)
        for file in catalog.files:
            catalog.load(file)
        return catalog

    def __contains__(self, name: object) -> bool:
        file = self.names.get(name) if isinstance(name, str) else None
        return file is not None and self.served(file)

    def capability(self, name: str) -> Capability:
        """The model of the capability ``name`` (a name this catalog contains)."""
        return self.load(self.names[name])

    def served(self, file: str) -> bool:
        """False for a shared consumes file: it is imported, not served."""
        found = self._served.get(file)
        if found is None:
            entry = self._entry(file)
            if entry is not None:
                found = entry.served
            elif file in self._models:
                found = True
            else:
                from ...capability.files import is_capability_file

                found = is_capability_file(self.folder / file)
            self._served[file] = found
        return found

    def served_files(self) -> list[str]:
        return [f for f in self.files if self.served(f)]

    def summary(self, file: str) -> Summary:
        """What ``/mcp`` needs of a capability: from the compiled summaries when current, else its model."""
        found = self._summaries.get(file)
        if found is None:
            with self._lock:
                entry = self._entry(file)
                found = self._compiled_summary(entry) if entry is not None else None
                if found is None:
                    found = summarize(self.load(file))
                self._summaries[file] = found
                self._report(file, found)
        return found

    def _compiled_summary(self, entry: Entry) -> Summary | None:
        if self._summaries_read is None:
            self._summaries_read = read_summaries(self.folder)  # once, on the first /mcp
        compiled = self._summaries_read.get(entry.file)
        return compiled[1] if compiled is not None and compiled[0] == entry.digest else None

    def load(self, file: str) -> Capability:
        """The file's model, loaded on first use (through its JSON compile cache when current).

        Raises:
            SpecError: the file does not load.
        """
        found = self._models.get(file)
        if found is None:
            with self._lock:
                found = self._models.get(file)
                if found is None:
                    from ...capability.load import load_capability

                    found = self._models[file] = load_capability(self.folder / file)
                    self._report(file, found)
        return found

    def listing(self, file: str) -> Listing:
        """What tools/list shows of the file's tools: its listing file when current, else its model's."""
        found = self._listings.get(file)
        if found is None:
            with self._lock:
                found = self._listings.get(file)
                if found is None:
                    entry = self._entry(file)
                    found = read_listing(self.folder, entry) if entry is not None else None
                    if found is None:
                        found = listing_of(self.load(file))
                    self._listings[file] = found
        return found

    def _entry(self, file: str) -> Entry | None:
        """The file's index entry when it is current (checked once per process), else None."""
        if file in self._current:
            return self._current[file]
        with self._lock:
            entry = self._index.get(file)
            if entry is not None and not is_current(self.folder, entry):
                entry = None
            self._current[file] = entry
        return entry

    def search_index(self) -> SearchIndex:
        """The search index of every served capability's unguarded tools: the compiled one when the
        index is current for every file, else built here from the models (then kept)."""
        if self._search is None:
            with self._lock:
                if self._search is None:
                    from .bundle import read_search
                    from .search import SearchIndex, build_index

                    data = None
                    served = self.served_files()
                    if self._index and all(self._entry(f) is not None for f in served):
                        data = read_search(self.folder)
                    if data is None:
                        data = build_index(search_documents(self.load(f) for f in served))
                    self._search = SearchIndex(data)
        return self._search

    def _report(self, file: str, capability: Capability | Summary) -> None:
        """Log a capability's unserved operations, once: when it is first resolved."""
        if file not in self._reported:
            self._reported.add(file)
            report_unserved((capability,))


def aggregate_endpoint(catalog: Catalog, policy: ToolPolicy | None = None, *, search: bool = False) -> Endpoint:
    """``/`` and ``/mcp``: every capability's unguarded tools as ``<capability>__<tool>``, less
    those ``policy`` denies; ``search``: listing search_tools and call_tool (finder.py), which
    search the compiled index (bundle.py) once the first question comes.

    Tools are listed from summaries and listings; a capability's model is loaded for a call to
    one of its tools, or here when it has resources or prompts (rare) for those to be served.
    """
    keys: dict[str, tuple[str, int, str]] = {}  # tool name -> (file, block, tool's own name)
    labels, with_extras = [], []
    for file in catalog.served_files():
        summary = catalog.summary(file)
        labels.append(f"{summary.name} ({summary.label})")
        for position, block in enumerate(summary.blocks):
            if block.guarded:
                continue
            for index, tool in enumerate(block.tools):  # the first block's tool wins (capability/check.py warns)
                if policy is not None and not policy.open:
                    tags = (*summary.tags, *(block.tags[index] if index < len(block.tags) else ()))
                    read_only = index < len(block.read_only) and block.read_only[index]
                    if not policy.allows(summary.name, tool, read_only=read_only, tags=tags):
                        continue
                keys.setdefault(f"{summary.name}{SEPARATOR}{tool}", (file, position, tool))
            if block.extras and file not in with_extras:
                with_extras.append(file)
    picks = [(c, [b for b in c.mcp if b.auth is None]) for c in map(catalog.load, with_extras)]
    resources, prompts = extras(picks, prefixed=True)
    instructions = f"Tools of the capabilities: {', '.join(labels)}"
    tools, listing = _Tools(catalog, keys), _Listing(catalog, keys)
    if not search:
        return Endpoint("naftiko", instructions, tools, listing, resources, prompts, ())
    from .finder import META_TOOLS, Finder

    def find(question: str, limit: int, allowed: Callable[[str], bool]) -> list[str]:
        return catalog.search_index().search(question, limit, allowed)

    instructions += ". Find a tool with search_tools, then call it with call_tool (or by its name)."
    finder = Finder(find, listing.named, keys.__contains__)
    return Endpoint("naftiko", instructions, tools, META_TOOLS, resources, prompts, (), finder=finder)


class _Tools(Mapping[str, ToolEntry]):
    """The all-capabilities tool table: an entry is built (and its capability loaded) when called."""

    def __init__(self, catalog: Catalog, keys: Mapping[str, tuple[str, int, str]]) -> None:
        self._catalog, self._keys = catalog, keys
        self._built: dict[str, ToolEntry] = {}

    def __getitem__(self, name: str) -> ToolEntry:
        found = self._built.get(name)
        if found is None:
            file, position, tool = self._keys[name]
            capability = self._catalog.load(file)
            operation = next(op for op in capability.mcp[position].tools if op.name == tool)
            found = self._built.setdefault(name, tool_entry(capability, operation, name))
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


class _Listing(Sequence[dict[str, Any]]):
    """The all-capabilities tools/list, in table order: each tool built from its listing when a
    page first shows it, then kept (a warm page costs what it costs on a small bundle)."""

    def __init__(self, catalog: Catalog, keys: Mapping[str, tuple[str, int, str]]) -> None:
        self._catalog = catalog
        self._names = list(keys)
        self._keys = keys
        self._built: dict[int, dict[str, Any]] = {}
        self._positions: dict[str, int] | None = None

    def named(self, name: str) -> dict[str, Any]:
        """The tool ``name`` as tools/list shows it (search results)."""
        if self._positions is None:
            self._positions = {n: i for i, n in enumerate(self._names)}
        return self[self._positions[name]]

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self._names)))]
        found = self._built.get(index)
        if found is None:
            name = self._names[index]
            file, position, tool = self._keys[name]
            found = self._built.setdefault(index, listed_tool(name, self._catalog.listing(file)[position][tool]))
        return found

    def __len__(self) -> int:
        return len(self._names)


def search_documents(capabilities: Iterable[Capability]) -> Iterator[tuple[str, Fields]]:
    """What the all-capabilities search indexes: each unguarded tool as ``<capability>__<tool>``
    (the first block's, as aggregate_endpoint lists them)."""
    from .search import tool_fields

    for capability in capabilities:
        seen: set[str] = set()
        for block in capability.mcp:
            if block.auth is not None:
                continue
            for operation in block.tools:
                if operation.name not in seen:
                    seen.add(operation.name)
                    yield f"{capability.name}{SEPARATOR}{operation.name}", tool_fields(capability, operation)
