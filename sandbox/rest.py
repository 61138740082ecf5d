"""What the REST sandbox systems (CRM, DMS, payment provider) share: bearer auth, query
parameters, JSON bodies, and the clock that derived states are computed from."""

import hmac
import json
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sandbox.faults import FailureResponse

Handler = Callable[[Request], Awaitable[Response]]
Clock = Callable[[], datetime]

MAX_IDS = 100
"""Batch reads take at most this many comma-separated keys; more is a 400."""


class BadRequest(Exception):
    """A query parameter or the body is missing or malformed: answered with 400 in the
    system's style."""


def guarded(token: str, failure: FailureResponse) -> Callable[[Handler], Handler]:
    """Wrap handlers: 401 unless `Authorization: Bearer <token>`, 400 for a `BadRequest`."""
    expected = f"Bearer {token}".encode()

    def guard(handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            given = request.headers.get("authorization", "").encode("latin-1")
            if not hmac.compare_digest(given, expected):
                return failure(401, "missing or invalid bearer token")
            try:
                return await handler(request)
            except BadRequest as error:
                return failure(400, str(error))

        return endpoint

    return guard


async def json_object(request: Request) -> dict[str, Any]:
    """A write's JSON body, which must be an object."""
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise BadRequest("the body must be JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def id_list(request: Request, name: str) -> list[str] | None:
    """The comma-separated keys of `name`, or None when the parameter is absent."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    keys = [key for key in raw.split(",") if key]
    if len(keys) > MAX_IDS:
        raise BadRequest(f"'{name}' has {len(keys)} values; at most {MAX_IDS} are allowed")
    return keys


def int_param(request: Request, name: str, default: int, maximum: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"'{name}' has value {raw!r}; expected an integer") from None
    if not 1 <= value <= maximum:
        raise BadRequest(f"'{name}' has value {value}; expected 1 to {maximum}")
    return value


def date_param(request: Request, name: str) -> date | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"'{name}' has value {raw!r}; expected a date YYYY-MM-DD") from None


def matches(search: str | None, *texts: str) -> bool:
    """Case-insensitive substring search over `texts`; no search matches everything."""
    if not search:
        return True
    needle = search.casefold()
    return any(needle in text.casefold() for text in texts)


def within(day: date, start: date | None, end: date | None) -> bool:
    return (start is None or day >= start) and (end is None or day <= end)


def advancing_clock(start: datetime) -> Clock:
    """A clock that starts at the seed's `now` and advances with real time, so SLA states
    change in a long-running demo while a pinned start keeps them reproducible."""
    origin = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - origin)
