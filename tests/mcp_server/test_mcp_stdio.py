"""``kisapi-mcp`` over stdio with the official MCP client: list tools, call a quote, refuse an order."""

from __future__ import annotations

import os
import sys
from typing import Any

import pytest

mcp = pytest.importorskip("mcp", reason="pip install 'kisapi[mcp]'")

import kisapi  # noqa: E402
from kisapi_mcp.tools import Confirmations  # noqa: E402

QUERY_APIS = {a.id.replace(".", "__") for a in kisapi.apis() if a.kind == "query"}
ORDER_TOOL = "domestic_stock__order_cash"
ORDER = {"side": "buy", "pdno": "005930", "ord_dvsn": "00", "ord_qty": 1, "ord_unpr": 70000}


def server(*args: str) -> Any:
    from mcp.client.stdio import StdioServerParameters

    env = {k: v for k, v in os.environ.items() if not k.startswith("KIS_")}
    return StdioServerParameters(
        command=sys.executable, args=["-m", "kisapi_mcp.server", *args], env=env
    )


async def test_lists_every_query_api_and_no_order() -> None:
    async with mcp.Client(server()) as client:
        listed = await client.list_tools()
        names = {t.name for t in listed.tools}
        assert names == QUERY_APIS
        quote = next(t for t in listed.tools if t.name == "domestic_stock__inquire_price")
        assert "주식현재가 시세" in (quote.title or "")
        assert "Current price snapshot" in (quote.description or "")
        assert quote.input_schema["required"] == ["fid_input_iscd"]
        assert "Stock code" in quote.input_schema["properties"]["fid_input_iscd"]["description"]


async def test_calls_a_quote_against_the_sandbox() -> None:
    async with mcp.Client(server()) as client:
        result = await client.call_tool(
            "domestic_stock__inquire_price", {"fid_input_iscd": "005930"}
        )
        assert not result.is_error, result.content
        assert result.structured_content["rt_cd"] == "0"
        assert isinstance(result.structured_content["output"]["stck_prpr"], int)


async def test_refuses_an_order_when_orders_are_off() -> None:
    async with mcp.Client(server()) as client:
        result = await client.call_tool(ORDER_TOOL, ORDER)
        assert result.is_error
        assert "orders are off" in result.content[0].text


async def test_an_order_needs_its_dry_run_token() -> None:
    async with mcp.Client(server("--allow-orders")) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert ORDER_TOOL in names
        dry = await client.call_tool(ORDER_TOOL, ORDER)
        assert not dry.is_error
        assert dry.structured_content["sent"] is False
        token = dry.structured_content["confirm"]
        assert "12345678" not in dry.content[0].text  # account masked
        wrong = await client.call_tool(ORDER_TOOL, {**ORDER, "ord_qty": 2, "confirm": token})
        assert wrong.structured_content["sent"] is False  # other arguments: another dry run
        sent = await client.call_tool(ORDER_TOOL, {**ORDER, "confirm": token})
        assert not sent.is_error, sent.content
        assert sent.structured_content["output"]["odno"]


def test_tokens_expire_and_bind_arguments() -> None:
    now = [1000.0]
    c = Confirmations(clock=lambda: now[0])
    token = c.issue("t", {"a": 1})
    assert c.check("t", {"a": 1}, token)
    assert not c.check("t", {"a": 2}, token)
    assert not c.check("u", {"a": 1}, token)
    now[0] += 301
    assert not c.check("t", {"a": 1}, token)


def test_without_the_sdk_names_the_extra() -> None:
    import subprocess

    script = "import sys; sys.modules['mcp'] = None; import kisapi_mcp; kisapi_mcp.main()"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert "pip install 'kisapi[mcp]'" in done.stderr
