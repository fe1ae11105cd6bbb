"""A park's internal REST/JSON service as a rating source: GET pages, pick the items, follow the paging."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from adapters.httpjson import request_json
from adapters.paged_source import PagedHttpSource
from adapters.paging import PageRequest, Paging


class RestSource(PagedHttpSource):
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
        super().__init__(headers=headers, items=items, paging=paging, id_field=id_field, total=total,
                         timeout=timeout, retries=retries, backoff=backoff, verify_tls=verify_tls)
        self.base_url = base_url
        self.path = path
        self.params = dict(params or {})
        self._here: httpx.URL | None = None

    def describe(self) -> str:
        return f"REST 服务 {self.base_url.rstrip('/')}{self.path} (paging: {self.paging.style})"

    def _client(self) -> httpx.AsyncClient:
        self._here = None
        return httpx.AsyncClient(base_url=self.base_url, headers=self.headers, timeout=self.timeout,
                                 verify=self.verify_tls, follow_redirects=True)

    async def _page(self, client: httpx.AsyncClient, request: PageRequest, where: str) -> Any:
        if request.url is not None:
            assert self._here is not None
            # A next link may be relative: resolve it against the page that gave it (RFC 3986).
            url: str | httpx.URL = self._here.join(request.url)
            params = None
        else:
            url, params = self.path, {**self.params, **request.values}
        doc, self._here = await request_json(
            client, "GET", url, params=params, where=where, retries=self.retries, backoff=self.backoff
        )
        return doc
