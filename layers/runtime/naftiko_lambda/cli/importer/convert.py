"""Document + options -> capability files (name, mapping, warnings), nothing written (pure).

One file, or with ``split_by_tag`` one per tag (``<ns>-<tag>``; an operation goes to its first
tag, or its first included tag; untagged ones to ``<ns>-default``). The base URI is the first
server's URL with its variables at their defaults; a relative or missing server becomes a bound
``<NS>_BASE_URL`` variable (with the relative path after it) and a warning.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...capability.templates import Var, compile_path, compile_template, fill
from .capability import Info, capability_mapping
from .document import Document
from .issues import ImportIssue, OpenApiError
from .names import kebab, namespace_of, upper_snake
from .operations import Operation, Selected, convert, select
from .schemas import Schemas, as_mapping, inert
from .security import authentication

UNTAGGED = "default"


@dataclass(frozen=True, slots=True)
class ImportOptions:
    namespace: str | None = None
    split_by_tag: bool = False
    include_tags: tuple[str, ...] = ()
    exclude_deprecated: bool = False
    today: str = "1970-01-01"  # YYYY-MM-DD for info.created / modified (the caller passes today)
    dialect: str = "alpha2"  # what the files are written in: "alpha2" (Naftiko) or "beta4" (Ikanos)


@dataclass(frozen=True, slots=True)
class CapabilityFile:
    """One file to write: ``stem`` (the capability's name), its mapping and its warnings."""

    stem: str
    mapping: Mapping[str, Any]
    issues: tuple[ImportIssue, ...] = field(default_factory=tuple)
    operations: int = 0


def import_document(document: Document, options: ImportOptions) -> list[CapabilityFile]:
    """The capability files for ``document``. Raises OpenApiError when nothing can be imported."""
    namespace = options.namespace or namespace_of(str(_info(document).get("title") or document.name))
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", namespace):
        raise OpenApiError(document.name, "", f"namespace {namespace!r} must be kebab-case (a-z, 0-9, -)")
    shared: list[ImportIssue] = []
    schemas = Schemas(document, shared)
    selected = select(
        document, schemas, include_tags=options.include_tags, exclude_deprecated=options.exclude_deprecated
    )
    if not selected:
        raise OpenApiError(
            document.name, "/paths", "no operation is left to import after the tag and deprecation filters"
        )
    base_uri = _base_uri(document, upper_snake(namespace), shared)
    files = []
    for stem, tag, members in _groups(namespace, selected, options):
        built = _file(document, stem, tag, members, base_uri, namespace, options, tuple(shared))
        if built is not None:
            files.append(built)
    if not files:
        raise OpenApiError(document.name, "/paths", "no operation could be imported (see the warnings)")
    return files


def _info(document: Document) -> Mapping[str, Any]:
    info = document.root.get("info")
    return info if isinstance(info, Mapping) else {}


def _groups(
    namespace: str, selected: list[Selected], options: ImportOptions
) -> list[tuple[str, str | None, list[Selected]]]:
    if not options.split_by_tag:
        return [(namespace, None, selected)]
    groups: dict[str, tuple[str, list[Selected]]] = {}
    for op in selected:
        tags = [t for t in op.tags if not options.include_tags or t in options.include_tags]
        tag = tags[0] if tags else UNTAGGED
        stem = f"{namespace}-{kebab(tag) or UNTAGGED}"
        groups.setdefault(stem, (tag, []))[1].append(op)
    return [(stem, tag, members) for stem, (tag, members) in groups.items()]


def _file(
    document: Document,
    stem: str,
    tag: str | None,
    members: list[Selected],
    base_uri: str,
    namespace: str,
    options: ImportOptions,
    shared: tuple[ImportIssue, ...],
) -> CapabilityFile | None:
    issues: list[ImportIssue] = []
    schemas = Schemas(document, issues)
    operations: list[Operation] = [op for s in members if (op := convert(schemas, s)) is not None]
    if not operations:
        return None
    prefix = upper_snake(namespace)
    auth, unmet = authentication(document.root, [(op.where, op.security) for op in operations], prefix)
    for where, names in unmet.items():
        used = auth.scheme or "no authentication"
        issues.append(ImportIssue(where, f"requires {names}, which the capability does not carry: it sends {used}"))
    variables = [*_variables(base_uri), *auth.variables]
    mapping = capability_mapping(
        stem, _capability_info(schemas, tag, operations, options), base_uri, auth.block, variables, operations
    )
    return CapabilityFile(stem, mapping, (*shared, *auth.issues, *issues), len(operations))


def _capability_info(schemas: Schemas, tag: str | None, operations: list[Operation], options: ImportOptions) -> Info:
    document = schemas.document
    info = _info(document)
    title = schemas.text(info.get("title") or document.name, "/info/title")
    description = schemas.text(info.get("description") or info.get("summary"), "/info/description")
    declared = {str(t.get("name")): t for t in document.root.get("tags") or () if isinstance(t, Mapping)}
    if tag is None:
        used = [inert(t) for op in operations for t in op.tags]
        order = [t for t in map(inert, declared) if t in used] + [t for t in dict.fromkeys(used) if t not in declared]
        return Info(title, description or title, tuple(order), options.today)
    tag_text = schemas.text(declared.get(tag, {}).get("description"), "/tags")
    label = f"{title} — {inert(tag)}"
    text = "\n\n".join(part for part in (tag_text, description) if part) or label
    return Info(label, text, (tag,), options.today)


def _variables(base_uri: str) -> list[str]:
    return [var.name for var in compile_template(base_uri).variables]


def _base_uri(document: Document, prefix: str, issues: list[ImportIssue]) -> str:
    servers = document.root.get("servers")
    variable = f"{{{{{prefix}_BASE_URL}}}}"
    if not isinstance(servers, list) or not servers or not isinstance(servers[0], Mapping):
        issues.append(ImportIssue("/servers", f"no server: the base URI is the bound variable {prefix}_BASE_URL"))
        return variable
    if len(servers) > 1:
        issues.append(
            ImportIssue("/servers/1", f"only the first server is imported (set UPSTREAM_BASE_URI_{prefix} for another)")
        )
    server = servers[0]
    defaults = as_mapping(server.get("variables"))

    def default(var: Var) -> str:
        spec = defaults.get(str(var))
        if isinstance(spec, Mapping) and "default" in spec:
            return str(spec["default"])
        issues.append(ImportIssue("/servers/0/variables", f"server variable {{{var}}} has no default: left empty"))
        return ""

    url = fill(compile_path(str(server.get("url") or "")), default).rstrip("/")
    if "{" in url or "}" in url:  # a default or the URL itself that would read as a variable of ours
        issues.append(
            ImportIssue(
                "/servers/0",
                f"server URL {inert(url)!r} keeps a brace after its variables are filled: not imported; "
                f"the base URI is the bound variable {prefix}_BASE_URL",
            )
        )
        return variable
    if "://" in url:
        return url
    issues.append(
        ImportIssue(
            "/servers/0/url",
            f"server URL {url or '(empty)'!r} is relative: the base URI starts with the bound variable {prefix}_BASE_URL",
        )
    )
    return variable + ("/" + url.lstrip("/") if url.strip("/") else "")
