"""Calls to a park's GraphQL endpoint (schema/park.graphql), with a deadline and a strict check of the answer."""

from __future__ import annotations

from typing import Any

import httpx

RATINGS_QUERY = """query Ratings($usccs: [String!]!) {
  ratings(usccs: $usccs) {
    uscc found error name attestation grade score breakdown
    listings { id uscc kind reason legalBasis since until active }
  }
}"""

HOLDS_QUERY = """query Holds($usccs: [String!]!) { holds(usccs: $usccs) }"""

SEARCH_QUERY = """query Search($q: String!, $first: Int) { search(query: $q, first: $first) { uscc name grade } }"""

TIMEOUT, ERROR = "TIMEOUT", "ERROR"


class ParkCallFailed(Exception):
    def __init__(self, kind: str, detail: str, *, retryable: bool) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.retryable = retryable


class ParkClient:
    """One small connection pool per park: httpx scans its whole pool on every request, so a single pool
    shared by two dozen parks costs more CPU than the requests themselves."""

    def __init__(self, *, per_park_connections: int = 16) -> None:
        self._clients: dict[str, httpx.AsyncClient] = {}
        # Idle connections are dropped before a server's usual 5 s keep-alive ends, so a request never races the
        # server closing the connection it was about to reuse.
        self._limits = httpx.Limits(max_connections=per_park_connections,
                                    max_keepalive_connections=per_park_connections, keepalive_expiry=3.0)

    def http(self, url: str) -> httpx.AsyncClient:
        origin = "/".join(url.split("/", 3)[:3])
        client = self._clients.get(origin)
        if client is None:
            client = self._clients[origin] = httpx.AsyncClient(limits=self._limits)
        return client

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    async def _send(self, method: str, url: str, timeout: float, **kwargs: Any) -> httpx.Response:
        """One request; sent again at once if a reused connection turned out to be closed by the park."""
        client = self.http(url)
        try:
            return await client.request(method, url, timeout=httpx.Timeout(timeout), **kwargs)
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            return await client.request(method, url, timeout=httpx.Timeout(timeout), **kwargs)

    async def query(self, endpoint: str, query: str, variables: dict[str, Any], timeout: float) -> dict[str, Any]:
        try:
            response = await self._send(
                "POST", endpoint, timeout,
                json={"query": query, "variables": variables},
                headers={"accept": "application/graphql-response+json, application/json;q=0.9"},
            )
        except httpx.TimeoutException as exc:
            raise ParkCallFailed(TIMEOUT, f"no answer within {timeout * 1000:.0f} ms", retryable=True) from exc
        except httpx.HTTPError as exc:
            raise ParkCallFailed(ERROR, f"cannot reach the park: {type(exc).__name__}", retryable=True) from exc
        if response.status_code >= 500:
            raise ParkCallFailed(ERROR, f"the park answered HTTP {response.status_code}", retryable=True)
        try:
            body = response.json()
        except ValueError as exc:
            raise ParkCallFailed(ERROR, "the park answered garbage (not JSON)", retryable=False) from exc
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            errors = body.get("errors") if isinstance(body, dict) else None
            detail = errors[0].get("message") if isinstance(errors, list) and errors and isinstance(errors[0], dict) \
                else "no data"
            raise ParkCallFailed(ERROR, f"the park answered garbage ({str(detail)[:200]})", retryable=False)
        return body["data"]

    async def ratings(self, endpoint: str, usccs: list[str], timeout: float) -> list[dict[str, Any]]:
        data = await self.query(endpoint, RATINGS_QUERY, {"usccs": usccs}, timeout)
        items = data.get("ratings")
        if not isinstance(items, list) or len(items) != len(usccs):
            raise ParkCallFailed(ERROR, "the park answered garbage (ratings do not match the request)", retryable=False)
        for asked, item in zip(usccs, items, strict=True):
            if not isinstance(item, dict) or item.get("uscc") != asked or not isinstance(item.get("found"), bool):
                raise ParkCallFailed(ERROR, "the park answered garbage (a rating of the wrong shape)", retryable=False)
            if item.get("attestation") is not None and not isinstance(item["attestation"], str):
                raise ParkCallFailed(ERROR, "the park answered garbage (attestation not a string)", retryable=False)
            if not isinstance(item.get("listings") or [], list):
                raise ParkCallFailed(ERROR, "the park answered garbage (listings not a list)", retryable=False)
        return items

    async def holds(self, endpoint: str, usccs: list[str], timeout: float) -> set[str]:
        data = await self.query(endpoint, HOLDS_QUERY, {"usccs": usccs}, timeout)
        held = data.get("holds")
        if not isinstance(held, list) or not all(isinstance(u, str) for u in held) or not set(held) <= set(usccs):
            raise ParkCallFailed(ERROR, "the park answered garbage (holds do not match the request)", retryable=False)
        return set(held)

    async def search(self, endpoint: str, query: str, first: int, timeout: float) -> list[dict[str, Any]]:
        data = await self.query(endpoint, SEARCH_QUERY, {"q": query, "first": first}, timeout)
        items = data.get("search")
        if not isinstance(items, list) or not all(isinstance(i, dict) and isinstance(i.get("uscc"), str)
                                                 for i in items):
            raise ParkCallFailed(ERROR, "the park answered garbage (search results)", retryable=False)
        return items

    async def status_list(self, uri: str, timeout: float) -> str:
        try:
            response = await self._send("GET", uri, timeout, headers={"accept": "application/statuslist+jwt"})
        except httpx.TimeoutException as exc:
            raise ParkCallFailed(TIMEOUT, "status list: no answer in time", retryable=True) from exc
        except httpx.HTTPError as exc:
            raise ParkCallFailed(ERROR, f"status list: cannot reach the park: {type(exc).__name__}",
                                 retryable=True) from exc
        if response.status_code != 200:
            raise ParkCallFailed(
                ERROR, f"status list: HTTP {response.status_code}", retryable=response.status_code >= 500
            )
        return response.text.strip()
