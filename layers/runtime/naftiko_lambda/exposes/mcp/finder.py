"""Search mode (MCP_TOOL_MODE=search): an endpoint lists two tools that find and call the others.

An agent cannot hold 15k tool definitions; in search mode ``tools/list`` shows ``search_tools``
(a question in the agent's words -> the best tools, each as tools/list would show it) and
``call_tool`` (one of them by name, with its arguments: the same checks, errors, idempotency and
results as calling it directly). Every tool stays callable by its own name too.

``Finder`` answers searches over one endpoint's tool table: only tools the caller may see are
found (the table is built after the policy, policy.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SEARCH_TOOLS = "search_tools"
CALL_TOOL = "call_tool"
DEFAULT_LIMIT = 5
MAX_LIMIT = 20
MAX_QUERY_CHARS = 1000

META_TOOLS: tuple[dict[str, Any], ...] = (
    {
        "name": SEARCH_TOOLS,
        "title": "Search tools",
        "description": (
            "Find the tools that can do what you want. Describe the task in your own words "
            "(for example: 'cancel a bill job', 'report usage for a customer'). Returns the best "
            "matching tools with their input schemas; call one with call_tool, or by its name."
        ),
        "inputSchema": {
            "type": "object",
            "properties": {
                "query": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": MAX_QUERY_CHARS,
                    "description": "What you want to do",
                },
                "limit": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_LIMIT,
                    "description": f"How many tools to return (default {DEFAULT_LIMIT})",
                },
            },
            "required": ["query"],
        },
        "outputSchema": {
            "type": "object",
            "properties": {"tools": {"type": "array", "items": {"type": "object"}}},
            "required": ["tools"],
        },
        "annotations": {
            "title": "Search tools",
            "readOnlyHint": True,
            "destructiveHint": False,
            "openWorldHint": False,
        },
    },
    {
        "name": CALL_TOOL,
        "title": "Call a tool",
        "description": "Call a tool that search_tools found, by its name, with arguments that fit its input schema.",
        "inputSchema": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "minLength": 1, "description": "The tool's name, as search_tools gave it"},
                "arguments": {"type": "object", "description": "The tool's arguments"},
            },
            "required": ["name"],
        },
        "annotations": {"title": "Call a tool", "readOnlyHint": False, "destructiveHint": True, "openWorldHint": True},
    },
)
"""What tools/list shows in search mode (wire JSON)."""
META_NAMES = frozenset(t["name"] for t in META_TOOLS)


@dataclass(frozen=True, slots=True)
class Finder:
    """Searches one endpoint's tools: ``search(question, limit, allowed)`` gives names, ``listed``
    gives a name's tools/list entry."""

    search: Callable[[str, int, Callable[[str], bool]], list[str]]
    listed: Callable[[str], Mapping[str, Any]]
    names: Callable[[str], bool]  # whether a name is in the endpoint's table

    def find(self, query: str, limit: int) -> list[Mapping[str, Any]]:
        return [self.listed(name) for name in self.search(query, limit, self.names)]


def search_arguments(arguments: Mapping[str, Any]) -> tuple[str, int]:
    """(query, limit) of a search_tools call. Raises ValueError naming the argument at fault."""
    query = arguments.get("query")
    if not isinstance(query, str) or not query.strip():
        raise ValueError("query: say what you want to do, as text")
    limit = arguments.get("limit", DEFAULT_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit: a whole number from 1 to {MAX_LIMIT}")
    return query[:MAX_QUERY_CHARS], limit


def call_arguments(arguments: Mapping[str, Any]) -> tuple[str, Any]:
    """(name, arguments) of a call_tool call. Raises ValueError naming the argument at fault."""
    name = arguments.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError("name: the tool's name, as search_tools gave it")
    if name in META_NAMES:
        raise ValueError(f"name: {name} is not a tool to call through call_tool")
    return name, arguments.get("arguments") or {}


def result_of(found: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """search_tools' structured content: each tool as tools/list shows it, less its output schema."""
    keep = ("name", "title", "description", "inputSchema", "annotations")
    return {"tools": [{k: tool[k] for k in keep if tool.get(k) is not None} for tool in found]}
