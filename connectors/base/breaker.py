"""A circuit breaker per upstream system: after repeated failures, calls fail fast for a while
instead of piling up on a system that is down, and one probe at a time finds out whether it
is back.

    closed ──(consecutive failures, or failure rate over the last calls)──▶ open
    open ──(open_s elapsed)──▶ half-open: `half_open_probes` calls may go through
    half-open ──success──▶ closed        half-open ──failure──▶ open

A failure is an answer that shows the system unhealthy (unavailable, timeout, garbage); a
rejection (4xx) is the system answering, so it counts as a success.
"""

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from connectors.base.errors import UpstreamUnavailable
from connectors.base.records import System


class CircuitState(Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitOpen(UpstreamUnavailable):
    """The system's circuit is open: the call was not made."""

    retriable = False
    attempted = False


@dataclass(frozen=True)
class BreakerPolicy:
    consecutive_failures: int = 5
    failure_rate: float = 0.5
    """Opens when at least this share of the last `window` calls failed ..."""
    window: int = 20
    min_calls: int = 10
    """... once the window holds at least this many calls."""
    open_s: float = 5.0
    half_open_probes: int = 1


class CircuitBreaker:
    def __init__(
        self,
        system: System,
        policy: BreakerPolicy,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.system = system
        self.policy = policy
        self._clock = clock
        self._state = CircuitState.CLOSED
        self._opened_at = 0.0
        self._outcomes: deque[bool] = deque(maxlen=policy.window)
        self._consecutive = 0
        self._probes = 0
        self.times_opened = 0

    @property
    def state(self) -> CircuitState:
        if (
            self._state is CircuitState.OPEN
            and self._clock() - self._opened_at >= self.policy.open_s
        ):
            self._state = CircuitState.HALF_OPEN
            self._probes = 0
        return self._state

    def retry_after(self) -> float:
        """Seconds until calls are let through again: when the open period ends, or a whole
        open period as the hint for a failure seen while closed."""
        if self.state is CircuitState.OPEN:
            return max(0.0, self.policy.open_s - (self._clock() - self._opened_at))
        return self.policy.open_s

    def before_call(self) -> None:
        """Let the call through or raise `CircuitOpen`; a call let through must end with
        exactly one of `succeeded`, `failed` or `abandoned`."""
        state = self.state
        if state is CircuitState.CLOSED:
            return
        if state is CircuitState.HALF_OPEN and self._probes < self.policy.half_open_probes:
            self._probes += 1
            return
        raise CircuitOpen(
            self.system, f"circuit {state.value}: call not made", round(self.retry_after(), 3)
        )

    def succeeded(self) -> None:
        if self._state is CircuitState.HALF_OPEN:
            self._close()
            return
        self._consecutive = 0
        self._outcomes.append(True)

    def failed(self) -> None:
        if self._state is CircuitState.HALF_OPEN:
            self._open()
            return
        if self._state is CircuitState.OPEN:
            return  # a call that started before the circuit opened
        self._consecutive += 1
        self._outcomes.append(False)
        if self._consecutive >= self.policy.consecutive_failures or self._rate_exceeded():
            self._open()

    def abandoned(self) -> None:
        """The call ended without telling anything about the system (cancelled, rejected by
        the bulkhead): a half-open probe slot is freed."""
        if self._state is CircuitState.HALF_OPEN and self._probes > 0:
            self._probes -= 1

    def _rate_exceeded(self) -> bool:
        calls = len(self._outcomes)
        failures = calls - sum(self._outcomes)
        return calls >= self.policy.min_calls and failures >= self.policy.failure_rate * calls

    def _open(self) -> None:
        self._state = CircuitState.OPEN
        self._opened_at = self._clock()
        self.times_opened += 1

    def _close(self) -> None:
        self._state = CircuitState.CLOSED
        self._outcomes.clear()
        self._consecutive = 0
        self._probes = 0
