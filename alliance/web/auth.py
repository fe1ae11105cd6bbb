"""Who is asking, for both GraphQL endpoints: the bearer token, or a 401 that says why it was refused."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from alliance.errors import AllianceError
from alliance.services.auth import ANONYMOUS, Principal, bearer


async def authenticate_request(request: Request, authenticate: Callable[[str], Awaitable[Principal]]
                               ) -> Response | None:
    """Set `request.state.principal`; a 401 response when a token was sent and refused.

    A bad token is refused outright, never quietly downgraded to anonymous.
    """
    try:
        token = bearer(request.headers.get("authorization"))
        request.state.principal = await authenticate(token) if token else ANONYMOUS
    except AllianceError as exc:
        return JSONResponse({"errors": [{"message": exc.message, "extensions": {"code": exc.code}}]},
                            status_code=401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return None
