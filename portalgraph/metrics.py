"""`/metrics`: the process's Prometheus metrics (declared in `infra.metrics`) for a scraper,
with the live state of the upstream guards (circuits, bulkhead queues) and of Redis read at
each scrape.

One process is one target: run one worker per pod (scale with replicas), so that every
scrape sees all of a process's counts.
"""

from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import Request
from starlette.responses import Response

from connectors.base.guard import Guard
from connectors.base.records import System
from infra.cache import Cache
from infra.fallback import FallbackCache
from infra.metrics import (
    count_guarded_call,
    exposition,
    set_bulkhead_queue_depth,
    set_circuit_state,
    set_redis_degraded,
)


class GuardObserver:
    """The guards' `CallObserver`: every call through a guard, by system and outcome."""

    def observe(self, system: System, outcome: str, seconds: float) -> None:
        count_guarded_call(system.value, outcome)


def metrics_endpoint(
    guards: Callable[[], Mapping[System, Guard]], cache: Callable[[], Cache | None]
) -> Callable[[Request], Awaitable[Response]]:
    async def metrics(_: Request) -> Response:
        for system, guard in guards().items():
            set_circuit_state(system.value, guard.breaker.state.value)
            set_bulkhead_queue_depth(system.value, guard.bulkhead.queued)
        current = cache()
        if isinstance(current, FallbackCache):
            set_redis_degraded(current.degraded)
        body, content_type = exposition()
        return Response(body, media_type=content_type)

    return metrics
