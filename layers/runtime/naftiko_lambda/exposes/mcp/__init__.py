"""The MCP adapter: every capability's tools over stateless Streamable HTTP (official mcp SDK)."""
