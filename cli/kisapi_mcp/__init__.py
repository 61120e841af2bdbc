"""``kisapi-mcp``: the KIS APIs as MCP tools, generated from the registry."""
