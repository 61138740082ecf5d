"""A clock the test moves, for the cache's ages and the gateway's `now`: entries age without
the test waiting."""

from datetime import datetime, timedelta

from sandbox.seed import parse_now
from tests.stack import SANDBOX_NOW


class ManualClock:
    def __init__(self, start: str = SANDBOX_NOW) -> None:
        self.now = parse_now(start)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
