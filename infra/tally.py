"""What one request caused, counted as it happens, for its access log line.

The access log middleware opens a tally per request (`open_tally`); the upstream transport
and the read-through cache add to the tally of the request they run for. A context variable
carries it: tasks and DataLoader batches started by the request copy the context, and so
share the request's tally.
"""

from contextvars import ContextVar, Token
from dataclasses import dataclass


@dataclass
class Tally:
    request_id: str
    operation: str | None = None
    operation_type: str | None = None
    upstream_calls: int = 0
    cache_hits: int = 0
    cache_misses: int = 0


_current: ContextVar[Tally | None] = ContextVar("portalgraph_tally", default=None)


def open_tally(request_id: str) -> tuple[Tally, Token[Tally | None]]:
    tally = Tally(request_id)
    return tally, _current.set(tally)


def close_tally(token: Token[Tally | None]) -> None:
    _current.reset(token)


def current_tally() -> Tally | None:
    return _current.get()


def tally_upstream_call() -> None:
    if (tally := _current.get()) is not None:
        tally.upstream_calls += 1


def tally_cache(hits: int, misses: int) -> None:
    if (tally := _current.get()) is not None:
        tally.cache_hits += hits
        tally.cache_misses += misses
