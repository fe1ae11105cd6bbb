"""Errors that every front-end turns into a clear message.

Each carries a machine code (for GraphQL `extensions.code`, HTTP status, CLI exit) and a message that says
what is wrong. `InvalidInput` carries the full list of problems, so a caller fixes everything in one go.
"""

from __future__ import annotations


class AllianceError(Exception):
    code = "ALLIANCE_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(AllianceError):
    code = "BAD_USER_INPUT"

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = problems or [message]
        if problems:
            message = message + ": " + "; ".join(problems)
        super().__init__(message)


class Unauthenticated(AllianceError):
    code = "UNAUTHENTICATED"


class Forbidden(AllianceError):
    code = "FORBIDDEN"


class NotFound(AllianceError):
    code = "NOT_FOUND"


class Conflict(AllianceError):
    code = "CONFLICT"


class LimitExceeded(AllianceError):
    code = "LIMIT_EXCEEDED"
