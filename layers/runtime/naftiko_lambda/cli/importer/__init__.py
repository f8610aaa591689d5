"""``naftiko-lambda import openapi``: an OpenAPI 3.0/3.1 document -> capability files.

The flow, one module per stage: ``document`` (read SOURCE, check every ``$ref``: the only file
I/O), ``operations`` + ``fields`` + ``outputs`` + ``security`` (what each operation becomes,
reading schemas through ``schemas``), ``capability`` (the mapping, in a fixed key order),
``convert`` (files and their warnings), ``writer`` (YAML with the warnings as comments) and
``command`` (the CLI). The Lambda handlers never import this package.
"""

from __future__ import annotations

from .command import run_import
from .convert import CapabilityFile, ImportOptions, import_document
from .document import Document, read_document
from .issues import ImportIssue, OpenApiError
from .writer import render

__all__ = [
    "CapabilityFile",
    "Document",
    "ImportIssue",
    "ImportOptions",
    "OpenApiError",
    "import_document",
    "read_document",
    "render",
    "run_import",
]
