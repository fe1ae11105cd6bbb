"""The gateway's web application: GraphQL at /graphql, health, and the alliance's public keys."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from strawberry.http.ides import get_graphql_ide_html

from alliance.config import Settings
from alliance.core.keys import b64url_encode, jwks
from alliance.errors import AllianceError
from alliance.gateway.context import GatewayContext
from alliance.gateway.dashboard import dashboard_routes
from alliance.gateway.schema import schema
from alliance.services.app import AllianceServices
from alliance.web.auth import authenticate_request
from alliance.web.errors import format_graphql_error
from alliance.web.graphql_http import GraphQLEndpoint
from alliance.web.limits import alias_limit, depth_limit
from bot.web import routes as bot_routes
from bot.web import start_background as start_bot


def create_app(settings: Settings, *, services: AllianceServices | None = None) -> Starlette:
    """The gateway. With `services` given the caller owns them; otherwise they open and close with the app."""
    state: dict[str, AllianceServices] = {}

    async def context(request: Request) -> GatewayContext:
        return GatewayContext(services=state["services"], principal=request.state.principal, request=request)

    graphql = GraphQLEndpoint(
        schema._schema,
        context=context,
        rules=[depth_limit(settings.max_depth), alias_limit(settings.max_aliases)],
        max_tokens=settings.max_tokens,
        introspection=settings.introspection,
        graphiql=get_graphql_ide_html(),
        format_error=format_graphql_error,
    )

    async def graphql_route(request: Request) -> Response:
        refused = await authenticate_request(request, state["services"].authenticate)
        if refused is not None:
            return refused
        started = time.perf_counter()
        response = await graphql(request)
        metrics = state["services"].metrics
        metrics.requests.labels(str(response.status_code)).inc()
        metrics.request_seconds.observe(time.perf_counter() - started)
        return response

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        svc = state.get("services")
        if svc is None:
            return JSONResponse({"status": "starting"}, status_code=503)
        try:
            await svc.standards.list()
        except Exception as exc:  # readiness reports any failure of the database
            return JSONResponse({"status": "database unavailable", "error": str(exc)}, status_code=503)
        return JSONResponse({"status": "ready"})

    async def park_statement(request: Request) -> Response:
        try:
            token, _ = await state["services"].registry.statement(request.path_params["park_id"])
        except AllianceError as exc:
            return JSONResponse({"error": exc.message}, status_code=404 if exc.code == "NOT_FOUND" else 400)
        return PlainTextResponse(token, media_type="application/park-statement+jwt",
                                 headers={"Cache-Control": "public, max-age=60"})

    async def tree_head(_: Request) -> Response:
        token = await state["services"].history.tree_head()
        return PlainTextResponse(token, media_type="application/tree-head+jwt")

    async def log_entry(request: Request) -> Response:
        history = state["services"].history
        try:
            size = request.query_params.get("tree_size")
            proof = await history.inclusion(int(request.path_params["seq"]), int(size) if size else None)
        except ValueError:
            return JSONResponse({"error": "tree_size must be a number"}, status_code=400)
        except AllianceError as exc:
            return JSONResponse({"error": exc.message}, status_code=404 if exc.code == "NOT_FOUND" else 400)
        return JSONResponse(proof.to_dict())

    async def log_consistency(request: Request) -> Response:
        try:
            first, second = int(request.query_params["first"]), int(request.query_params["second"])
            proof = await state["services"].history.consistency(first, second)
        except (KeyError, ValueError):
            return JSONResponse({"error": "give first and second, two tree sizes"}, status_code=400)
        except AllianceError as exc:
            return JSONResponse({"error": exc.message}, status_code=400)
        return JSONResponse({"first": first, "second": second, "consistency_proof": [b64url_encode(h) for h in proof]})

    async def metrics(_: Request) -> Response:
        return Response(state["services"].metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    async def alliance_jwks(_: Request) -> Response:
        return JSONResponse(jwks(state["services"].tokens.public_keys.values()),
                            headers={"Cache-Control": "public, max-age=300"})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        owned = services is None
        state["services"] = app.state.services = services or await AllianceServices.open(settings)
        stop_bot = await start_bot(state["services"])
        try:
            yield
        finally:
            await stop_bot()
            if owned:
                await state["services"].close()

    middleware = []
    if settings.cors_origins:
        middleware.append(Middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                                     allow_methods=["GET", "POST"], allow_headers=["authorization", "content-type"]))
    return Starlette(
        routes=[
            Route("/graphql", graphql_route, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/.well-known/jwks.json", alliance_jwks),
            Route("/parks/{park_id}/statement", park_statement),
            Route("/metrics", metrics),
            Route("/log/tree-head", tree_head),
            Route("/log/entries/{seq:int}", log_entry),
            Route("/log/consistency", log_consistency),
            *dashboard_routes(lambda: state["services"]),
            *bot_routes(lambda: state["services"]),
        ],
        middleware=middleware,
        lifespan=lifespan,
    )
