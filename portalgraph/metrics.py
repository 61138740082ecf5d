"""`/metrics` in the Prometheus text format: upstream call attempts by system and outcome and
their latency, circuit states, bulkhead occupancy, stale serving, cache hits and whether
Redis is replaced by the in-memory fallback.

One registry per app rather than the process-wide default, so that several gateways in one
process (the tests) do not collide.
"""

from collections.abc import Awaitable, Callable, Iterator, Mapping

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from connectors.base.breaker import CircuitState
from connectors.base.caching import ReadThrough
from connectors.base.guard import Guard
from connectors.base.records import System
from infra.fallback import FallbackCache

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class GatewayMetrics:
    """The gateway's metrics; also the guards' `CallObserver`."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._calls = Counter(
            "portalgraph_upstream_calls",
            "Upstream call attempts by system and outcome (ok or the upstream error's class).",
            ["system", "outcome"],
            registry=self.registry,
        )
        self._latency = Histogram(
            "portalgraph_upstream_call_seconds",
            "Duration of upstream call attempts.",
            ["system"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def observe(self, system: System, outcome: str, seconds: float) -> None:
        self._calls.labels(system.value, outcome).inc()
        self._latency.labels(system.value).observe(seconds)

    def watch(self, guards: Mapping[System, Guard], read: ReadThrough) -> None:
        """Report the guards' and the cache's state at every scrape."""
        self.registry.register(_StateCollector(guards, read))

    def endpoint(self) -> Callable[[Request], Awaitable[Response]]:
        async def metrics(_: Request) -> Response:
            return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

        return metrics


class _StateCollector(Collector):
    def __init__(self, guards: Mapping[System, Guard], read: ReadThrough) -> None:
        self._guards = guards
        self._read = read

    def collect(self) -> Iterator[Metric]:
        state = GaugeMetricFamily(
            "portalgraph_circuit_state",
            "1 for the circuit's current state per upstream system.",
            labels=["system", "state"],
        )
        opened = CounterMetricFamily(
            "portalgraph_circuit_opened", "Times a circuit opened.", labels=["system"]
        )
        in_flight = GaugeMetricFamily(
            "portalgraph_bulkhead_in_flight", "Upstream calls in flight.", labels=["system"]
        )
        queued = GaugeMetricFamily(
            "portalgraph_bulkhead_queued", "Calls waiting for a slot.", labels=["system"]
        )
        rejected = CounterMetricFamily(
            "portalgraph_bulkhead_rejected", "Calls rejected by a full bulkhead.", labels=["system"]
        )
        for system, guard in self._guards.items():
            current = guard.breaker.state
            for candidate in CircuitState:
                state.add_metric([system.value, candidate.value], float(candidate is current))
            opened.add_metric([system.value], guard.breaker.times_opened)
            in_flight.add_metric([system.value], guard.bulkhead.in_flight)
            queued.add_metric([system.value], guard.bulkhead.queued)
            rejected.add_metric([system.value], guard.bulkhead.rejected)
        yield from (state, opened, in_flight, queued, rejected)
        cache = self._read.cache
        yield CounterMetricFamily("portalgraph_cache_hits", "Cache hits.", cache.stats.hits)
        yield CounterMetricFamily("portalgraph_cache_misses", "Cache misses.", cache.stats.misses)
        yield CounterMetricFamily(
            "portalgraph_stale_served", "Entries served past their TTL.", self._read.stale_served
        )
        if isinstance(cache, FallbackCache):
            yield GaugeMetricFamily(
                "portalgraph_redis_degraded",
                "1 while Redis is unreachable and the in-memory cache stands in.",
                float(cache.degraded),
            )
