"""The generated response models' own ``__init__`` (faster than attrs') takes exactly the
attrs fields, in order, with their defaults, and fills every one of them."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

import attrs
import pytest

PRODUCTS = ("domestic_stock", "domestic_bond", "domestic_futureoption", "elw", "etfetn",
            "overseas_stock", "overseas_futureoption", "auth")  # fmt: skip


def models() -> list[type[Any]]:
    found: list[type[Any]] = []
    for product in PRODUCTS:
        package = importlib.import_module(f"kisapi.{product}")
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"kisapi.{product}.{info.name}")
            for name, value in vars(module).items():
                if f"_{name}_FIELDS" in vars(module) and attrs.has(value):
                    found.append(value)
    return found


MODELS = models()


def test_every_product_has_models() -> None:
    assert len(MODELS) > 300
    assert {m.__module__.split(".")[1] for m in MODELS} >= set(PRODUCTS) - {"auth"}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: f"{m.__module__}.{m.__name__}")
def test_init_takes_the_attrs_fields_and_fills_them(model: type[Any]) -> None:
    fields = attrs.fields(model)
    params = list(inspect.signature(model.__init__).parameters.values())[1:]
    assert [p.name for p in params] == [f.name for f in fields]
    assert [p.default for p in params] == [f.default for f in fields]
    # every attribute set from its own argument (a distinct marker each), nothing else stored
    markers = {f.name: object() for f in fields}
    built = model(**markers)
    assert vars(built) == markers
    assert model() == model(**{f.name: f.default for f in fields})
    assert attrs.evolve(built, extra={"x": "1"}).extra == {"x": "1"}
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        built.extra = {}
