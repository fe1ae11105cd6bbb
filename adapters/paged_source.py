"""What the REST and the foreign-GraphQL sources share: walking a service's pages of items over HTTP.

A subclass says how to fetch one page (`_page`); this class does the rest: the paging, the items path, the
record ids for the report, the total for the progress bar.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx

from adapters import jsonpath
from adapters.base import RawRecord, SourceError
from adapters.jsonpath import MISSING
from adapters.paging import Pager, PageRequest, Paging


def item_origin(item: Any, id_of: jsonpath.Getter | None, page: int, index: int) -> str:
    if id_of is not None:
        ident = id_of(item)
        if ident is not MISSING and ident is not None and ident != "":
            return f"record id {ident}"
    return f"page {page} item {index}"


def page_items(doc: Any, get_items: jsonpath.Getter, items_path: str, page: int) -> list[Any]:
    items = get_items(doc)
    if not isinstance(items, list):
        found = "没有这个路径 (nothing there)" if items is MISSING else type(items).__name__
        raise SourceError(
            f"第 {page} 页: items 路径 '{items_path or '$'}' 处不是列表：{found} (no list at the items path)"
        )
    return items


def raw_item(item: Any, origin: str) -> RawRecord:
    if isinstance(item, dict):
        return RawRecord(origin, item)
    return RawRecord(origin, {}, f"条目不是对象 (the item is a {type(item).__name__}, not an object)")


class PagedHttpSource:
    def __init__(
        self,
        *,
        headers: Mapping[str, str] | None,
        items: str,
        paging: Paging | None,
        id_field: str | None,
        total: str | None,
        timeout: float,
        retries: int,
        backoff: float,
        verify_tls: bool,
    ) -> None:
        self.headers = dict(headers or {})  # may hold credentials: never shown by describe()
        self.items = items
        self.paging = paging or Paging()
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.verify_tls = verify_tls
        self._items = jsonpath.compile_path(items)
        self._id = jsonpath.compile_path(id_field) if id_field else None
        self._total = jsonpath.compile_path(total) if total else None
        self._pager: Pager | None = None

    async def total_hint(self) -> int | None:
        return self._pager.total if self._pager else None

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(headers=self.headers, timeout=self.timeout, verify=self.verify_tls,
                                 follow_redirects=True)

    async def _page(self, client: httpx.AsyncClient, request: PageRequest, where: str) -> Any:
        """The document of one page, in which the items path, the total and the paging keys are looked up."""
        raise NotImplementedError

    async def records(self) -> AsyncIterator[RawRecord]:
        pager = self._pager = Pager(self.paging, self._total)
        async with self._client() as client:
            request: PageRequest | None = pager.first()
            while request is not None:
                where = f"第 {request.number} 页 (page {request.number})"
                page = await self._page(client, request, where)
                items = page_items(page, self._items, self.items, request.number)
                for index, item in enumerate(items, 1):
                    yield raw_item(item, item_origin(item, self._id, request.number, index))
                request = pager.after(request, items, page)
