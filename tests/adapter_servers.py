"""Loopback servers for the adapter tests: a park REST service (Starlette), a foreign GraphQL API (graphene).

Both require `Authorization: Bearer <TOKEN>` and page through the same 25 enterprises, two of which cannot be
mapped (record 7 has a wrong USCC check character, record 12 the unknown grade 六星). The first path segment
selects a behaviour, so one server serves every test:

    ok            everything answers
    fail500       the third page (items 21-25) answers HTTP 500, every time
    hang          the second page answers only after HANG seconds (past the client's timeout)
    flaky-KEY     the second page answers 503 once per KEY, then normally (retries recover)
    capped        the REST service returns at most 4 items per page, whatever the client asks
"""

from __future__ import annotations

import asyncio
import base64
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import graphene
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from alliance.core.uscc import build

TOKEN = "park-token-0f9e"
TOTAL = 25
BAD_USCC_ID = 7
BAD_GRADE_ID = 12
HANG = 3.0
GRADES = ("五星", "四星", "三星")


def uscc_for(i: int) -> str:
    return build("9", "1", "420100", f"{i:08d}")


def enterprise(i: int) -> dict[str, Any]:
    """Record i (1-based) as the REST service shows it: nested, with its own field names."""
    code = uscc_for(i)
    if i == BAD_USCC_ID:
        code = code[:-1] + ("0" if code[-1] != "0" else "1")
    return {
        "id": i,
        "code": code,
        "company": {"name": f"东湖测试企业{i}号有限公司"},
        "credit": {
            "taxGrade": "六星" if i == BAD_GRADE_ID else GRADES[i % 3],
            "penalties": i % 3,
            "capitalWan": 100 + i,  # 万元
        },
        "score": 60 + i,
    }


DATA = [enterprise(i) for i in range(1, TOTAL + 1)]
GOOD_IDS = [i for i in range(1, TOTAL + 1) if i not in (BAD_USCC_ID, BAD_GRADE_ID)]


class Behaviour:
    """Shared state of a server: per-key request counts (flaky mode) and a stop flag for hanging handlers."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.stopping = threading.Event()
        self.lock = threading.Lock()

    def count(self, key: str) -> int:
        with self.lock:
            self.requests[key] += 1
            return self.requests[key]

    async def misbehave(self, mode: str, page: int) -> Response | None:
        """The response a mode substitutes for page `page` (1-based), or None to answer normally."""
        if mode == "fail500" and page == 3:
            return JSONResponse({"error": "database unavailable"}, status_code=500)
        if mode == "hang" and page == 2:
            # Waits in a worker thread so that stopping the server releases it at once.
            await asyncio.to_thread(self.stopping.wait, HANG)
        if mode.startswith("flaky-") and page == 2 and self.count(f"{mode}/page2") == 1:
            return JSONResponse({"error": "try again"}, status_code=503)
        return None


def _authorised(request: Request) -> bool:
    return request.headers.get("authorization") == f"Bearer {TOKEN}"


def _cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"pos:{position}".encode()).decode()


def _position(cursor: str) -> int:
    return int(base64.urlsafe_b64decode(cursor.encode()).decode().split(":")[1])


def rest_app(behaviour: Behaviour) -> Starlette:
    async def enterprises(request: Request) -> Response:
        if not _authorised(request):
            return JSONResponse({"error": "unauthorised"}, status_code=401)
        mode = request.path_params["mode"]
        q = request.query_params
        size = int(q.get("size", q.get("limit", "10")))
        if mode == "capped":
            size = min(size, 4)
        if "cursor" in q:
            start = _position(q["cursor"])
        elif "offset" in q:
            start = int(q["offset"])
        elif "page" in q:
            start = (int(q["page"]) - 1) * size
        else:
            start = 0
        page_number = start // size + 1
        substitute = await behaviour.misbehave(mode, page_number)
        if substitute is not None:
            return substitute
        items = DATA[start : start + size]
        end = start + len(items)
        more = end < TOTAL
        next_link = f"/{mode}/enterprises?page={page_number + 1}&size={size}" if more else None
        return JSONResponse(
            {
                "data": {"items": items, "total": TOTAL},
                # A link relative to the host, as many services give: the client must resolve it against this
                # page (RFC 3986), which is not the same as appending it to the configured base URL.
                "links": {"next": next_link},
                "meta": {"next_cursor": _cursor(end) if more else None},
            }
        )

    async def plain_list(request: Request) -> Response:
        # No paging, no wrapper: the whole collection as a top-level JSON list, with one item not an object.
        if not _authorised(request):
            return JSONResponse({"error": "unauthorised"}, status_code=401)
        return JSONResponse([*DATA[:3], "not an object"])

    return Starlette(
        routes=[
            Route("/{mode}/enterprises", enterprises),
            Route("/{mode}/all", plain_list),
        ]
    )


class Enterprise(graphene.ObjectType):
    id = graphene.Int(required=True)
    uscc = graphene.String(required=True)
    name = graphene.String(required=True)
    tax_grade = graphene.String()
    penalties = graphene.Int()
    score = graphene.Float()


class EnterprisePage(graphene.ObjectType):
    total_count = graphene.Int(required=True)
    items = graphene.List(graphene.NonNull(Enterprise), required=True)


class Query(graphene.ObjectType):
    enterprises = graphene.Field(
        EnterprisePage,
        required=True,
        offset=graphene.Int(required=True),
        first=graphene.Int(required=True),
        region=graphene.String(),
    )

    @staticmethod
    async def resolve_enterprises(
        root: Any, info: Any, offset: int, first: int, region: str | None = None
    ) -> EnterprisePage:
        if info.context["mode"] == "broken" and offset >= 20:
            raise RuntimeError("credit database unavailable")
        if region is not None and region != "420100":  # every test enterprise is registered in 420100
            return EnterprisePage(total_count=0, items=[])
        page = [
            Enterprise(
                id=e["id"],
                uscc=e["code"],
                name=e["company"]["name"],
                tax_grade=e["credit"]["taxGrade"],
                penalties=e["credit"]["penalties"],
                score=e["score"],
            )
            for e in DATA[offset : offset + first]
        ]
        return EnterprisePage(total_count=TOTAL, items=page)


SCHEMA = graphene.Schema(query=Query)


def graphql_app(behaviour: Behaviour) -> Starlette:
    async def endpoint(request: Request) -> Response:
        if not _authorised(request):
            return JSONResponse({"errors": [{"message": "unauthorised"}]}, status_code=401)
        mode = request.path_params["mode"]
        body = await request.json()
        variables = body.get("variables") or {}
        first = max(1, int(variables.get("first", 10)))
        substitute = await behaviour.misbehave(mode, int(variables.get("offset", 0)) // first + 1)
        if substitute is not None:
            return substitute
        result = await SCHEMA.execute_async(
            body["query"], variable_values=variables, context_value={"mode": mode}
        )
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [{"message": e.message} for e in result.errors]
        return JSONResponse(answer)

    return Starlette(routes=[Route("/{mode}/graphql", endpoint, methods=["POST"])])


@contextmanager
def serve(app: Any, behaviour: Behaviour) -> Iterator[str]:
    """Run `app` with uvicorn on a free loopback port in a background thread; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Without TCP_NODELAY, Nagle's algorithm and delayed ACKs add ~40 ms to every loopback request
    # (h11 writes a response's head and body separately).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        behaviour.stopping.set()
        server.should_exit = True
        thread.join(10)
        sock.close()
