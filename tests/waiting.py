"""Bounded waits on conditions, for what a test cannot be told about (a background refresh,
a circuit's open period, a restarted Redis)."""

import asyncio
import time
from collections.abc import Awaitable, Callable

WAIT_DEADLINE_S = 10.0


async def wait_until(
    condition: Callable[[], Awaitable[bool]],
    deadline_s: float = WAIT_DEADLINE_S,
    interval_s: float = 0.02,
) -> None:
    """Poll `condition` until it holds; TimeoutError after `deadline_s`."""
    give_up = time.monotonic() + deadline_s
    for _ in range(round(deadline_s / interval_s) + 1):
        if await condition():
            return
        if time.monotonic() > give_up:
            break
        await asyncio.sleep(interval_s)
    raise TimeoutError(f"condition not met within {deadline_s}s")
