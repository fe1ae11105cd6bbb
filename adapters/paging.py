"""Paging through a remote collection: page/size, offset/limit, a cursor, or a next link.

Shared by the REST source (the values become query parameters) and the GraphQL source (they become query
variables). The pager decides when the collection ends, and refuses to loop forever: a cursor that does not
advance or more than `max_pages` pages abort the run rather than import a collection twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from adapters import jsonpath
from adapters.base import SourceError
from adapters.jsonpath import MISSING

STYLES = ("none", "page", "offset", "cursor", "next_link")


@dataclass(frozen=True)
class Paging:
    style: str = "none"
    page_size: int = 100
    # Names of the query parameters (REST) or variables (GraphQL) that carry the paging values.
    page: str = "page"
    size: str = "size"  # "" to not send the page size
    offset: str = "offset"
    cursor: str = "cursor"
    first_page: int = 1
    # JSON paths into each response (for GraphQL: under "data").
    next_cursor: str = ""
    has_next: str = ""
    next_link: str = "links.next"
    max_pages: int = 10_000


@dataclass
class PageRequest:
    number: int  # pages requested so far, this one included (for messages: "第 3 页")
    values: dict[str, Any] = field(default_factory=dict)
    url: str | None = None  # next_link style: the link to follow
    fetched: int = 0  # items received before this page


class Pager:
    def __init__(self, paging: Paging, total: Callable[[Any], Any] | None = None) -> None:
        if paging.style not in STYLES:
            raise ValueError(paging.style)
        self.paging = paging
        self._total = total  # reads the collection's total from a response, when the service gives it
        self._next_cursor = jsonpath.compile_path(paging.next_cursor) if paging.next_cursor else None
        self._has_next = jsonpath.compile_path(paging.has_next) if paging.has_next else None
        self._next_link = jsonpath.compile_path(paging.next_link)
        self.total: int | None = None

    def _sized(self, values: dict[str, Any]) -> dict[str, Any]:
        if self.paging.size:
            values[self.paging.size] = self.paging.page_size
        return values

    def first(self) -> PageRequest:
        p = self.paging
        if p.style == "page":
            return PageRequest(1, self._sized({p.page: p.first_page}))
        if p.style == "offset":
            return PageRequest(1, self._sized({p.offset: 0}))
        if p.style == "cursor":
            return PageRequest(1, self._sized({}))
        return PageRequest(1)

    def after(self, current: PageRequest, items: list[Any], doc: Any) -> PageRequest | None:
        """The request for the page after `current`, or None when the collection has ended."""
        p = self.paging
        fetched = current.fetched + len(items)
        if self._total is not None and self.total is None:
            total = self._total(doc)
            if isinstance(total, int) and not isinstance(total, bool):
                self.total = total
        if p.style == "none" or not items:
            return None
        if self.total is not None and fetched >= self.total:
            return None
        number = current.number + 1
        if number > p.max_pages:
            raise SourceError(
                f"已读取 {p.max_pages} 页仍未结束，已中止 (more than max_pages = {p.max_pages} pages; "
                "is the service ignoring the paging parameters?)"
            )
        if p.style in ("page", "offset"):
            # A short page ends the collection, unless the service's total says more is coming (a service that
            # caps the page size below page_size would otherwise be cut off after its first page).
            if len(items) < p.page_size and self.total is None:
                return None
            if p.style == "page":
                return PageRequest(number, self._sized({p.page: current.values[p.page] + 1}), fetched=fetched)
            return PageRequest(number, self._sized({p.offset: fetched}), fetched=fetched)
        if p.style == "cursor":
            assert self._next_cursor is not None
            if self._has_next is not None and not self._has_next(doc):
                return None
            cursor = self._next_cursor(doc)
            if cursor is MISSING or cursor is None or cursor == "":
                return None
            if cursor == current.values.get(p.cursor):
                raise SourceError(
                    f"第 {current.number} 页: 分页游标没有前进 (the cursor did not advance: {cursor!r})"
                )
            return PageRequest(number, self._sized({p.cursor: cursor}), fetched=fetched)
        link = self._next_link(doc)
        if link is MISSING or not link:
            return None
        if not isinstance(link, str):
            raise SourceError(f"第 {current.number} 页: 下一页链接不是文字 (the next link is not a string)")
        if link == current.url:
            raise SourceError(
                f"第 {current.number} 页: 下一页链接指向本页 (the next link points to this page)"
            )
        return PageRequest(number, url=link, fetched=fetched)
