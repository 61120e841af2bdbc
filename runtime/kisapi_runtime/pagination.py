"""Continuation through ``tr_cont`` and the cursor keys (``CTX_AREA_FK100``/``NK100``...).

KIS answers with header ``tr_cont`` F or M when more pages follow (D or E on the last one);
the next request repeats the first with header ``tr_cont: N`` and the cursor parameters set
to the values of the previous response, exactly as received (padding included).
A page cap never hides data silently: ``complete`` says whether the last page was reached.

When a later page answers ``SYDB0050`` (the data changed since the first page), ``collect()``
drops what it has and reads again from the first page, once; a second change raises
:class:`~kisapi_runtime.errors.KisDataChangedError`. Iterating pages or rows raises it at once:
the earlier pages were already handed out, and reading them again would repeat rows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from .errors import KisDataChangedError, KisError
from .frames import Rows, rows_of
from .request import Prepared
from .response import ApiResponse
from .secret import get_logger

if TYPE_CHECKING:
    from .client import AsyncClient, SyncClient

R = TypeVar("R")
T = TypeVar("T")
log = get_logger("pagination")

DEFAULT_MAX_PAGES = 100


class KisIncompleteError(KisError):
    """``collect(require_complete=True)`` stopped at the page cap before the last page."""


@attrs.frozen(slots=True)
class PageResult(Generic[R, T]):
    """Every page fetched, their rows concatenated, and whether the last page was reached.

    ``to_arrow()``, ``to_polars()`` and ``to_pandas()`` convert the rows (see ``frames``).
    """

    pages: list[R]
    rows: Rows[T] = attrs.field(converter=rows_of)
    complete: bool

    def to_arrow(self, **options: Any) -> Any:
        return self.rows.to_arrow(**options)

    def to_polars(self, **options: Any) -> Any:
        return self.rows.to_polars(**options)

    def to_pandas(self, **options: Any) -> Any:
        return self.rows.to_pandas(**options)


class _Cursor:
    """The state machine shared by the sync and async paginators.

    The drivers only send ``request`` with header ``tr_cont`` while ``request`` is not None,
    then report the answer to ``advance`` or the ``SYDB0050`` error to ``data_changed``.
    """

    def __init__(self, prepared: Prepared, max_pages: int | None) -> None:
        if prepared.api.pagination is None:
            raise TypeError(f"{prepared.api.id} is not paginated")
        self.pagination = prepared.api.pagination
        self.rows_attr = self.pagination.rows.lower()
        self.first = prepared
        self.max_pages = max_pages
        self.complete: bool | None = None
        self.restarted = False
        self.request: Prepared | None = prepared
        self.tr_cont = ""
        self.page_no = 0

    def begin(self) -> None:
        """Start a read at the first page."""
        self.request, self.tr_cont, self.page_no = self.first, "", 0
        self.complete = None
        self.restarted = False

    def advance(self, response: ApiResponse[Any]) -> None:
        """A page arrived: move to the next one, or stop."""
        assert self.request is not None
        self.page_no += 1
        self.request = self.next_request(self.page_no, response, self.request)
        self.tr_cont = "N"

    def data_changed(self, error: KisDataChangedError, *, restartable: bool) -> None:
        """Rewind to the first page after ``SYDB0050`` on a later page, once; else re-raise."""
        if not restartable or self.page_no == 0 or self.restarted:
            raise error
        log.warning(
            "%s: the data changed after %d pages (%s); reading again from the first page",
            self.first.api.id,
            self.page_no,
            error.msg_cd,
        )
        self.restarted = True
        self.request, self.tr_cont, self.page_no = self.first, "", 0
        self.complete = None

    def next_request(
        self, page_no: int, response: ApiResponse[Any], previous: Prepared
    ) -> Prepared | None:
        if not response.has_next:
            self.complete = True
            return None
        if self.max_pages is not None and page_no >= self.max_pages:
            self.complete = False
            log.warning(
                "%s: stopped at the page cap (%d pages); more data remains",
                self.first.api.id,
                page_no,
            )
            return None
        cursor = {
            req: str(_cursor_value(response.body, res)) for req, res in self.pagination.cursor
        }
        if cursor and all(previous.params.get(k) == v for k, v in cursor.items()) and page_no > 1:
            self.complete = False
            log.warning("%s: the cursor did not move; stopping to avoid a loop", self.first.api.id)
            return None
        return self.first.with_cursor(cursor)

    def result(self, pages: list[Any], require_complete: bool) -> PageResult[Any, Any]:
        blocks = [self.rows(page) for page in pages]
        model = next((b.model for b in blocks if isinstance(b, Rows)), None)
        rows: Rows[Any] = Rows((row for block in blocks for row in block), model)
        result: PageResult[Any, Any] = PageResult(pages, rows, bool(self.complete))
        if require_complete and not result.complete:
            raise KisIncompleteError(
                f"{self.first.api.id}: page cap reached after {len(pages)} pages"
            )
        return result

    def rows(self, page: Any) -> Sequence[Any]:
        rows = getattr(page, self.rows_attr)
        return rows if isinstance(rows, list) else ([] if rows is None else [rows])


def _cursor_value(body: Any, key: str) -> Any:
    value = body.get(key)
    if value is None:
        value = body.get(key.upper(), body.get(key.lower(), ""))
    return value


class Paginator(Generic[R, T]):
    """Iterate pages (``for page in ...``), rows (``.rows()``) or fetch all (``.collect()``)."""

    def __init__(
        self, client: SyncClient, prepared: Prepared, max_pages: int | None = DEFAULT_MAX_PAGES
    ) -> None:
        self._client = client
        self._state = _Cursor(prepared, max_pages)

    @property
    def complete(self) -> bool | None:
        """True after the last page, False when the cap stopped early, None before the end."""
        return self._state.complete

    def _fetch(self, restartable: bool) -> Iterator[ApiResponse[R] | None]:
        """Responses in order; None means the read restarted at the first page."""
        state = self._state
        state.begin()
        while (request := state.request) is not None:
            try:
                response: ApiResponse[R] = self._client.send(request, state.tr_cont)
            except KisDataChangedError as error:
                state.data_changed(error, restartable=restartable)
                self._client._cache.clear()  # the first page again, not a cached copy
                yield None
                continue
            yield response
            state.advance(response)

    def raw_pages(self) -> Iterator[ApiResponse[R]]:
        for response in self._fetch(restartable=False):
            assert response is not None  # only collect() restarts
            yield response

    def __iter__(self) -> Iterator[R]:
        for response in self.raw_pages():
            yield response.parsed

    def rows(self) -> Iterator[T]:
        for page in self:
            yield from self._state.rows(page)

    def collect(self, *, require_complete: bool = False) -> PageResult[R, T]:
        """Fetch every page; ``require_complete`` raises if the page cap stopped it early.

        ``SYDB0050`` on a later page restarts the read from the first page once.
        """
        pages: list[R] = []
        for response in self._fetch(restartable=True):
            if response is None:
                pages.clear()
            else:
                pages.append(response.parsed)
        return self._state.result(pages, require_complete)


class AsyncPaginator(Generic[R, T]):
    """``async for page in ...``, ``async for row in ....rows()``, ``await ....collect()``."""

    def __init__(
        self, client: AsyncClient, prepared: Prepared, max_pages: int | None = DEFAULT_MAX_PAGES
    ) -> None:
        self._client = client
        self._state = _Cursor(prepared, max_pages)

    @property
    def complete(self) -> bool | None:
        return self._state.complete

    async def _fetch(self, restartable: bool) -> AsyncIterator[ApiResponse[R] | None]:
        """Responses in order; None means the read restarted at the first page."""
        state = self._state
        state.begin()
        while (request := state.request) is not None:
            try:
                response: ApiResponse[R] = await self._client.send(request, state.tr_cont)
            except KisDataChangedError as error:
                state.data_changed(error, restartable=restartable)
                self._client._cache.clear()  # the first page again, not a cached copy
                yield None
                continue
            yield response
            state.advance(response)

    async def raw_pages(self) -> AsyncIterator[ApiResponse[R]]:
        async for response in self._fetch(restartable=False):
            assert response is not None  # only collect() restarts
            yield response

    async def __aiter__(self) -> AsyncIterator[R]:
        async for response in self.raw_pages():
            yield response.parsed

    async def rows(self) -> AsyncIterator[T]:
        async for page in self:
            for row in self._state.rows(page):
                yield row

    async def collect(self, *, require_complete: bool = False) -> PageResult[R, T]:
        """Fetch every page; ``require_complete`` raises if the page cap stopped it early.

        ``SYDB0050`` on a later page restarts the read from the first page once.
        """
        pages: list[R] = []
        async for response in self._fetch(restartable=True):
            if response is None:
                pages.clear()
            else:
                pages.append(response.parsed)
        return self._state.result(pages, require_complete)
