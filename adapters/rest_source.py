"""A park's internal REST/JSON service as a rating source: GET pages, pick the items, follow the paging."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx

from adapters import jsonpath
from adapters.base import RawRecord, SourceError
from adapters.httpjson import request_json
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


class RestSource:
    def __init__(
        self,
        base_url: str,
        path: str = "",
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        items: str = "",
        paging: Paging | None = None,
        id_field: str | None = None,
        total: str | None = None,
        timeout: float = 10.0,
        retries: int = 2,
        backoff: float = 0.5,
        verify_tls: bool = True,
    ) -> None:
        self.base_url = base_url
        self.path = path
        self.headers = dict(headers or {})  # may hold credentials: never shown by describe()
        self.params = dict(params or {})
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

    def describe(self) -> str:
        return f"REST 服务 {self.base_url.rstrip('/')}{self.path} (paging: {self.paging.style})"

    async def total_hint(self) -> int | None:
        return self._pager.total if self._pager else None

    async def records(self) -> AsyncIterator[RawRecord]:
        pager = self._pager = Pager(self.paging, self._total)
        async with httpx.AsyncClient(
            base_url=self.base_url,
            headers=self.headers,
            timeout=self.timeout,
            verify=self.verify_tls,
            follow_redirects=True,
        ) as client:
            request: PageRequest | None = pager.first()
            here: httpx.URL | None = None
            while request is not None:
                where = f"第 {request.number} 页 (page {request.number})"
                if request.url is not None:
                    assert here is not None
                    # A next link may be relative: resolve it against the page that gave it (RFC 3986).
                    url: str | httpx.URL = here.join(request.url)
                    params = None
                else:
                    url, params = self.path, {**self.params, **request.values}
                doc, here = await request_json(
                    client, "GET", url, params=params, where=where, retries=self.retries, backoff=self.backoff
                )
                items = page_items(doc, self._items, self.items, request.number)
                for index, item in enumerate(items, 1):
                    yield raw_item(item, item_origin(item, self._id, request.number, index))
                request = pager.after(request, items, doc)
