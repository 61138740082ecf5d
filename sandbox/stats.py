"""Request counters of one sandbox system, read by tests and benchmarks over `GET /_stats`."""

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class RequestStats:
    """How many requests a sandbox system served, in total and per operation.

    An operation is a SOAP operation name or `<METHOD> <route template>`.
    """

    by_operation: Counter[str] = field(default_factory=Counter)

    def record(self, operation: str) -> None:
        self.by_operation[operation] += 1

    def snapshot(self) -> dict[str, object]:
        return {"requests": self.by_operation.total(), "by_operation": dict(self.by_operation)}

    def reset(self) -> None:
        self.by_operation.clear()
