"""The gateway's Prometheus metrics: every family is declared here, once per process, and moved
only through the functions below, so label names and values stay few and fixed.

Labels never carry IDs or tenants (only `count_tenant_request`, which the operator switches
on). Client-chosen GraphQL operation names are bounded by `OperationNames`.

Families for parts that other modules own (circuit breakers, bulkheads, subscriptions,
webhooks, the event stream) are declared here too, so a dashboard can rely on their names:

    set_circuit_state("erp", "open")        # resilience: on every state change
    set_bulkhead_queue_depth("erp", 3)      # resilience: callers waiting for a slot
    subscription_opened("caseUpdated") / subscription_closed("caseUpdated")
    event_delivered("order.status_changed")
    subscription_executed()                 # multiplex: one payload for a group of subscribers
    subscription_grouped(1, 0) / subscription_grouped(0, -1)  # groups, their subscribers
    webhook_verified("stripe", "ok" | "bad_signature" | "stale" | "duplicate")
    set_event_lag("events", seconds)        # age of the oldest event not yet consumed
"""

import re
import threading
from typing import Literal

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Enum,
    Gauge,
    Histogram,
    generate_latest,
)

CircuitState = Literal["closed", "half_open", "open"]

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

GRAPHQL_REQUESTS = Counter(
    "portalgraph_graphql_requests",
    "GraphQL operations by operation name, type (query, mutation, subscription) and outcome "
    "(ok, partial: data with errors, error: no data).",
    ["operation", "type", "outcome"],
)
GRAPHQL_DURATION = Histogram(
    "portalgraph_graphql_request_duration_seconds",
    "Time to execute a GraphQL operation.",
    ["operation", "type"],
    buckets=LATENCY_BUCKETS,
)
TENANT_REQUESTS = Counter(
    "portalgraph_graphql_requests_by_tenant",
    "GraphQL operations per organization; only counted when PORTALGRAPH_METRICS_TENANT_LABEL "
    "is on.",
    ["tenant"],
)
UPSTREAM_REQUESTS = Counter(
    "portalgraph_upstream_requests",
    "Requests to upstream systems by system, operation (a SOAP operation or `METHOD /route`) "
    "and outcome (ok, client_error, server_error, timeout, transport_error).",
    ["system", "operation", "outcome"],
)
UPSTREAM_DURATION = Histogram(
    "portalgraph_upstream_request_duration_seconds",
    "Time from sending an upstream request to its response headers.",
    ["system", "operation"],
    buckets=LATENCY_BUCKETS,
)
CACHE_LOOKUPS = Counter(
    "portalgraph_cache_lookups",
    "Cache lookups by entity type and result (hit, miss, stale: served stale on failure).",
    ["entity", "result"],
)
RESPONSE_CACHE = Counter(
    "portalgraph_response_cache",
    "Queries by what the response cache did: hit (answered from it), miss (executed, and "
    "cached if it could be), bypass (not cacheable: a mutation, `Cache-Control: no-cache` or "
    "`no-store`, a WebSocket, the cache off).",
    ["result"],
)
CIRCUIT_STATE = Enum(
    "portalgraph_circuit_state",
    "The circuit breaker state of each upstream system.",
    ["system"],
    states=["closed", "half_open", "open"],
)
BULKHEAD_QUEUE = Gauge(
    "portalgraph_bulkhead_queue_depth",
    "Calls waiting for a free slot in an upstream system's bulkhead.",
    ["system"],
)
BULKHEAD_REJECTED = Counter(
    "portalgraph_bulkhead_rejected",
    "Upstream calls refused at once because an upstream system's bulkhead was full.",
    ["system"],
)
GUARDED_CALLS = Counter(
    "portalgraph_upstream_guarded_calls",
    "Calls through an upstream system's guard by outcome: ok, or the error's class "
    "(UpstreamTimeout, CircuitOpen, BulkheadFull, ...), refusals included.",
    ["system", "outcome"],
)
REDIS_DEGRADED = Gauge(
    "portalgraph_redis_degraded",
    "1 while Redis is unreachable and the in-memory cache stands in.",
)
SUBSCRIPTIONS_OPEN = Gauge(
    "portalgraph_subscriptions_open", "Open GraphQL subscriptions by field.", ["subscription"]
)
EVENTS_DELIVERED = Counter(
    "portalgraph_events_delivered", "Graph events delivered to subscribers by type.", ["event"]
)
SUBSCRIPTION_EXECUTIONS = Counter(
    "portalgraph_subscription_executions",
    "Subscription payloads executed: one per event and group of subscribers sharing a "
    "document, its variables and an authorization scope (graphql-transport-ws).",
)
SUBSCRIPTION_GROUPS = Gauge(
    "portalgraph_subscription_groups",
    "Shared subscription executions running, and the subscribers they serve.",
    ["count"],
)
WEBHOOK_VERIFICATIONS = Counter(
    "portalgraph_webhook_verifications",
    "Inbound webhook verifications by source and outcome.",
    ["source", "outcome"],
)
EVENT_LAG = Gauge(
    "portalgraph_event_stream_lag_seconds",
    "Age of the oldest event in the stream not yet processed by this consumer group.",
    ["stream"],
)
SELF_SERVICE_ACTIONS = Counter(
    "portalgraph_self_service_actions", "Self-service actions by kind.", ["kind"]
)


class OperationNames:
    """Bounds the `operation` label: client-chosen names that are not plain GraphQL names,
    and every new name past `limit`, count as `other`; unnamed operations as `anonymous`."""

    _NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")

    def __init__(self, limit: int = 200) -> None:
        self._limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def label(self, name: str | None) -> str:
        if not name:
            return "anonymous"
        if not self._NAME.fullmatch(name):
            return "other"
        with self._lock:
            if name in self._seen:
                return name
            if len(self._seen) >= self._limit:
                return "other"
            self._seen.add(name)
            return name


def observe_operation(operation: str, kind: str, outcome: str, seconds: float) -> None:
    """One GraphQL operation; `operation` must come from `OperationNames.label`."""
    GRAPHQL_REQUESTS.labels(operation, kind, outcome).inc()
    GRAPHQL_DURATION.labels(operation, kind).observe(seconds)


def count_tenant_request(tenant: str) -> None:
    TENANT_REQUESTS.labels(tenant).inc()


def observe_upstream(system: str, operation: str, outcome: str, seconds: float) -> None:
    UPSTREAM_REQUESTS.labels(system, operation, outcome).inc()
    UPSTREAM_DURATION.labels(system, operation).observe(seconds)


def count_cache(entity: str, hits: int, misses: int) -> None:
    if hits:
        CACHE_LOOKUPS.labels(entity, "hit").inc(hits)
    if misses:
        CACHE_LOOKUPS.labels(entity, "miss").inc(misses)


def count_response_cache(result: Literal["hit", "miss", "bypass"]) -> None:
    RESPONSE_CACHE.labels(result).inc()


def cache_stale_served(entity: str, count: int = 1) -> None:
    CACHE_LOOKUPS.labels(entity, "stale").inc(count)


def set_circuit_state(system: str, state: CircuitState) -> None:
    CIRCUIT_STATE.labels(system).state(state)


def set_bulkhead_queue_depth(system: str, depth: int) -> None:
    BULKHEAD_QUEUE.labels(system).set(depth)


def count_guarded_call(system: str, outcome: str) -> None:
    GUARDED_CALLS.labels(system, outcome).inc()
    if outcome == "BulkheadFull":
        BULKHEAD_REJECTED.labels(system).inc()


def set_redis_degraded(degraded: bool) -> None:
    REDIS_DEGRADED.set(float(degraded))


def subscription_opened(subscription: str) -> None:
    SUBSCRIPTIONS_OPEN.labels(subscription).inc()


def subscription_closed(subscription: str) -> None:
    SUBSCRIPTIONS_OPEN.labels(subscription).dec()


def event_delivered(event: str, count: int = 1) -> None:
    EVENTS_DELIVERED.labels(event).inc(count)


def subscription_executed() -> None:
    SUBSCRIPTION_EXECUTIONS.inc()


def subscription_grouped(groups: int, members: int) -> None:
    """A shared execution started or ended (`groups` ±1), subscribers joined or left one."""
    SUBSCRIPTION_GROUPS.labels("groups").inc(groups)
    SUBSCRIPTION_GROUPS.labels("subscribers").inc(members)


def webhook_verified(source: str, outcome: str) -> None:
    WEBHOOK_VERIFICATIONS.labels(source, outcome).inc()


def set_event_lag(stream: str, seconds: float) -> None:
    EVENT_LAG.labels(stream).set(seconds)


def count_self_service_action(kind: str) -> None:
    SELF_SERVICE_ACTIONS.labels(kind).inc()


def exposition() -> tuple[bytes, str]:
    """The process's metrics in the Prometheus text format, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
