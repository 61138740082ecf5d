"""Polling the systems that cannot push (the SOAP ERP): one replica at a time, elected by a
lease that lapses when its holder dies, reads the change feed from the cursor kept in Redis
and ingests what it finds. Polled changes carry synthetic event ids, so a change read twice
(a holder died before saving its cursor) is still published once.

The poll record `poll:<system>` shows the cursor, who polled last and when, and a counter
per replica (`polls:<replica>`).
"""

import asyncio
import logging
from datetime import UTC, datetime

from connectors.base.changes import ChangeFeed
from infra.coordination import Coordination
from portalgraph.pipeline import Pipeline

PAGE = 100
MAX_PAGES = 20
"""Pages read per poll; a longer backlog continues at the next poll."""

log = logging.getLogger(__name__)


class Poller:
    def __init__(
        self,
        feed: ChangeFeed,
        pipeline: Pipeline,
        coordination: Coordination,
        replica: str,
        interval_s: float,
        lease_ttl_s: float,
    ) -> None:
        self.name = f"poll:{feed.system.value}"
        self._feed = feed
        self._pipeline = pipeline
        self._coordination = coordination
        self._replica = replica
        self._interval_s = interval_s
        self._lease_ttl_s = lease_ttl_s

    async def run(self) -> None:
        """Poll every interval while this replica holds the lease, until cancelled."""
        while True:
            try:
                if await self._coordination.hold(self.name, self._replica, self._lease_ttl_s):
                    await self.poll()
            except Exception:
                log.exception("%s failed; next attempt in %.1fs", self.name, self._interval_s)
            await asyncio.sleep(self._interval_s)

    async def poll(self) -> None:
        cursor = (await self._coordination.load(self.name)).get("cursor")
        for _ in range(MAX_PAGES):
            page = await self._feed.changes_since(cursor, PAGE)
            for change in page.changes:
                await self._pipeline.ingest(change)
            cursor = page.cursor
            await self._coordination.save(
                self.name,
                {"cursor": cursor, "by": self._replica, "at": datetime.now(UTC).isoformat()},
            )
            if len(page.changes) < PAGE:
                break
        await self._coordination.count(self.name, f"polls:{self._replica}")

    async def release(self) -> None:
        await self._coordination.release(self.name, self._replica)
