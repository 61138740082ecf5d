"""Stripe's `Idempotency-Key` on a form POST: the first answer to a key is given again for the
same form, and the same key with another form is refused (400 `idempotency_error`)."""

from collections.abc import Callable
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

Failure = Callable[[int, str, str], Response]
T = TypeVar("T")


async def keyed_form(request: Request) -> tuple[dict[str, str], str | None]:
    """The request's form fields and its `Idempotency-Key`, if any."""
    form = dict(parse_qsl((await request.body()).decode("latin-1")))
    return form, request.headers.get("idempotency-key")


class Idempotent(Generic[T]):
    """What each key created, with the form it came with; `render` makes it the answer."""

    def __init__(self, render: Callable[[T], dict[str, Any]], failure: Failure) -> None:
        self.render = render
        self.failure = failure
        self.created: dict[str, tuple[dict[str, str], T]] = {}

    def replay(self, key: str | None, form: dict[str, str]) -> Response | None:
        """The answer to a key used before (or its refusal); None for a new request."""
        if key is None or key not in self.created:
            return None
        first_form, created = self.created[key]
        if first_form != form:
            return self.failure(
                400,
                "Keys for idempotent requests can only be used with the same parameters "
                "they were first used with.",
                "idempotency_error",
            )
        return JSONResponse(self.render(created))

    def answer(self, key: str | None, form: dict[str, str], created: T) -> Response:
        """The answer to a new request, remembered under its key."""
        if key is not None:
            self.created[key] = (form, created)
        return JSONResponse(self.render(created))
