"""``serve``'s ``GET /``: what is served where, as JSON for programs and HTML for browsers (pure).

One entry per capability: its docs page, OpenAPI document, skills catalog (when it has skills)
and MCP endpoint, with the links a newcomer would otherwise have to guess.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

from ..capability.model import Capability


def index(capabilities: Iterable[Capability], base_url: str, *, sandbox: bool) -> dict[str, Any]:
    """The index as a JSON value."""
    entries = []
    for capability in capabilities:
        entry: dict[str, Any] = {
            "name": capability.name,
            "label": capability.label,
            "description": capability.description,
            "operations": len(capability.rest_operations),
            "tools": len(capability.tools),
        }
        if capability.rest_operations:
            entry["docs"] = f"{base_url}/{capability.name}/docs"
            entry["openapi"] = f"{base_url}/{capability.name}/openapi.json"
        if capability.skills:
            entry["skills"] = f"{base_url}/{capability.name}/skills"
        if capability.tools:
            entry["mcp"] = f"{base_url}/mcp/{capability.name}"
        entries.append(entry)
    result: dict[str, Any] = {"mcp": f"{base_url}/mcp", "mode": "sandbox" if sandbox else "live"}
    if sandbox:
        result["sandboxRequests"] = f"{base_url}/_sandbox/requests"
    result["capabilities"] = entries
    return result


def wants_html(headers: Mapping[str, str]) -> bool:
    """A browser's Accept names text/html; curl's ``*/*`` and programs get JSON."""
    return "text/html" in headers.get("accept", "")


def render_html(value: Mapping[str, Any]) -> str:
    """The index as a small page: a table of capabilities and the MCP endpoint."""

    def link(url: str | None, text: str) -> str:
        return f'<a href="{html.escape(url)}">{text}</a>' if url else ""

    rows = []
    for entry in value["capabilities"]:
        rows.append(
            "<tr>"
            f"<td><b>{html.escape(entry['name'])}</b><br>{html.escape(entry['label'])}</td>"
            f"<td>{html.escape(entry['description'])}</td>"
            f"<td>{link(entry.get('docs'), 'docs')} {link(entry.get('openapi'), 'OpenAPI')} "
            f"{link(entry.get('skills'), 'skills')}</td>"
            f"<td>{html.escape(entry.get('mcp', ''))}</td>"
            "</tr>"
        )
    mode = "SANDBOX: upstream calls go to the built-in sandbox" if value["mode"] == "sandbox" else "LIVE"
    extra = f" ({link(value.get('sandboxRequests'), 'what it received')})" if value["mode"] == "sandbox" else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>naftiko-lambda serve</title>'
        "<style>body{font-family:sans-serif;margin:2em}td,th{padding:.4em .8em;text-align:left;"
        "vertical-align:top;border-bottom:1px solid #ddd}</style></head><body>"
        f"<h1>naftiko-lambda serve</h1><p>{mode}{extra}</p>"
        f"<p>MCP (every capability): <code>{html.escape(value['mcp'])}</code>, with "
        "the bearer token serve printed at start</p>"
        "<table><tr><th>capability</th><th>description</th><th>REST</th><th>MCP</th></tr>"
        + "".join(rows)
        + "</table></body></html>"
    )
