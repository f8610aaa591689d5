"""MCP function entry (folder not named mcp: it would shadow the SDK package) (the layer holds the code): every capability in CAPABILITIES_DIR."""

from naftiko_lambda.exposes.mcp.handler import handler

__all__ = ["handler"]
