"""The deadline of the request an upstream call serves.

Set once per GraphQL request and read by every upstream call, so that no call, no retry's
backoff and no wait for a bulkhead slot outlives its request. It lives in a context variable:
tasks a request starts (DataLoader batches) inherit it; a background refresh starts from an
empty context and sets its own.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_DEADLINE: ContextVar[float | None] = ContextVar("portalgraph_deadline", default=None)
"""`time.monotonic()` by which the current request must be answered; None: no deadline."""


def remaining() -> float | None:
    """Seconds left until the current deadline (0 or less when it has passed); None if unset."""
    deadline = _DEADLINE.get()
    return None if deadline is None else deadline - time.monotonic()


def budget(limit_s: float) -> float:
    """How long a call may take: its own limit, or less when the deadline is nearer."""
    left = remaining()
    return limit_s if left is None else min(limit_s, left)


@contextmanager
def deadline_after(seconds: float) -> Iterator[None]:
    """Calls made inside the block must end within `seconds`; an enclosing, nearer deadline
    stays in force."""
    deadline = time.monotonic() + seconds
    enclosing = _DEADLINE.get()
    token = _DEADLINE.set(deadline if enclosing is None else min(enclosing, deadline))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def restart(seconds: float) -> None:
    """Replace the deadline in force in this context by one `seconds` from now: each event of a
    long-lived subscription is answered like a request of its own."""
    _DEADLINE.set(time.monotonic() + seconds)
