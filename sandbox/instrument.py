"""The control surface every sandbox system shares: `/_stats`, `/_stats/reset`, `/_faults`,
request counting and fault injection around the system's own routes."""

from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match, Route

from sandbox.faults import FailureResponse, Faults, plain_failure
from sandbox.stats import RequestStats

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

    async def reset_stats(_: Request) -> Response:
        stats.reset()
        return JSONResponse(stats.snapshot())

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
        Route("/_faults", set_faults, methods=["POST"]),
    ]


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
    name_operation = operation_of or route_operation(routes)
    app = Starlette(routes=[*control_routes(stats, faults), *routes])

    @app.middleware("http")
    async def count_and_fault(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if request.url.path.startswith(CONTROL_PREFIX):
            return await call_next(request)
        operation = await name_operation(request)
        stats.record(operation)
        faulty = await faults.apply(operation, failure)
        return faulty if faulty is not None else await call_next(request)

    return app
