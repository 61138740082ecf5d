"""`POST /_advance`: move a sandbox record to another state, as the upstream system's users
would, for demos and tests. The body names the `object` and its `id`; `to` names the target
state (in the portal's terms, e.g. `SHIPPED`), or is left out for the next usual step.
The system then does what it does after any change: the ERP writes its change log, the others
send their webhook. The answer describes the record and the webhook delivery."""

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

Advance = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


class AdvanceError(ValueError):
    """The request names an unknown object or state: answered with 400."""


def advance_route(handlers: Mapping[str, Advance]) -> Route:
    async def advance(request: Request) -> Response:
        try:
            body = await request.json()
            if not isinstance(body, dict):
                raise AdvanceError("the body must be a JSON object")
            handler = handlers.get(str(body.get("object")))
            if handler is None:
                raise AdvanceError(f"'object' must be one of {sorted(handlers)}")
            return JSONResponse(await handler(body))
        except ValueError as error:  # AdvanceError, or a body that is not JSON
            return JSONResponse({"error": str(error)}, status_code=400)

    return Route("/_advance", advance, methods=["POST"])


def target(body: Mapping[str, Any], flow: list[str], current: str, known: Mapping[str, Any]) -> str:
    """The requested state, or the one after `current` in `flow` (the last one stays)."""
    wanted = body.get("to")
    if wanted is None:
        index = flow.index(current) if current in flow else -1
        return flow[min(index + 1, len(flow) - 1)]
    if wanted not in known:
        raise AdvanceError(f"'to' must be one of {sorted(known)}")
    return str(wanted)


def find(records: list[Any], record_id: object, name: str) -> Any:
    for record in records:
        if record.id == record_id:
            return record
    raise AdvanceError(f"no {name} {record_id!r}")
