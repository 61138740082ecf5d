"""The one way an adapter calls its upstream system: every call passes the request's deadline,
the system's circuit breaker and bulkhead, and a total timeout; reads are also retried.

    Guard.read(call)    retried (idempotent reads only)
    Guard.write(call)   exactly one attempt, whatever happens

Each attempt is reported to the request's `SourceReport` and to the `CallObserver` (metrics).
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from connectors.base import deadline
from connectors.base.breaker import BreakerPolicy, CircuitBreaker
from connectors.base.bulkhead import Bulkhead
from connectors.base.errors import UpstreamError, UpstreamRejected, UpstreamTimeout
from connectors.base.reads import upstream_called
from connectors.base.records import System
from connectors.base.retry import RetryPolicy, with_retries
from connectors.base.sources import current_report, request_id

T = TypeVar("T")
log = logging.getLogger("portalgraph.upstream")


class CallObserver(Protocol):
    def observe(self, system: System, outcome: str, seconds: float) -> None:
        """One attempt ended: `ok`, or the upstream error's class (`UpstreamTimeout`,
        `CircuitOpen`, ...)."""


class _Unobserved:
    def observe(self, system: System, outcome: str, seconds: float) -> None:
        pass


@dataclass(frozen=True)
class GuardPolicy:
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    breaker: BreakerPolicy = field(default_factory=BreakerPolicy)
    max_concurrent: int = 32
    max_queue: int = 64
    call_timeout_s: float = 8.0
    """The total time one attempt may take, body included (a trickling answer is cut)."""


class Guard:
    """The resilience of one upstream system; built once per system by the composition root."""

    def __init__(
        self,
        system: System,
        policy: GuardPolicy | None = None,
        observer: CallObserver | None = None,
    ) -> None:
        self.system = system
        self.policy = policy or GuardPolicy()
        self.breaker = CircuitBreaker(system, self.policy.breaker)
        self.bulkhead = Bulkhead(system, self.policy.max_concurrent, self.policy.max_queue)
        self._observer = observer or _Unobserved()

    async def read(self, call: Callable[[], Awaitable[T]]) -> T:
        return await self._hinted(with_retries(self.policy.retry, lambda: self._attempt(call)))

    async def write(self, call: Callable[[], Awaitable[T]]) -> T:
        return await self._hinted(self._attempt(call))

    async def _hinted(self, outcome: Awaitable[T]) -> T:
        """The outcome; a failure without the upstream's own `Retry-After` gets the breaker's
        estimate, so that a client always learns when to try again."""
        try:
            return await outcome
        except UpstreamError as error:
            if error.retry_after_s is None and not isinstance(error, UpstreamRejected):
                error.retry_after_s = round(self.breaker.retry_after(), 3)
            raise

    async def _attempt(self, call: Callable[[], Awaitable[T]]) -> T:
        began = time.perf_counter()
        try:
            result = await self._guarded(call)
        except UpstreamError as error:
            self._finish(began, type(error).__name__, error.attempted)
            log.info("request %s: %s attempt failed: %s", request_id(), self.system.value, error)
            raise
        self._finish(began, "ok", attempted=True)
        return result

    async def _guarded(self, call: Callable[[], Awaitable[T]]) -> T:
        left = deadline.remaining()
        if left is not None and left <= 0:
            raise UpstreamTimeout(self.system, "the request's deadline passed before the call")
        self.breaker.before_call()
        try:
            async with self.bulkhead.slot(left):
                async with asyncio.timeout(deadline.budget(self.policy.call_timeout_s)):
                    result = await call()
        except TimeoutError:
            self.breaker.failed()
            raise UpstreamTimeout(self.system, "no complete answer in time") from None
        except UpstreamRejected:
            self.breaker.succeeded()  # the system answered; the request was wrong
            raise
        except UpstreamError as error:
            if error.attempted:
                self.breaker.failed()  # unavailable, timed out or garbage
            else:
                self.breaker.abandoned()
            raise
        except BaseException:
            self.breaker.abandoned()
            raise
        self.breaker.succeeded()
        return result

    def _finish(self, began: float, outcome: str, attempted: bool) -> None:
        seconds = time.perf_counter() - began
        self._observer.observe(self.system, outcome, seconds)
        report = current_report()
        if report is not None and attempted:
            report.call(self.system, seconds)
            upstream_called()
