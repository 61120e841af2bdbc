"""The generated namespaces carry the order desks; the generator refuses an endpoint whose name
would hide a helper."""

from __future__ import annotations

import importlib
from pathlib import Path

import attrs
import pytest

import kisapi
from codegen import ir
from codegen.resolve import load_project
from kisapi_runtime import trading

SPEC = Path(__file__).resolve().parents[2] / "spec"


def test_desk_products_and_method_names_agree() -> None:
    assert frozenset(trading.HELPERS) == ir.DESK_METHODS
    for product, desk in ir.ORDER_DESKS.items():
        module = importlib.import_module(f"kisapi.{product}")
        assert issubclass(getattr(module, ir.pascal(product)), getattr(trading, desk))
        assert issubclass(
            getattr(module, "Async" + ir.pascal(product)), getattr(trading, "Async" + desk)
        )
        names = {a.name for a in kisapi.apis() if a.product == product}
        assert names and not names & ir.DESK_METHODS


def test_a_clashing_endpoint_name_is_refused() -> None:
    project = load_project(SPEC, only=[SPEC / "domestic_stock" / "trading" / "order_cash.yaml"])
    (api,) = project.apis
    assert ir.Product("domestic_stock", (api,)).order_desk == "DomesticStockOrders"
    clash = ir.Product("domestic_stock", (attrs.evolve(api, name="cancel"),))
    with pytest.raises(ValueError, match="clash with the order desk"):
        _ = clash.order_desk
    assert ir.Product("domestic_bond", (attrs.evolve(api, name="buy"),)).order_desk is None
