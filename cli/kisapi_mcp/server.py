"""``kisapi-mcp``: an MCP server (official ``mcp`` SDK, stdio) with every query API as a tool.

By default it answers from an embedded sandbox (no account, no network); ``--live`` uses the
``KIS_*`` configuration instead. Orders are not offered unless ``--allow-orders`` is given, and
then each order needs a dry run first and its confirmation token.
"""

from __future__ import annotations

import argparse
import contextlib
import json
from collections.abc import Iterator, Sequence
from typing import Any

import anyio
from mcp import types
from mcp.server import Server
from mcp.server.stdio import stdio_server

from kisapi_cli.call import dry_run_request
from kisapi_cli.config import make_client
from kisapi_cli.output import plain
from kisapi_runtime.errors import KisError
from kisapi_runtime.registry import ApiInfo

from .tools import CONFIRM, Confirmations, description, input_schema, tool_name

SANDBOX_ACCOUNT = "12345678-01"


def catalog(allow_orders: bool) -> dict[str, ApiInfo]:
    """Tool name -> API: every query API, plus orders when allowed."""
    from kisapi.registry import registry

    kinds = {"query", "order"} if allow_orders else {"query"}
    return {tool_name(a): a for a in registry().apis if a.kind in kinds}


def tools(apis: dict[str, ApiInfo]) -> list[types.Tool]:
    return [
        types.Tool(
            name=name,
            title=info.title,
            description=description(info),
            input_schema=input_schema(info, order=info.kind == "order"),
        )
        for name, info in apis.items()
    ]


def _text(data: Any, *, error: bool = False) -> types.CallToolResult:
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, indent=1)
    structured = data if isinstance(data, dict) else None
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)],
        structured_content=structured,
        is_error=error,
    )


class KisTools:
    """Runs tool calls on one blocking ``Kis`` client (in a worker thread)."""

    def __init__(self, client: Any, apis: dict[str, ApiInfo]) -> None:
        self.client = client
        self.apis = apis
        self.confirmations = Confirmations()

    def call(self, name: str, arguments: dict[str, Any]) -> types.CallToolResult:
        info = self.apis.get(name)
        if info is None:
            known = (
                "orders are off (start with --allow-orders)" if "order" in name else "unknown tool"
            )
            return _text(f"{name}: {known}", error=True)
        args = {k: v for k, v in arguments.items() if v is not None}
        token = args.pop(CONFIRM, None)
        try:
            spec = info.spec()
            if info.kind == "order":
                prepared = self.client.prepare(spec, args)
                if token is None or not self.confirmations.check(name, args, str(token)):
                    return _text(
                        {
                            "dry_run": True,
                            "sent": False,
                            "request": dry_run_request(self.client, info, prepared),
                            CONFIRM: self.confirmations.issue(name, args),
                            "note": "nothing was sent; call again with the same arguments and this confirm token",
                        }
                    )
            result: dict[str, Any] = plain(self.client.call(spec, args))
            return _text(result)
        except KisError as exc:
            return _text(f"{type(exc).__name__}: {exc}", error=True)


@contextlib.contextmanager
def sandbox_client() -> Iterator[Any]:
    """A ``Kis`` against an embedded sandbox (real-environment port), closed afterwards."""
    import tempfile

    from kisapi import Kis
    from kisapi_sandbox.server import serve

    with serve() as server, tempfile.TemporaryDirectory() as tokens:
        client = Kis(
            appkey="PSSANDBOXMCP" + "0" * 24,
            appsecret="sandbox-appsecret",
            account=SANDBOX_ACCOUNT,
            env="real",
            rest_url=server.rest_url,
            token_cache_dir=tokens,
        )
        with client:
            yield client


def build_server(kis_tools: KisTools) -> Server[Any]:
    listed = tools(kis_tools.apis)

    async def on_list_tools(
        ctx: Any, params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=listed)

    async def on_call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        arguments = dict(params.arguments or {})
        return await anyio.to_thread.run_sync(kis_tools.call, params.name, arguments)

    return Server(
        "kisapi",
        instructions=(
            "Korea Investment & Securities (KIS) Open API. Tools are named product__api; "
            "descriptions give the Korean title, TR IDs and mock support."
        ),
        on_list_tools=on_list_tools,
        on_call_tool=on_call_tool,
    )


async def serve_stdio(kis_tools: KisTools) -> None:
    server = build_server(kis_tools)
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="kisapi-mcp", description=__doc__)
    parser.add_argument(
        "--live", action="store_true", help="use KIS_* configuration, not the embedded sandbox"
    )
    parser.add_argument("--env", choices=["real", "mock"], help="with --live: override KIS_ENV")
    parser.add_argument(
        "--allow-orders",
        action="store_true",
        help="offer order tools (dry run + confirmation token)",
    )
    args = parser.parse_args(argv)
    apis = catalog(args.allow_orders)
    if args.live:
        with make_client(args.env) as client:
            anyio.run(serve_stdio, KisTools(client, apis))
        return
    with sandbox_client() as client:
        anyio.run(serve_stdio, KisTools(client, apis))


if __name__ == "__main__":
    main()
