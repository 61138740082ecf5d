"""The gateway's error codes and the exceptions resolvers raise; upstream errors become
typed GraphQL errors here, with the system named and the upstream's text kept out.

graphql-core copies an exception's `extensions` onto the GraphQL error it wraps it in.
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from enum import Enum

from connectors.base.errors import UpstreamError

log = logging.getLogger("portalgraph.upstream")


class ErrorCode(Enum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    UPSTREAM_UNAVAILABLE = "UPSTREAM_UNAVAILABLE"
    UPSTREAM_TIMEOUT = "UPSTREAM_TIMEOUT"
    UPSTREAM_BAD_RESPONSE = "UPSTREAM_BAD_RESPONSE"
    UPSTREAM_REJECTED = "UPSTREAM_REJECTED"
    CURSOR_EXPIRED = "CURSOR_EXPIRED"
    INTERNAL = "INTERNAL"


class GatewayError(Exception):
    """An error whose message and code are meant for the client."""

    def __init__(self, code: ErrorCode, message: str, **details: object) -> None:
        super().__init__(message)
        self.code = code
        self.extensions: dict[str, object] = {"code": code.value, **details}


class NotFound(GatewayError):
    """Unknown, hidden or another tenant's object: always the same answer."""

    def __init__(self, type_name: str = "object") -> None:
        super().__init__(ErrorCode.NOT_FOUND, f"No {type_name} with this ID exists.")


class Unauthenticated(GatewayError):
    def __init__(self, message: str = "A valid bearer token is required.") -> None:
        super().__init__(ErrorCode.UNAUTHENTICATED, message)


class BadUserInput(GatewayError):
    def __init__(self, message: str, argument: str) -> None:
        super().__init__(ErrorCode.BAD_USER_INPUT, message, argument=argument)


_SYSTEM_NAMES = {"erp": "ERP", "crm": "CRM", "dms": "document management system",
                 "payments": "payment provider"}  # fmt: skip


class UpstreamFailure(GatewayError):
    """An upstream system failed; only the fields it serves are null."""

    def __init__(self, error: UpstreamError) -> None:
        name = _SYSTEM_NAMES.get(error.system.value, error.system.value)
        details: dict[str, object] = {"system": error.system.value}
        if error.retry_after_s is not None:
            details["retryAfter"] = error.retry_after_s
        super().__init__(
            ErrorCode(error.code),
            f"The {name} did not answer usefully; these fields are unavailable for now.",
            **details,
        )


@asynccontextmanager
async def upstream_failures() -> AsyncIterator[None]:
    """Log an upstream error with its detail and re-raise it as a client-safe failure."""
    try:
        yield
    except UpstreamError as error:
        log.warning("upstream %s failed: %s", error.system.value, error.detail)
        raise UpstreamFailure(error) from error
