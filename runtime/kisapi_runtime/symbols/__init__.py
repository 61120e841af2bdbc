"""Symbols from KIS's master files: ``Symbols(cache_dir).get("005930")``; on a client,
``kis.symbols``. Layouts are data (``spec/masters`` → ``kisapi/_data/masters.json``)."""

from .book import SymbolNotFoundError, Symbols
from .download import DEFAULT_MASTER_URL, MasterDownloadError
from .layout import FieldSpec, MasterFile, MasterLayout, layouts
from .models import OverseasSymbol, Symbol

__all__ = [
    "DEFAULT_MASTER_URL",
    "FieldSpec",
    "MasterDownloadError",
    "MasterFile",
    "MasterLayout",
    "OverseasSymbol",
    "Symbol",
    "SymbolNotFoundError",
    "Symbols",
    "layouts",
]
