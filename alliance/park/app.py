"""The park node's web application.

Routes:
- `/graphql`                     the park endpoint (schema/park.graphql), GraphQL over HTTP
- `/.well-known/jwks.json`       the park's public keys (current, and a staged next key)
- `/.well-known/park-keys.json`  the same plus retired keys with reasons: what the alliance copies into the
                                 park statement (`jwks`, `historical_keys`)
- `/statuslists/1`               the signed Token Status List (application/statuslist+jwt)
- `POST /verify`                 verify any park's attestation (body: the token) along the alliance's chain
- `/healthz`
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from alliance.core.attestation import MAX_TOKEN_SIZE, Code
from alliance.park.config import STATUS_LIST_PATH, ParkConfig
from alliance.park.node import ParkNode
from alliance.park.schema import schema
from alliance.services.auth import Principal
from alliance.web.auth import authenticate_request
from alliance.web.errors import format_graphql_error
from alliance.web.graphql_http import GraphQLEndpoint
from alliance.web.limits import alias_limit, depth_limit

log = logging.getLogger("alliance.park")

REFRESH_EVERY = 60.0  # seconds between upkeep rounds (new standard, renewals, listings that began or ended)


@dataclass(frozen=True)
class ParkContext:
    node: ParkNode
    principal: Principal
    request: Request


def create_park_app(
    config: ParkConfig, node: ParkNode | None = None, *, refresh_every: float = REFRESH_EVERY
) -> Starlette:
    """The park node as an ASGI app. With `node` given the caller owns it; otherwise it opens and closes with
    the app (inside the server's event loop, where its database connections live)."""
    state: dict[str, ParkNode] = {}

    async def context(request: Request) -> ParkContext:
        return ParkContext(state["node"], request.state.principal, request)

    graphql = GraphQLEndpoint(
        schema.graphql_schema,
        context=context,
        rules=[depth_limit(config.max_depth), alias_limit(config.max_aliases)],
        max_tokens=config.max_tokens,
        introspection=config.introspection,
        format_error=format_graphql_error,
    )

    async def graphql_route(request: Request) -> Response:
        refused = await authenticate_request(request, state["node"].authenticate)
        return refused if refused is not None else await graphql(request)

    async def jwks(_: Request) -> Response:
        return JSONResponse(state["node"].jwks(), headers={"Cache-Control": "public, max-age=300"})

    async def park_keys(_: Request) -> Response:
        return JSONResponse(state["node"].park_keys(), headers={"Cache-Control": "public, max-age=300"})

    async def status_list(_: Request) -> Response:
        token = await state["node"].status_list_token()
        # The list's own ttl is what verifiers go by; HTTP caches get the same figure.
        return PlainTextResponse(
            token,
            media_type="application/statuslist+jwt",
            headers={"Cache-Control": f"public, max-age={config.status_ttl}"},
        )

    async def verify(request: Request) -> Response:
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_TOKEN_SIZE * 2:
                return JSONResponse(
                    _verdict_json(
                        False, Code.MALFORMED, f"token too large (limit {MAX_TOKEN_SIZE} bytes)", None
                    ),
                    status_code=413,
                )
        try:
            text = body.decode("ascii").strip()
        except UnicodeDecodeError:
            return JSONResponse(
                _verdict_json(False, Code.MALFORMED, "the token is not ASCII text", None), 400
            )
        verdict = await state["node"].verify_foreign(text)
        return JSONResponse(_verdict_json(bool(verdict), verdict.status, verdict.reason, verdict.claims))

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok", "park": config.id})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        owned = node is None
        state["node"] = app.state.node = node or await ParkNode.open(config)
        upkeep = asyncio.create_task(_upkeep(state["node"], refresh_every), name=f"park-upkeep:{config.id}")
        try:
            yield
        finally:
            upkeep.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await upkeep
            if owned:
                await state["node"].close()

    return Starlette(
        routes=[
            Route("/graphql", graphql_route, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
            Route("/.well-known/jwks.json", jwks),
            Route("/.well-known/park-keys.json", park_keys),
            Route(STATUS_LIST_PATH, status_list),
            Route("/verify", verify, methods=["POST"]),
            Route("/healthz", healthz),
        ],
        lifespan=lifespan,
    )


def _verdict_json(valid: bool, status: str, reason: str, claims: dict[str, Any] | None) -> dict[str, Any]:
    return {"valid": valid, "status": status, "reason": reason, "claims": claims}


async def _upkeep(node: ParkNode, every: float) -> None:
    """Refresh now and then; a failing round is logged and the next one tries again."""
    while True:
        try:
            await node.refresh()
        except asyncio.CancelledError:
            raise
        except Exception:  # upkeep must outlive a database hiccup; the log has the details
            log.exception("park %s: upkeep failed", node.id)
        await asyncio.sleep(every)
