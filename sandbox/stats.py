"""Request counters of one sandbox system, read by tests and benchmarks over `GET /_stats`."""

import base64
from collections import Counter, deque
from dataclasses import dataclass, field

MAX_TRACEPARENTS = 1000
MAX_CALLS = 500
UNREPLAYED_HEADERS = frozenset({"host", "content-length", "connection", "traceparent"})
"""Headers a replay of a call must not copy: its own connection and trace set them."""


@dataclass(frozen=True)
class Call:
    """One request as the system received it, and when (`time.monotonic()`, seconds) it
    arrived and was answered."""

    operation: str
    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    started: float
    ended: float

    def as_json(self) -> dict[str, object]:
        return {
            "operation": self.operation,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": [[k, v] for k, v in self.headers if k.lower() not in UNREPLAYED_HEADERS],
            "body": base64.b64encode(self.body).decode(),
            "started": self.started,
            "ended": self.ended,
        }


@dataclass
class RequestStats:
    """How many requests a sandbox system served, in total and per operation.

    An operation is a SOAP operation name or `<METHOD> <route template>`. The W3C
    `traceparent` headers of the latest requests are kept too (`GET /_stats/traceparents`), so
    that a test can follow a trace into the upstream system; and the latest requests whole,
    with their timing (`GET /_stats/calls`), so that a benchmark can replay what a query asked
    of the upstreams (`bench.critical_path`).
    """

    by_operation: Counter[str] = field(default_factory=Counter)
    traceparents: deque[tuple[str, str]] = field(
        default_factory=lambda: deque(maxlen=MAX_TRACEPARENTS)
    )
    calls: deque[Call] = field(default_factory=lambda: deque(maxlen=MAX_CALLS))

    def record(self, operation: str, traceparent: str | None = None) -> None:
        self.by_operation[operation] += 1
        if traceparent:
            self.traceparents.append((operation, traceparent))

    def traceparent_snapshot(self) -> dict[str, object]:
        return {"traceparents": [{"operation": o, "traceparent": t} for o, t in self.traceparents]}

    def calls_snapshot(self) -> dict[str, object]:
        return {"calls": [call.as_json() for call in self.calls]}

    def snapshot(self) -> dict[str, object]:
        return {"requests": self.by_operation.total(), "by_operation": dict(self.by_operation)}

    def reset(self) -> None:
        self.by_operation.clear()
        self.traceparents.clear()
        self.calls.clear()
