"""The gateway's error codes and the exceptions resolvers raise; upstream errors become
typed GraphQL errors here, with the system named and the upstream's text kept out.

graphql-core copies an exception's `extensions` onto the GraphQL error it wraps it in.
"""

import logging
import math
from enum import Enum

from graphql import GraphQLError

from connectors.base.errors import UpstreamError
from connectors.base.sources import request_id

log = logging.getLogger("portalgraph.upstream")


class ErrorCode(Enum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    MFA_REQUIRED = "MFA_REQUIRED"
    RATE_LIMITED = "RATE_LIMITED"
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


def is_unexpected(error: GraphQLError) -> bool:
    """An error from a bug or an unforeseen failure, rather than one of the gateway's typed
    errors (GatewayError, or a GraphQLError such as a permission's)."""
    original = error.original_error
    return original is not None and not isinstance(original, GatewayError | GraphQLError)


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


class RateLimited(GatewayError):
    """A quota is used up; `retryAfter` says in how many seconds to try again."""

    def __init__(self, message: str, retry_after_s: float, **details: object) -> None:
        super().__init__(
            ErrorCode.RATE_LIMITED, message, retryAfter=math.ceil(retry_after_s), **details
        )


_SYSTEM_NAMES = {"erp": "ERP", "crm": "CRM", "dms": "document management system",
                 "payments": "payment provider", "idp": "identity provider"}  # fmt: skip


class UpstreamFailure(GatewayError):
    """An upstream system failed; only the fields it serves are null."""

    def __init__(self, error: UpstreamError) -> None:
        name = _SYSTEM_NAMES.get(error.system.value, error.system.value)
        details: dict[str, object] = {"system": error.system.value}
        if error.retry_after_s is not None:
            details["retryAfter"] = math.ceil(error.retry_after_s)
        super().__init__(
            ErrorCode(error.code),
            f"The {name} did not answer usefully; these fields are unavailable for now.",
            **details,
        )


def client_failure(error: UpstreamError) -> UpstreamFailure:
    """Log an upstream error with its detail and the request id; the client-safe failure."""
    log.warning("request %s: upstream %s failed: %s", request_id(), error.system.value, error)
    return UpstreamFailure(error)
