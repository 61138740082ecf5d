"""Bounded retries for idempotent reads: only retriable upstream errors, with backoff and jitter.

Writes are never retried: adapters call `with_retries` only around reads.
"""

import asyncio
import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from connectors.base.errors import UpstreamError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 2
    base_delay_s: float = 0.05
    max_delay_s: float = 1.0

    def delay(self, attempt: int, error: UpstreamError) -> float:
        backoff = min(self.max_delay_s, math.ldexp(self.base_delay_s, attempt))
        if error.retry_after_s is not None:
            backoff = min(self.max_delay_s, max(backoff, error.retry_after_s))
        return backoff * (0.5 + random.random() / 2)  # noqa: S311 - jitter, not a secret


async def with_retries(policy: RetryPolicy, call: Callable[[], Awaitable[T]]) -> T:
    for attempt in range(policy.attempts):
        try:
            return await call()
        except UpstreamError as error:
            if not error.retriable or attempt + 1 >= policy.attempts:
                raise
            await asyncio.sleep(policy.delay(attempt, error))
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover
