"""The public catalog of APIs and realtime TRs: what exists, what it is called, how to find it.

The generated ``kisapi.registry`` fills it with data from the specs; this module only holds the
types and the lookups (it never names a TR ID).
"""

from __future__ import annotations

import difflib
import importlib
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any, Literal

import attrs

from .api import ApiSpec

MockSupport = Literal["yes", "partly", "no"]


@attrs.frozen
class TrIds:
    """The TR IDs used when every ``when`` condition holds, per environment."""

    real: str | None
    mock: str | None
    when: tuple[tuple[str, tuple[str, ...]], ...] = ()


@attrs.frozen
class ParamInfo:
    """One request parameter as a caller sees it (``account`` fills are marked by ``fill``)."""

    py: str
    wire: str
    kind: str
    label: str
    en: str = ""
    required: bool = False
    default: str | None = None
    enum: str | None = None
    fill: str | None = None
    choices: tuple[tuple[str, str], ...] = ()
    """(code, Korean label) pairs for enums and TR-choosing selectors."""
    selector: bool = False
    """Chooses the TR ID and is not sent (``side="buy"``)."""


@attrs.frozen
class FieldInfo:
    """One response field: wire name, Python name, type kind, Korean and English labels."""

    wire: str
    py: str
    kind: str
    label: str
    en: str = ""
    enum: str | None = None


@attrs.frozen
class BlockInfo:
    key: str
    shape: Literal["object", "array"]
    fields: tuple[FieldInfo, ...]


@attrs.frozen(repr=False)
class ApiInfo:
    """One REST API: ``kisapi.api("FHKST01010100")`` or ``kisapi.api("domestic_stock.inquire_price")``."""

    id: str
    title: str
    summary: str
    method: Literal["GET", "POST"]
    path: str
    kind: Literal["query", "order", "auth"]
    paginated: bool
    tr_ids: tuple[TrIds, ...]
    module: str
    doc_id: str = ""
    group: str = ""
    params: tuple[ParamInfo, ...] = ()
    blocks: tuple[BlockInfo, ...] = ()

    @property
    def product(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.id.split(".", 1)[1]

    @property
    def real_tr_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.real for t in self.tr_ids if t.real))

    @property
    def mock_tr_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.mock for t in self.tr_ids if t.mock))

    @property
    def mock(self) -> MockSupport:
        """Whether the paper-trading (mock) server offers it: for every choice, some, or none."""
        if not self.tr_ids:
            return "yes"
        have = [t.mock is not None for t in self.tr_ids]
        return "yes" if all(have) else "partly" if any(have) else "no"

    def spec(self) -> ApiSpec[Any]:
        """The runtime's ApiSpec (imports the endpoint module)."""
        found: ApiSpec[Any] = importlib.import_module(self.module).API
        return found

    def endpoint(self, client: Any) -> Any:
        """The bound endpoint on a ``Kis``/``AsyncKis`` client (``kis.domestic_stock.inquire_price``)."""
        return getattr(getattr(client, self.product), self.name)

    def __repr__(self) -> str:
        tr = "/".join(self.real_tr_ids) or "-"
        return f"<api {self.id} {self.title!r} {self.method} {self.path} {self.kind} tr={tr} mock={self.mock}>"


@attrs.frozen(repr=False)
class RealtimeInfo:
    """One realtime (WebSocket) TR."""

    id: str
    title: str
    summary: str
    real: str
    mock: str | None
    key_kind: str
    key_label: str
    encrypted: bool
    module: str
    doc_id: str = ""
    fields: tuple[FieldInfo, ...] = ()

    @property
    def tr_ids(self) -> tuple[str, ...]:
        return tuple(t for t in (self.real, self.mock) if t)

    def __repr__(self) -> str:
        return f"<realtime {self.id} {self.title!r} tr={self.real} mock={self.mock or '-'}>"


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


class Registry:
    """Lookups over the generated catalog."""

    def __init__(self, apis: Iterable[ApiInfo], realtime: Iterable[RealtimeInfo]) -> None:
        self.apis = tuple(apis)
        self.realtime = tuple(realtime)
        self._by_key: dict[str, ApiInfo] = {}
        for info in self.apis:
            self._by_key[info.id] = info
            for tr in info.tr_ids:
                for tr_id in (tr.real, tr.mock):
                    if tr_id:
                        self._by_key.setdefault(tr_id.upper(), info)
        self._rt_by_key: dict[str, RealtimeInfo] = {}
        for rt in self.realtime:
            self._rt_by_key[rt.id] = rt
            for tr_id in rt.tr_ids:
                self._rt_by_key.setdefault(tr_id.upper(), rt)

    def __iter__(self) -> Iterator[ApiInfo]:
        return iter(self.apis)

    def __len__(self) -> int:
        return len(self.apis)

    def get(self, key: str) -> ApiInfo:
        """By id (``domestic_stock.inquire_price``), TR ID (``FHKST01010100``) or
        ``product/name``; raises KeyError naming near matches otherwise."""
        text = key.strip()
        found = self._by_key.get(text) or self._by_key.get(text.upper())
        found = found or self._by_key.get(text.replace("/", ".").replace("-", "_"))
        if found is not None:
            return found
        near = difflib.get_close_matches(text, [a.id for a in self.apis], n=5, cutoff=0.6)
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        raise KeyError(f"no API {key!r} (an id, TR ID or product.name){hint}")

    def get_realtime(self, key: str) -> RealtimeInfo:
        """A realtime TR by TR ID (``H0STCNT0``) or id."""
        found = self._rt_by_key.get(key.strip()) or self._rt_by_key.get(key.strip().upper())
        if found is None:
            raise KeyError(f"no realtime TR {key!r}")
        return found

    def search(self, text: str | None = None) -> tuple[ApiInfo, ...]:
        """APIs whose id, TR IDs, Korean title, English summary or path contain every word;
        those matching in the title or id first."""
        if not text:
            return self.apis
        words = [_fold(w) for w in text.split()]

        def hay(a: ApiInfo) -> str:
            parts = [a.id, a.title, a.title.replace(" ", ""), a.summary, a.path, a.doc_id, a.group]
            return _fold(" ".join([*parts, *a.real_tr_ids, *a.mock_tr_ids]))

        found = [a for a in self.apis if all(w in hay(a) for w in words)]
        key = [_fold(a.title.replace(" ", "") + " " + a.id) for a in found]
        order = sorted(range(len(found)), key=lambda i: not all(w in key[i] for w in words))
        return tuple(found[i] for i in order)

    def search_realtime(self, text: str | None = None) -> tuple[RealtimeInfo, ...]:
        if not text:
            return self.realtime
        words = [_fold(w) for w in text.split()]
        return tuple(
            r
            for r in self.realtime
            if all(w in _fold(" ".join([r.id, r.title, r.summary, *r.tr_ids])) for w in words)
        )
