"""MCP resources and prompts: listing, URI matching, static files, prompt rendering.

A call-backed resource runs its plan through the runner like a tool (resources/read of a
concrete URI that matches a template gives the placeholders' values as inputs). A static
resource serves the files under its ``location`` folder, each as ``<uri>/<relative path>``;
files are read here, never outside that folder. Prompts fill ``{{argument}}`` from the
arguments only, so a prompt can never render a bound secret.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import mcp_types as types
from mcp.shared.exceptions import MCPError

from ...capability.templates import Template, uri_pattern
from .tools import PromptEntry, ResourceEntry

if TYPE_CHECKING:  # types only: kept off the cold path
    from ...capability.model import Json, McpPrompt, McpResource

INVALID_PARAMS = -32602
RESOURCE_NOT_FOUND = INVALID_PARAMS
"""JSON-RPC code of an unknown resource URI: -32602 with the URI in ``data`` (SEP-2164; earlier
revisions used -32002)."""
MAX_FILE_BYTES = 1024 * 1024
"""Largest static resource or prompt file served (bytes)."""


def not_found(uri: str) -> MCPError:
    return MCPError(RESOURCE_NOT_FOUND, f"Resource not found: {uri}", {"uri": uri})


def listed(entries: tuple[ResourceEntry, ...]) -> list[types.Resource]:
    """resources/list: call-backed resources as declared, static folders as one resource per file."""
    out = []
    for entry in entries:
        resource = entry.resource
        if resource.is_template:
            continue
        if resource.location is None:
            out.append(_resource(resource, resource.uri, resource.mime_type))
            continue
        for relative in _files(resource.location):
            uri = f"{resource.uri.rstrip('/')}/{relative}"
            out.append(_resource(resource, uri, resource.mime_type or _guess(relative), relative))
    return out


def templates(entries: tuple[ResourceEntry, ...]) -> list[types.ResourceTemplate]:
    return [
        types.ResourceTemplate(
            name=e.resource.name,
            title=e.resource.label or None,
            uri_template=e.resource.uri,
            description=e.resource.description or None,
            mime_type=e.resource.mime_type,
        )
        for e in entries
        if e.resource.is_template and e.resource.location is None
    ]


def match(entries: tuple[ResourceEntry, ...], uri: str) -> tuple[ResourceEntry, dict[str, str]]:
    """The resource a URI names, with the values of its template placeholders.

    Raises MCPError (-32002) when nothing matches.
    """
    for entry in entries:
        resource = entry.resource
        if resource.location is not None:
            if uri == resource.uri or uri.startswith(resource.uri.rstrip("/") + "/"):
                return entry, {}
        elif not resource.is_template and uri == resource.uri:
            return entry, {}
    for entry in entries:
        if entry.resource.is_template and entry.resource.location is None:
            pattern, names = uri_pattern(entry.resource.uri)
            found = pattern.fullmatch(uri)
            if found:
                return entry, {name: unquote(value) for name, value in zip(names, found.groups(), strict=True)}
    raise not_found(uri)


def read_static(resource: McpResource, uri: str) -> types.ReadResourceResult:
    """The file a static resource URI names, as text. Raises MCPError when it is not there."""
    assert resource.location is not None
    root = Path(resource.location).resolve()
    relative = uri[len(resource.uri.rstrip("/")) + 1 :] if uri != resource.uri else ""
    target = (root / unquote(relative)).resolve() if relative else root
    hidden = (
        any(part.startswith(".") for part in target.relative_to(root).parts) if target.is_relative_to(root) else True
    )
    if hidden or not target.is_file():
        raise not_found(uri)
    mime = resource.mime_type or _guess(target.name)
    if not _textual(mime):  # an image, a PDF, an archive: its bytes, as a blob
        import base64

        blob = base64.b64encode(_read_bytes(target, uri)).decode("ascii")
        return types.ReadResourceResult(contents=[types.BlobResourceContents(uri=uri, mime_type=mime, blob=blob)])
    text = _read_text(target, uri)
    return types.ReadResourceResult(contents=[types.TextResourceContents(uri=uri, mime_type=mime, text=text)])


def contents(resource: McpResource, uri: str, data: Json) -> types.ReadResourceResult:
    """A call-backed resource's result as one text item (JSON unless it is text already), or a
    blob for binary content."""
    from ...capability.model import Binary  # loaded already: the resource ran

    if isinstance(data, Binary):
        import base64

        blob = base64.b64encode(data.data).decode("ascii")
        mime = data.media_type if data.declared or not resource.mime_type else resource.mime_type
        return types.ReadResourceResult(contents=[types.BlobResourceContents(uri=uri, mime_type=mime, blob=blob)])
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    mime = resource.mime_type or ("text/plain" if isinstance(data, str) else "application/json")
    return types.ReadResourceResult(contents=[types.TextResourceContents(uri=uri, mime_type=mime, text=text)])


def prompt_listing(entry: PromptEntry) -> types.Prompt:
    prompt = entry.prompt
    return types.Prompt(
        name=entry.name,
        title=prompt.label or None,
        description=prompt.description or None,
        arguments=[
            types.PromptArgument(name=a.name, description=a.description or None, required=a.required)
            for a in prompt.arguments
        ]
        or None,
    )


def render_prompt(prompt: McpPrompt, arguments: Mapping[str, Any] | None) -> types.GetPromptResult:
    """prompts/get: each message with ``{{name}}`` filled from the arguments (a missing optional one
    renders as nothing). Raises MCPError (-32602) naming a missing required argument."""
    given = {k: v for k, v in (arguments or {}).items() if v is not None}
    for argument in prompt.arguments:
        if argument.required and argument.name not in given:
            raise MCPError(INVALID_PARAMS, f"prompt {prompt.name}: argument {argument.name!r} is required")
    messages = list(prompt.messages)
    if prompt.location is not None:
        from ...capability.templates import compile_template

        messages = [("user", compile_template(_read_text(Path(prompt.location), prompt.name)))]
    return types.GetPromptResult(
        description=prompt.description or None,
        messages=[
            types.PromptMessage(
                role="assistant" if role == "assistant" else "user",
                content=types.TextContent(type="text", text=_fill(template, given)),
            )
            for role, template in messages
        ],
    )


def _fill(template: Template, arguments: Mapping[str, Any]) -> str:
    out = []
    for part in template.parts:
        if isinstance(part, str):
            out.append(part)
        else:
            value = arguments.get(part.name, "")
            out.append(value if isinstance(value, str) else json.dumps(value))
    return "".join(out)


def _resource(resource: McpResource, uri: str, mime: str | None, suffix: str = "") -> types.Resource:
    return types.Resource(
        name=f"{resource.name}/{suffix}" if suffix else resource.name,
        title=resource.label or None,
        uri=uri,
        description=resource.description or None,
        mime_type=mime,
    )


def _files(location: str) -> list[str]:
    root = Path(location)
    if root.is_file():
        return []
    try:
        return sorted(
            str(p.relative_to(root))
            for p in root.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
        )
    except OSError:
        return []


def _read_bytes(path: Path, name: str) -> bytes:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise MCPError(-32603, f"{name}: the file is over {MAX_FILE_BYTES} bytes")
        return path.read_bytes()
    except OSError as exc:
        raise MCPError(-32603, f"{name}: the file cannot be read") from exc


def _read_text(path: Path, name: str) -> str:
    try:
        return _read_bytes(path, name).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MCPError(-32603, f"{name}: the file is not UTF-8 text (give it a binary mimeType)") from exc


def _textual(mime: str) -> bool:
    """Whether a static file of this media type is sent as text (else as a blob)."""
    kind = mime.split(";")[0].strip().lower()
    return (
        kind.startswith("text/")
        or kind.endswith(("+json", "+xml", "/json", "/xml", "/yaml", "/x-yaml"))
        or kind
        in (
            "application/javascript",
            "application/x-sh",
        )
    )


def _guess(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "text/plain"
