"""How errors leave the house: a clear message and a code, never a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError

from alliance.errors import AllianceError, InvalidInput

log = logging.getLogger("alliance.web")


def format_graphql_error(error: GraphQLError) -> dict[str, Any]:
    formatted = error.formatted
    original = error.original_error
    if original is None:
        return formatted
    if isinstance(original, AllianceError):
        extensions: dict[str, Any] = {"code": original.code}
        if isinstance(original, InvalidInput) and len(original.problems) > 1:
            extensions["problems"] = original.problems
        formatted["message"] = original.message
        formatted["extensions"] = {**formatted.get("extensions", {}), **extensions}
        return formatted
    log.error("unexpected error at %s", error.path, exc_info=original)
    formatted["message"] = "internal error; the request was logged"
    formatted["extensions"] = {"code": "INTERNAL_SERVER_ERROR"}
    return formatted
