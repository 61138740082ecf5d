"""The ANALYTICS notes the usage counters read per request: one cache read per person and
moment, a note this process writes counts at once, another process's once the memory expired."""

from infra.cache import MemoryCache
from resolvers.analytics_notes import AnalyticsNotes

ORG, EMAIL = "0000100001", "Sophie@example.com"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_a_note_is_read_once_per_moment_and_written_through_at_once() -> None:
    cache, clock = MemoryCache(), Clock()
    notes = AnalyticsNotes(cache, remember_s=1.0, clock=clock)
    elsewhere = AnalyticsNotes(cache, remember_s=1.0, clock=clock)  # another replica
    assert not await notes.revoked(ORG, EMAIL)
    assert not await notes.revoked(ORG, EMAIL.lower())
    assert cache.stats.misses == 1  # remembered, not read again

    await notes.note(ORG, EMAIL, revoked=True)
    assert await notes.revoked(ORG, EMAIL)  # this process: at once
    assert await elsewhere.revoked(ORG, EMAIL)

    await notes.note(ORG, EMAIL, revoked=False)
    assert await elsewhere.revoked(ORG, EMAIL)  # the other remembers the revocation ...
    clock.now += 1.0
    assert not await elsewhere.revoked(ORG, EMAIL)  # ... until its memory expires


async def test_nothing_is_remembered_without_a_moment_and_without_an_address() -> None:
    cache = MemoryCache()
    notes = AnalyticsNotes(cache, remember_s=0)
    await AnalyticsNotes(cache, remember_s=0).note(ORG, EMAIL, revoked=True)
    assert await notes.revoked(ORG, EMAIL)
    assert await notes.revoked(ORG, EMAIL)
    assert cache.stats.hits == 2
    assert not await notes.revoked(ORG, None)
