"""What one answer was computed from, recorded while it executes, so that the response cache
(`portalgraph.response_cache`) knows what makes it stale and how long it may be served.

- The entity cache entries it read (`ReadThrough` notes each key, and the tag of a list's
  variants): the invalidations that evict those entries evict the answer too.
- When the first of them stops being fresh, and when the first value derived from the clock
  changes (an invoice becomes overdue at midnight, an SLA clock moves on): `valid_until`.
- Whether it read anything that is neither: an upstream call outside the read-through cache, a
  stale entry, the gateway's own state (usage counters, job progress). Such an answer is
  `untracked` and never cached.

The record lives in a context variable set per operation, like the source report; outside one
(a background refresh, a mutation) nothing is recorded.
"""

from contextlib import AbstractContextManager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime

from connectors.base.scoped import scoped


@dataclass
class Reads:
    keys: set[str] = field(default_factory=set)
    """Entity cache keys read (`CachedEntity.key`)."""
    tags: set[str] = field(default_factory=set)
    """Tags of the list variants read (`CachedEntity.tag`)."""
    valid_until: datetime | None = None
    """The first instant at which something read, or derived from the clock, may differ."""
    untracked: str | None = None
    """Why the answer depends on something no invalidation reaches, if it does."""

    def entry(self, key: str, tag: str | None, fresh_until: datetime) -> None:
        self.keys.add(key)
        if tag is not None:
            self.tags.add(tag)
        self.until(fresh_until)

    def until(self, instant: datetime) -> None:
        if self.valid_until is None or instant < self.valid_until:
            self.valid_until = instant


_READS: ContextVar[Reads | None] = ContextVar("portalgraph_reads", default=None)
_FILLING: ContextVar[bool] = ContextVar("portalgraph_filling", default=False)


def current_reads() -> Reads | None:
    return _READS.get()


def recording(reads: Reads) -> AbstractContextManager[Reads | None]:
    return scoped(_READS, reads)


def filling() -> AbstractContextManager[bool]:
    """Upstream calls made inside are the read-through cache's fills: tracked by its keys."""
    return scoped(_FILLING, True)


def untracked(reason: str) -> None:
    """The current answer read something no invalidation reaches: it must not be cached."""
    reads = _READS.get()
    if reads is not None and reads.untracked is None:
        reads.untracked = reason


def upstream_called() -> None:
    """An upstream call was made (`Guard`); outside a cache fill it is untracked."""
    if not _FILLING.get():
        untracked("an upstream call outside the read-through cache")


def valid_until(instant: datetime) -> None:
    """A value of the current answer, derived from the clock, changes at `instant`."""
    reads = _READS.get()
    if reads is not None:
        reads.until(instant)
