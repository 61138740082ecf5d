"""Request counters of one sandbox system, read by tests and benchmarks over `GET /_stats`."""

from collections import Counter, deque
from dataclasses import dataclass, field

MAX_TRACEPARENTS = 1000


@dataclass
class RequestStats:
    """How many requests a sandbox system served, in total and per operation.

    An operation is a SOAP operation name or `<METHOD> <route template>`. The W3C
    `traceparent` headers of the latest requests are kept too (`GET /_stats/traceparents`), so
    that a test can follow a trace into the upstream system.
    """

    by_operation: Counter[str] = field(default_factory=Counter)
    traceparents: deque[tuple[str, str]] = field(
        default_factory=lambda: deque(maxlen=MAX_TRACEPARENTS)
    )

    def record(self, operation: str, traceparent: str | None = None) -> None:
        self.by_operation[operation] += 1
        if traceparent:
            self.traceparents.append((operation, traceparent))

    def traceparent_snapshot(self) -> dict[str, object]:
        return {"traceparents": [{"operation": o, "traceparent": t} for o, t in self.traceparents]}

    def snapshot(self) -> dict[str, object]:
        return {"requests": self.by_operation.total(), "by_operation": dict(self.by_operation)}

    def reset(self) -> None:
        self.by_operation.clear()
        self.traceparents.clear()
