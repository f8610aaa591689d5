"""The template as it is assembled: what each part adds its parameters, conditions, resources and
outputs to, and what the MCP function gathers from every capability."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Stack:
    parameters: dict[str, Any] = field(default_factory=dict)
    conditions: dict[str, Any] = field(default_factory=dict)
    resources: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    mcp_environment: dict[str, Any] = field(default_factory=dict)  # each capability's secret id
    mcp_variables: dict[str, str] = field(default_factory=dict)  # each capability's declared variables
    mcp_policies: list[Any] = field(default_factory=list)  # each capability's secret, to read
