"""Whether a person has revoked ANALYTICS, as the usage counters ask on every request
(`resolvers.consents` explains the notes). The note lives in the shared cache; each process
remembers what it read or wrote for a moment, so that a busy person costs one cache read a
moment, not one per request. A revocation noted by this process counts at once; one noted by
another replica once this process's memory of the old note has expired (`remember_s`).
"""

import hashlib
import time
from collections.abc import Callable

from infra.cache import Cache

REVOKED, ALLOWED = b"revoked", b"allowed"
NOTE_TTL_S = 400 * 24 * 3600.0
"""As long as usage is kept (`usage_retention_days`' default)."""
MAX_REMEMBERED = 10_000
"""Beyond it the process forgets every note it remembered (and reads them again)."""


def analytics_key(customer: str, email: str) -> str:
    digest = hashlib.sha256(f"{customer}:{email.lower()}".encode()).hexdigest()
    return f"consent:analytics:{digest}"


class AnalyticsNotes:
    """The notes in `cache`, each remembered for `remember_s` (0: read every time).

    Example:
        notes = AnalyticsNotes(cache, remember_s=1.0)
        await notes.note("0000123456", "anna@example.com", revoked=True)
        assert await notes.revoked("0000123456", "anna@example.com")
    """

    def __init__(
        self, cache: Cache, remember_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.cache = cache
        self.remember_s = remember_s
        self.clock = clock
        self._remembered: dict[str, tuple[bool, float]] = {}

    async def revoked(self, customer: str | None, email: str | None) -> bool:
        """Whether the person is noted as having revoked ANALYTICS."""
        if not customer or not email:
            return False
        key = analytics_key(customer, email)
        found = self._remembered.get(key)
        if found is not None and found[1] > self.clock():
            return found[0]
        [noted] = await self.cache.get_many([key])
        self._remember(key, noted == REVOKED)
        return noted == REVOKED

    async def note(self, customer: str, email: str, revoked: bool) -> None:
        key = analytics_key(customer, email)
        self._remembered.pop(key, None)  # a read while the write is under way reads again
        await self.cache.set_many({key: REVOKED if revoked else ALLOWED}, NOTE_TTL_S)
        self._remember(key, revoked)

    def _remember(self, key: str, revoked: bool) -> None:
        if self.remember_s <= 0:
            return
        if len(self._remembered) >= MAX_REMEMBERED:
            self._remembered.clear()
        self._remembered[key] = (revoked, self.clock() + self.remember_s)
