"""Reading a date/time window that KIS answers a page at a time (charts, daily series).

KIS's chart APIs answer at most N rows (100 daily bars, 30 or 120 minute bars...) ending at the
requested end, newest first. To read further back, the request's end (date, time, or both) is
moved to the oldest row of the last page, minus one step, and the API is called again; a few
APIs (overseas futures) instead hand back a key to send with the next request. The spec's
``window`` says which fields do what (:class:`~kisapi_runtime.api.Window`); this module knows
no field names of its own.

``collect()`` returns the rows oldest first, each once (rows repeated at a page boundary are
dropped), limited to the window asked for. Reading stops when the window start is reached, a
page is empty or shorter than the ones before it, the cursor would not move (never an endless
loop), or at the page cap; ``complete`` is False only when the cap or a stuck cursor stopped it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .api import ApiSpec, Window
from .codecs import KST, parse_date, parse_datetime, parse_time
from .errors import KisValidationError
from .pagination import DEFAULT_MAX_PAGES, KisIncompleteError, PageResult
from .request import Prepared
from .response import ApiResponse
from .secret import get_logger

if TYPE_CHECKING:
    from .client import AsyncClient, SyncClient

R = TypeVar("R")
T = TypeVar("T")
Moment = date | time | datetime
"""A row's place in time: a date, a time of day, or both (naive, as KIS sends them)."""

log = get_logger("window")

_STEPS = {"day": timedelta(days=1), "minute": timedelta(minutes=1), "none": timedelta(0)}
_ANY_DAY = date(2000, 1, 3)  # to subtract from a time of day without a date


def moment_kind(api: ApiSpec[Any]) -> str:
    """``date``, ``time`` or ``datetime``: what the window's row key holds."""
    window = _window(api)
    kinds = {kind for _, kind in _key_fields(api, window)}
    if kinds == {"date"}:
        return "date"
    if kinds == {"time"}:
        return "time"
    return "datetime"


def _window(api: ApiSpec[Any]) -> Window:
    if api.window is None:
        raise TypeError(f"{api.id} has no date/time window")
    return api.window


def _key_fields(api: ApiSpec[Any], window: Window) -> list[tuple[str, str]]:
    """(Python attribute, kind) of each key field of the rows block."""
    block = next(b for b in api.response if b.key == window.rows)
    by_wire = {wire: (py, kind) for wire, py, kind, _ in block.fields}
    return [by_wire[wire] for wire in window.key]


def to_moment(api: ApiSpec[Any], name: str, value: object, *, upper: bool) -> Moment:
    """A user's window bound as the key's kind; a bare date spans its whole day."""
    kind = moment_kind(api)
    try:
        if isinstance(value, str):
            text = value.strip()
            parsed: Moment | None
            if kind == "time":
                parsed = parse_time(text)
            elif kind == "date" or len(text.replace("-", "")) == 8:
                parsed = parse_date(text)
            else:
                parsed = parse_datetime(text)
            if parsed is None:
                raise ValueError("empty")
            value = parsed
        if kind == "date" and isinstance(value, date):
            return value.date() if isinstance(value, datetime) else value
        if kind == "time" and isinstance(value, time):
            return value.replace(tzinfo=None, microsecond=0)
        if kind == "time" and isinstance(value, datetime):
            return value.time().replace(microsecond=0)
        if kind == "datetime" and isinstance(value, datetime):
            return value.replace(tzinfo=None, microsecond=0)
        if kind == "datetime" and isinstance(value, date):
            day_end = time(23, 59, 59) if upper else time(0, 0, 0)
            return datetime.combine(value, day_end)
    except ValueError as exc:
        raise KisValidationError(api.id, name, f"not a {kind}: {exc}") from None
    raise KisValidationError(
        api.id, name, f"expected a {kind} (or its KIS string), got {type(value).__name__}"
    )


def now_moment(api: ApiSpec[Any]) -> Moment:
    """The current moment in Korean time, as the key's kind (the default window end)."""
    now = datetime.now(KST).replace(tzinfo=None, microsecond=0)
    kind = moment_kind(api)
    return now.date() if kind == "date" else now.time() if kind == "time" else now


def wire_values(api: ApiSpec[Any], fields: Sequence[str], moment: Moment) -> dict[str, str]:
    """``moment`` written into request fields: date fields get YYYYMMDD, time fields HHMMSS,
    other fields (a key such as ``KEYB``) the whole moment (YYYYMMDDHHMMSS for date and time)."""
    kinds = {f.wire: f.kind for f in api.request}
    out: dict[str, str] = {}
    for wire in fields:
        kind = kinds[wire]
        if kind == "date":
            out[wire] = _day(moment).strftime("%Y%m%d")
        elif kind == "time":
            out[wire] = _clock(moment).strftime("%H%M%S")
        elif isinstance(moment, datetime):
            out[wire] = moment.strftime("%Y%m%d%H%M%S")
        elif isinstance(moment, date):
            out[wire] = moment.strftime("%Y%m%d")
        else:
            out[wire] = moment.strftime("%H%M%S")
    return out


def _day(moment: Moment) -> date:
    if isinstance(moment, datetime):
        return moment.date()
    if isinstance(moment, date):
        return moment
    raise TypeError("a time of day has no date")


def _clock(moment: Moment) -> time:
    if isinstance(moment, datetime):
        return moment.time()
    if isinstance(moment, time):
        return moment
    return time(23, 59, 59)  # a whole day: its last second


def range_values(
    api: ApiSpec[Any], values: Mapping[str, Any], start: object, end: object
) -> tuple[dict[str, Any], Moment, Moment]:
    """The call's arguments with the window's start and end fields filled in."""
    window = _window(api)
    low = to_moment(api, "start", start, upper=False)
    high = now_moment(api) if end is None else to_moment(api, "end", end, upper=True)
    if low > high:  # type: ignore[operator]
        raise KisValidationError(api.id, "start", f"{low} is after the end {high}")
    py = {f.wire: f.py for f in api.request}
    filled = dict(values)
    wires = wire_values(api, window.end, high)
    if window.start is not None:
        wires.update(wire_values(api, (window.start,), low))
    for wire, text in wires.items():
        filled[py[wire]] = text
    if not window.carry:
        for wire, text in window.fixed:
            filled[py[wire]] = text
    return filled, low, high


class _WindowState:
    """The state machine shared by the sync and async window readers."""

    def __init__(
        self,
        prepared: Prepared,
        max_pages: int | None,
        low: Moment | None = None,
        high: Moment | None = None,
    ) -> None:
        self.api = prepared.api
        self.window = _window(prepared.api)
        self.first = prepared
        self.max_pages = max_pages
        self.rows_attr = self.window.rows.lower()
        self.key = _key_fields(prepared.api, self.window)
        self.kind = moment_kind(prepared.api)
        # bars (one row a moment): a row at a moment already read is a repeat, even if it changed
        self.by_moment = self.window.step != "none" and not self.window.carry
        self.low = low if low is not None else self._start_from(prepared)
        self.high = high
        self.request: Prepared | None = prepared
        self.complete: bool | None = None
        self.page_no = 0
        self.widest = 0
        self.oldest: Moment | None = None
        self.boundary: list[Any] = []  # rows kept at the oldest moment so far

    def _start_from(self, prepared: Prepared) -> Moment | None:
        """``pages()``: the window start the caller wrote into the start field, if any."""
        if self.window.start is None or not prepared.params.get(self.window.start, "").strip():
            return None
        try:
            return to_moment(self.api, "start", prepared.params[self.window.start], upper=False)
        except KisValidationError:
            return None

    def begin(self) -> None:
        self.request, self.complete, self.page_no, self.widest = self.first, None, 0, 0
        self.oldest, self.boundary = None, []

    def page_rows(self, page: Any) -> Sequence[Any]:
        rows = getattr(page, self.rows_attr)
        return rows if isinstance(rows, list) else ([] if rows is None else [rows])

    def moment(self, row: Any) -> Moment | None:
        """The row's key as one value; a date and time row without a time counts as midnight."""
        parts = {kind: getattr(row, py) for py, kind in self.key}
        day, clock = parts.get("date"), parts.get("time")
        if self.kind == "datetime":
            return None if day is None else datetime.combine(day, clock or time(0, 0, 0))
        moment: Moment | None = day if self.kind == "date" else clock
        return moment

    def new_rows(self, page: Any) -> list[Any]:
        """This page's rows inside the window, minus those an earlier page already gave."""
        out: list[Any] = []
        for row in self.page_rows(page):
            at = self.moment(row)
            if at is not None:
                if self.high is not None and at > self.high:  # type: ignore[operator]
                    continue
                if self.low is not None and at < self.low:  # type: ignore[operator]
                    continue
                if self.oldest is not None and at > self.oldest:  # type: ignore[operator]
                    continue  # newer than what we already have: a repeat
                if at == self.oldest and (
                    self.by_moment or any(row == seen for seen in self.boundary)
                ):
                    continue
            out.append(row)
        return out

    def advance(self, response: ApiResponse[Any], kept: Sequence[Any]) -> None:
        """A page arrived (``kept`` its new rows): ask for the next one, or stop."""
        assert self.request is not None
        self.page_no += 1
        raw = self.page_rows(response.parsed)
        moments = [m for m in map(self.moment, raw) if m is not None]
        oldest = min(moments) if moments else None
        previous, self.oldest = self.oldest, self._older(self.oldest, oldest)
        if self.oldest is not None and self.oldest != previous:
            self.boundary = []
        self.boundary += [row for row in kept if self.moment(row) == self.oldest]
        short = 0 < len(raw) < self.widest
        self.widest = max(self.widest, len(raw))
        if not raw or short:
            self._stop(True)
        elif oldest is None:
            self._stuck()
        elif self.low is not None and oldest <= self.low:  # type: ignore[operator]
            self._stop(True)
        elif previous is not None and not oldest < previous:  # type: ignore[operator]
            self._stuck()
        elif self.max_pages is not None and self.page_no >= self.max_pages:
            self.complete = False
            self.request = None
            log.warning(
                "%s: stopped at the page cap (%d pages); older rows remain",
                self.api.id,
                self.page_no,
            )
        else:
            self._next(response, oldest)

    def _older(self, a: Moment | None, b: Moment | None) -> Moment | None:
        if a is None or b is None:
            return a if b is None else b
        return b if b < a else a  # type: ignore[operator]

    def _stop(self, complete: bool) -> None:
        self.complete = complete
        self.request = None

    def _stuck(self) -> None:
        log.warning("%s: the window cursor did not move; stopping to avoid a loop", self.api.id)
        self._stop(False)

    def _next(self, response: ApiResponse[Any], oldest: Moment) -> None:
        assert self.request is not None
        if self.window.carry:
            cursor = {req: _carried(response.body, src) for req, src in self.window.carry}
            if not any(v.strip() for v in cursor.values()):
                self._stop(True)
                return
        else:
            moved = _minus(oldest, _STEPS[self.window.step])
            if moved is None:  # a time of day moved before midnight: nothing earlier today
                self._stop(True)
                return
            cursor = wire_values(self.api, self.window.end, moved)
        cursor.update(self.window.fixed)
        if all(self.request.params.get(k) == v for k, v in cursor.items()):
            self._stuck()
            return
        self.request = self.request.with_cursor(cursor)

    def result(
        self, pages: list[Any], rows: list[Any], require_complete: bool
    ) -> PageResult[Any, Any]:
        rows.reverse()  # oldest first
        result: PageResult[Any, Any] = PageResult(pages, rows, bool(self.complete))
        if require_complete and not result.complete:
            raise KisIncompleteError(
                f"{self.api.id}: the window was not covered after {len(pages)} pages"
            )
        return result


def _minus(moment: Moment, step: timedelta) -> Moment | None:
    if isinstance(moment, datetime | date):
        return moment - step
    moved = datetime.combine(_ANY_DAY, moment) - step
    return moved.time() if moved.date() == _ANY_DAY else None


def _carried(body: Mapping[str, Any], source: str) -> str:
    """``block.field`` (a one-record block, or the last row of an array) or a top-level key."""
    block, _, name = source.rpartition(".")
    holder: Any = body
    if block:
        holder = body.get(block) or body.get(block.lower()) or body.get(block.upper()) or {}
        if isinstance(holder, list):
            holder = holder[-1] if holder else {}
    if not isinstance(holder, Mapping):
        return ""
    value = holder.get(name)
    if value is None:
        value = holder.get(name.upper(), holder.get(name.lower(), ""))
    return str(value)


class WindowPager(Generic[R, T]):
    """Pages of a date/time window, newest first: ``for page in ...``, ``.rows()``,
    ``.collect()`` (every row once, oldest first, and whether the window was covered)."""

    def __init__(
        self,
        client: SyncClient,
        prepared: Prepared,
        max_pages: int | None = DEFAULT_MAX_PAGES,
        *,
        low: Moment | None = None,
        high: Moment | None = None,
    ) -> None:
        self._client = client
        self._state = _WindowState(prepared, max_pages, low, high)

    @classmethod
    def range(
        cls,
        client: SyncClient,
        api: ApiSpec[Any],
        values: Mapping[str, Any],
        start: object,
        end: object,
        max_pages: int | None,
    ) -> WindowPager[Any, Any]:
        filled, low, high = range_values(api, values, start, end)
        return cls(client, client.prepare(api, filled), max_pages, low=low, high=high)

    @property
    def complete(self) -> bool | None:
        """True once the window is covered, False when the cap or a stuck cursor stopped it."""
        return self._state.complete

    def _fetch(self) -> Iterator[tuple[ApiResponse[R], list[T]]]:
        state = self._state
        state.begin()
        while (request := state.request) is not None:
            response: ApiResponse[R] = self._client.send(request)
            kept = state.new_rows(response.parsed)
            yield response, kept
            state.advance(response, kept)

    def raw_pages(self) -> Iterator[ApiResponse[R]]:
        for response, _ in self._fetch():
            yield response

    def __iter__(self) -> Iterator[R]:
        for response, _ in self._fetch():
            yield response.parsed

    def rows(self) -> Iterator[T]:
        """Rows as pages arrive: newest first, each once, inside the window."""
        for _, kept in self._fetch():
            yield from kept

    def collect(self, *, require_complete: bool = False) -> PageResult[R, T]:
        """Every page; ``rows`` oldest first. ``require_complete`` raises if it stopped early."""
        pages: list[R] = []
        rows: list[T] = []
        for response, kept in self._fetch():
            pages.append(response.parsed)
            rows += kept
        return self._state.result(pages, rows, require_complete)


class AsyncWindowPager(Generic[R, T]):
    """``async for page in ...``, ``async for row in ....rows()``, ``await ....collect()``."""

    def __init__(
        self,
        client: AsyncClient,
        prepared: Prepared,
        max_pages: int | None = DEFAULT_MAX_PAGES,
        *,
        low: Moment | None = None,
        high: Moment | None = None,
    ) -> None:
        self._client = client
        self._state = _WindowState(prepared, max_pages, low, high)

    @classmethod
    def range(
        cls,
        client: AsyncClient,
        api: ApiSpec[Any],
        values: Mapping[str, Any],
        start: object,
        end: object,
        max_pages: int | None,
    ) -> AsyncWindowPager[Any, Any]:
        filled, low, high = range_values(api, values, start, end)
        return cls(client, client.prepare(api, filled), max_pages, low=low, high=high)

    @property
    def complete(self) -> bool | None:
        return self._state.complete

    async def _fetch(self) -> AsyncIterator[tuple[ApiResponse[R], list[T]]]:
        state = self._state
        state.begin()
        while (request := state.request) is not None:
            response: ApiResponse[R] = await self._client.send(request)
            kept = state.new_rows(response.parsed)
            yield response, kept
            state.advance(response, kept)

    async def raw_pages(self) -> AsyncIterator[ApiResponse[R]]:
        async for response, _ in self._fetch():
            yield response

    async def __aiter__(self) -> AsyncIterator[R]:
        async for response, _ in self._fetch():
            yield response.parsed

    async def rows(self) -> AsyncIterator[T]:
        async for _, kept in self._fetch():
            for row in kept:
                yield row

    async def collect(self, *, require_complete: bool = False) -> PageResult[R, T]:
        pages: list[R] = []
        rows: list[T] = []
        async for response, kept in self._fetch():
            pages.append(response.parsed)
            rows += kept
        return self._state.result(pages, rows, require_complete)
