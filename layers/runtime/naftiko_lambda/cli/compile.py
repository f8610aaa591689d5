"""`naftiko-lambda compile`: the compiled forms a cold start reads instead of parsing YAML.

For each spec file given, and each capability file of each folder given, the parsed document
as JSON; then, for each folder given, the MCP index of all its spec files (exposes/mcp/bundle.py),
which lets the MCP function start without loading any capability.
Everything is keyed by content hash, so running it again after an edit is all that is needed,
and a forgotten run only costs speed. `sam build` runs it on the MCP function's copy of the
capabilities (functions/Makefile).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from ..errors import SpecError

BAD_INPUT = 2


def compile_command(paths: Sequence[Path]) -> int:
    """Compile, print what was written; 2 (one line on stderr naming the file) when a spec cannot
    be read or does not load: then nothing is written."""
    from ..capability.files import capability_files
    from ..capability.load import compile_capabilities
    from ..exposes.mcp.bundle import compile_bundle

    files: list[Path] = []
    try:
        for path in paths:
            files += capability_files(path) if path.is_dir() else [path]
        for target in compile_capabilities(files):
            print(f"wrote {target}")
        for folder in dict.fromkeys(p for p in paths if p.is_dir()):
            print(f"wrote {compile_bundle(folder)}")
    except SpecError as exc:
        print(exc, file=sys.stderr)
        return BAD_INPUT
    except OSError as exc:  # a folder that cannot be listed, a cache folder that cannot be written
        print(f"{exc.filename}: {exc.strerror}", file=sys.stderr)
        return BAD_INPUT
    return 0
