"""The control surface every sandbox system shares: `/_stats`, `/_stats/reset`, `/_faults`,
request counting and fault injection around the system's own routes."""

import asyncio
import time
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.faults import BodyFault, FailureResponse, Faults, plain_failure
from sandbox.stats import Call, RequestStats

OperationOf = Callable[[Request], Awaitable[str]]
"""Names the operation of a request; the default is `<METHOD> <route template>`."""

CONTROL_PREFIX = "/_"


def route_operation(routes: list[Route]) -> OperationOf:
    """The default naming: the method and the template of the first route that matches."""

    async def operation_of(request: Request) -> str:
        for route in routes:
            match, _ = route.matches(request.scope)
            if match is Match.FULL:
                return f"{request.method} {route.path}"
        return f"{request.method} {request.url.path}"

    return operation_of


def control_routes(stats: RequestStats, faults: Faults) -> list[Route]:
    async def read_stats(_: Request) -> Response:
        return JSONResponse(stats.snapshot())

    async def read_traceparents(_: Request) -> Response:
        return JSONResponse(stats.traceparent_snapshot())

    async def read_calls(_: Request) -> Response:
        return JSONResponse(stats.calls_snapshot())

    async def reset_stats(_: Request) -> Response:
        stats.reset()
        return JSONResponse(stats.snapshot())

    async def read_faults(_: Request) -> Response:
        return JSONResponse(faults.describe())

    async def set_faults(request: Request) -> Response:
        try:
            spec = await request.json()
            if not isinstance(spec, dict):
                raise ValueError("the body must be a JSON object")
            faults.configure(spec)
        except ValueError as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        return JSONResponse(faults.describe())

    return [
        Route("/_stats", read_stats, methods=["GET"]),
        Route("/_stats/reset", reset_stats, methods=["POST"]),
        Route("/_stats/traceparents", read_traceparents, methods=["GET"]),
        Route("/_stats/calls", read_calls, methods=["GET"]),
        Route("/_faults", set_faults, methods=["POST"]),
        Route("/_faults", read_faults, methods=["GET"]),
    ]


class Instrumentation:
    """Pure ASGI middleware: count every request under its operation, then inject faults.

    The operation may be named from the body (SOAP), so the body is read once here and
    replayed to the app.
    """

    def __init__(
        self,
        app: ASGIApp,
        stats: RequestStats,
        faults: Faults,
        operation_of: OperationOf,
        failure: FailureResponse,
    ) -> None:
        self.app = app
        self.stats = stats
        self.faults = faults
        self.operation_of = operation_of
        self.failure = failure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        request = Request(scope, receive)
        body = await request.body()  # after the body, `receive` answers only at disconnect
        operation = await self.operation_of(request)
        self.stats.record(operation, request.headers.get("traceparent"))
        faulty = await self.faults.apply(operation, receive, self.failure)
        if isinstance(faulty, Response):
            await faulty(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        if faulty is None:
            await self.app(scope, replay, send)
        else:
            await self._faulty_answer(scope, replay, send, faulty)
        self.stats.calls.append(
            Call(
                operation,
                request.method,
                request.url.path,
                request.url.query,
                tuple(request.headers.items()),
                body,
                started,
                time.monotonic(),
            )
        )

    async def _faulty_answer(
        self, scope: Scope, receive: Receive, send: Send, fault: BodyFault
    ) -> None:
        """The app's real answer, rewritten or trickled out until the client goes away."""
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        body = b"".join(chunks)
        if fault.rewrite is not None:
            body = fault.rewrite(body)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        step = fault.trickle_bytes or len(body) or 1

        async def client_gone() -> None:
            if (await receive())["type"] != "http.disconnect":  # the replayed request body
                await receive()

        gone = asyncio.ensure_future(client_gone())
        try:
            for offset in range(0, len(body), step):
                if gone.done():
                    return
                if offset and fault.trickle_s:
                    await asyncio.sleep(fault.trickle_s)
                await send({"type": "http.response.body", "body": body[offset : offset + step],
                            "more_body": True})  # fmt: skip
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            gone.cancel()


def instrumented_app(
    routes: list[Route],
    stats: RequestStats,
    faults: Faults,
    operation_of: OperationOf | None = None,
    failure: FailureResponse = plain_failure,
) -> Starlette:
    """A Starlette app serving `routes`, counting each request and injecting faults first.

    `failure` shapes injected errors the way the system itself reports them.
    """
    return Starlette(
        routes=[*control_routes(stats, faults), *routes],
        middleware=[
            Middleware(
                Instrumentation,
                stats=stats,
                faults=faults,
                operation_of=operation_of or route_operation(routes),
                failure=failure,
            )
        ],
    )
