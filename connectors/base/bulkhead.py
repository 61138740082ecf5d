"""A bulkhead per upstream system: at most `max_concurrent` calls in flight, at most
`max_queue` waiting for a slot, and a fast rejection beyond that, so that one slow system
cannot take every connection and task of the gateway with it."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from connectors.base.errors import UpstreamTimeout, UpstreamUnavailable
from connectors.base.records import System

REJECTED_RETRY_AFTER_S = 1.0


class BulkheadFull(UpstreamUnavailable):
    """Too many calls to the system are in flight and waiting: this one was not made."""

    retriable = False
    attempted = False


class SlotTimeout(UpstreamTimeout):
    """The request's deadline passed while the call waited for a slot: it was not made."""

    retriable = False
    attempted = False


class Bulkhead:
    def __init__(self, system: System, max_concurrent: int, max_queue: int) -> None:
        self.system = system
        self.max_concurrent = max_concurrent
        self.max_queue = max_queue
        self._slots = asyncio.Semaphore(max_concurrent)
        self.in_flight = 0
        self.queued = 0
        self.rejected = 0

    @asynccontextmanager
    async def slot(self, wait_s: float | None) -> AsyncIterator[None]:
        """Hold a slot for the block; wait for one at most `wait_s` (None: as long as it takes
        within the queue bound)."""
        if self._slots.locked():
            if self.queued >= self.max_queue:
                self.rejected += 1
                raise BulkheadFull(
                    self.system,
                    f"{self.in_flight} calls in flight and {self.queued} waiting",
                    REJECTED_RETRY_AFTER_S,
                )
            self.queued += 1
            try:
                async with asyncio.timeout(wait_s):
                    await self._slots.acquire()
            except TimeoutError:
                raise SlotTimeout(self.system, "deadline passed waiting for a slot") from None
            finally:
                self.queued -= 1
        else:
            await self._slots.acquire()
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1
            self._slots.release()
