"""Continuation through ``tr_cont`` and the cursor keys (``CTX_AREA_FK100``/``NK100``...).

KIS answers with header ``tr_cont`` F or M when more pages follow (D or E on the last one);
the next request repeats the first with header ``tr_cont: N`` and the cursor parameters set
to the values of the previous response, exactly as received (padding included).
A page cap never hides data silently: ``complete`` says whether the last page was reached.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from .errors import KisError
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
    """Every page fetched, their rows concatenated, and whether the last page was reached."""

    pages: list[R]
    rows: list[T]
    complete: bool


class _Cursor:
    """The state machine shared by the sync and async paginators."""

    def __init__(self, prepared: Prepared, max_pages: int | None) -> None:
        if prepared.api.pagination is None:
            raise TypeError(f"{prepared.api.id} is not paginated")
        self.pagination = prepared.api.pagination
        self.rows_attr = self.pagination.rows.lower()
        self.first = prepared
        self.max_pages = max_pages
        self.complete: bool | None = None

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
        rows = [row for page in pages for row in self.rows(page)]
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

    def raw_pages(self) -> Iterator[ApiResponse[R]]:
        request: Prepared | None = self._state.first
        tr_cont, page_no = "", 0
        while request is not None:
            response: ApiResponse[R] = self._client.send(request, tr_cont)
            page_no += 1
            yield response
            request, tr_cont = self._state.next_request(page_no, response, request), "N"

    def __iter__(self) -> Iterator[R]:
        for response in self.raw_pages():
            yield response.parsed

    def rows(self) -> Iterator[T]:
        for page in self:
            yield from self._state.rows(page)

    def collect(self, *, require_complete: bool = False) -> PageResult[R, T]:
        """Fetch every page; ``require_complete`` raises if the page cap stopped it early."""
        return self._state.result(list(self), require_complete)


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

    async def raw_pages(self) -> AsyncIterator[ApiResponse[R]]:
        request: Prepared | None = self._state.first
        tr_cont, page_no = "", 0
        while request is not None:
            response: ApiResponse[R] = await self._client.send(request, tr_cont)
            page_no += 1
            yield response
            request, tr_cont = self._state.next_request(page_no, response, request), "N"

    async def __aiter__(self) -> AsyncIterator[R]:
        async for response in self.raw_pages():
            yield response.parsed

    async def rows(self) -> AsyncIterator[T]:
        async for page in self:
            for row in self._state.rows(page):
                yield row

    async def collect(self, *, require_complete: bool = False) -> PageResult[R, T]:
        """Fetch every page; ``require_complete`` raises if the page cap stopped it early."""
        return self._state.result([page async for page in self], require_complete)
