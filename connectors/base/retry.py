"""Bounded retries for idempotent reads: only retriable upstream errors, with exponential
backoff and jitter, honouring `Retry-After`, and never past the request's deadline.

Writes are never retried: adapters send them through `Guard.write`, which has no retries.
"""

import asyncio
import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from connectors.base import deadline
from connectors.base.errors import UpstreamError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 2
    base_delay_s: float = 0.05
    max_delay_s: float = 1.0

    def delay(self, attempt: int, error: UpstreamError) -> float | None:
        """How long to wait before the next attempt; None when retrying is pointless: the
        upstream asked for a longer pause than we wait, or the deadline comes first."""
        if error.retry_after_s is not None and error.retry_after_s > self.max_delay_s:
            return None
        backoff = min(self.max_delay_s, math.ldexp(self.base_delay_s, attempt))
        pause = backoff * (0.5 + random.random() / 2)  # noqa: S311 - jitter, not a secret
        if error.retry_after_s is not None:
            pause = max(pause, error.retry_after_s)
        left = deadline.remaining()
        return None if left is not None and pause >= left else pause


async def with_retries(policy: RetryPolicy, call: Callable[[], Awaitable[T]]) -> T:
    """The call's result, or the error of its last attempt that reached the upstream (a retry
    refused by an open circuit or a full bulkhead says less than the failure before it)."""
    reached: UpstreamError | None = None
    for attempt in range(policy.attempts):
        try:
            return await call()
        except UpstreamError as error:
            if not error.attempted and reached is not None:
                raise reached from error
            reached = error
            pause = policy.delay(attempt, error) if error.retriable else None
            if pause is None or attempt + 1 >= policy.attempts:
                raise
            await asyncio.sleep(pause)
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover
