"""What one request learnt about the upstream systems it consulted, reported to the client as
`extensions.sources` so that a portal can show a banner naming the system that is failing.

Per system: `status` (`ok`, `stale`: some data was served from cache past its TTL, or
`failed`: some fields are null), the upstream `calls` made and the slowest one's `latencyMs`;
`asOf` (the oldest stale record) when stale; `code` and `retryAfter` when failed. The report
lives in a context variable set per request, like the deadline; outside a request nothing is
recorded.
"""

from contextlib import AbstractContextManager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime

from connectors.base.errors import UpstreamError
from connectors.base.records import System
from connectors.base.scoped import scoped


@dataclass
class SystemReport:
    calls: int = 0
    slowest_s: float | None = None
    stale_as_of: datetime | None = None
    error: UpstreamError | None = None

    def summary(self) -> dict[str, object]:
        status = "failed" if self.error else "stale" if self.stale_as_of else "ok"
        found: dict[str, object] = {
            "status": status,
            "calls": self.calls,
            "latencyMs": round(self.slowest_s * 1000, 1) if self.slowest_s is not None else None,
        }
        if self.stale_as_of is not None:
            found["asOf"] = self.stale_as_of.isoformat()
        if self.error is not None:
            found["code"] = self.error.code
            if self.error.retry_after_s is not None:
                found["retryAfter"] = self.error.retry_after_s
        return found


@dataclass
class SourceReport:
    """The systems one request consulted, filled in by the connectors and the cache."""

    request_id: str
    systems: dict[System, SystemReport] = field(default_factory=dict)

    def _of(self, system: System) -> SystemReport:
        return self.systems.setdefault(system, SystemReport())

    def consulted(self, system: System) -> None:
        """Data of `system` was read (from the cache or upstream)."""
        self._of(system)

    def call(self, system: System, seconds: float) -> None:
        report = self._of(system)
        report.calls += 1
        report.slowest_s = max(seconds, report.slowest_s or 0.0)

    def stale(self, system: System, as_of: datetime) -> None:
        report = self._of(system)
        if report.stale_as_of is None or as_of < report.stale_as_of:
            report.stale_as_of = as_of

    def failed(self, error: UpstreamError) -> None:
        self._of(error.system).error = error

    def summary(self) -> dict[str, dict[str, object]]:
        return {system.value: report.summary() for system, report in self.systems.items()}


_REPORT: ContextVar[SourceReport | None] = ContextVar("portalgraph_sources", default=None)


def current_report() -> SourceReport | None:
    return _REPORT.get()


def request_id() -> str:
    """The current request's id for log lines; `-` outside a request."""
    report = _REPORT.get()
    return report.request_id if report is not None else "-"


def reporting(report: SourceReport) -> AbstractContextManager[SourceReport | None]:
    return scoped(_REPORT, report)
