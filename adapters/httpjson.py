"""One JSON request with a deadline, retries for idempotent reads, and failures turned into SourceError.

Reads are retried on timeouts, connection failures and the statuses that mean "try again" (429, 5xx),
with exponential backoff; a refusal (401, 403, other 4xx) is final at once. When the retries run out the
run aborts: an import is all-or-nothing, so a page that cannot be read must not leave a silently shorter
collection.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from adapters.base import SourceError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


async def request_json(
    client: httpx.AsyncClient,
    method: str,
    url: str | httpx.URL,
    *,
    where: str,
    retries: int,
    backoff: float,
    **kwargs: Any,
) -> tuple[Any, httpx.URL]:
    """The decoded JSON body and the URL that answered it."""
    attempt = 0
    while True:
        attempt += 1
        try:
            response = await client.request(method, url, **kwargs)
        except httpx.TimeoutException:
            timeout = client.timeout.read
            zh, en = "请求超时", f"no answer within {timeout} s"
        except httpx.TransportError as e:
            zh, en = "连接失败", f"connection failed: {type(e).__name__} {e}".strip()
        else:
            status = response.status_code
            if status in RETRY_STATUSES:
                zh, en = f"服务返回 HTTP {status}", f"the service answered HTTP {status}"
            elif status in (401, 403):
                raise SourceError(
                    f"{where}: 认证失败 HTTP {status}，请检查 headers 中的凭据 "
                    f"(authentication refused: HTTP {status}; check the auth header)"
                )
            elif status >= 400:
                raise SourceError(f"{where}: 请求被拒绝 HTTP {status} (request refused: {_body(response)})")
            else:
                try:
                    return response.json(), response.url
                except ValueError:
                    raise SourceError(
                        f"{where}: 返回的不是 JSON (the answer is not JSON: {_body(response)})"
                    ) from None
        if attempt > retries:
            raise SourceError(f"{where}: {zh}，已尝试 {attempt} 次 ({en}; {attempt} attempts)")
        await asyncio.sleep(backoff * 2 ** (attempt - 1))


def _body(response: httpx.Response) -> str:
    text = " ".join(response.text.split())
    return f"HTTP {response.status_code} {text[:200]}".strip()
