"""``kisapi-mcp``: the KIS APIs as MCP tools, generated from the registry."""

from __future__ import annotations

import sys


def main() -> None:
    """Console entry point: names the extra to install when the MCP SDK is missing."""
    try:
        from .server import main as run
    except ImportError as exc:
        sys.exit(f"kisapi-mcp needs the MCP SDK ({exc}): pip install 'kisapi[mcp]'")
    run()
