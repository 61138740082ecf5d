"""The circuit breaker's state machine, on a clock the test moves (no upstream involved: the
guard tests exercise it against the sandbox)."""

import pytest

from connectors.base.breaker import BreakerPolicy, CircuitBreaker, CircuitOpen, CircuitState
from connectors.base.records import System

POLICY = BreakerPolicy(consecutive_failures=3, failure_rate=0.5, window=10, min_calls=6, open_s=5)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def breaker(clock: Clock) -> CircuitBreaker:
    return CircuitBreaker(System.ERP, POLICY, clock)


def state_of(circuit: CircuitBreaker) -> CircuitState:
    """The state now (a call, so that the type checker does not keep an earlier one)."""
    return circuit.state


def fail(circuit: CircuitBreaker, times: int = 1) -> None:
    for _ in range(times):
        circuit.before_call()
        circuit.failed()


def test_consecutive_failures_open_the_circuit() -> None:
    circuit = breaker(Clock())
    fail(circuit, 2)
    assert state_of(circuit) is CircuitState.CLOSED
    fail(circuit)
    assert state_of(circuit) is CircuitState.OPEN
    with pytest.raises(CircuitOpen) as raised:
        circuit.before_call()
    assert raised.value.retry_after_s == POLICY.open_s
    assert not raised.value.attempted


def test_a_failure_rate_opens_the_circuit_without_a_streak() -> None:
    circuit = breaker(Clock())
    for _ in range(3):  # fail, succeed, fail, succeed, ...: never 3 in a row
        fail(circuit)
        circuit.before_call()
        circuit.succeeded()
    assert state_of(circuit) is CircuitState.CLOSED
    fail(circuit)
    assert state_of(circuit) is CircuitState.OPEN  # 4 of 7 calls failed


def test_half_open_lets_one_probe_through_and_closes_on_success() -> None:
    clock = Clock()
    circuit = breaker(clock)
    fail(circuit, 3)
    clock.now += POLICY.open_s
    assert state_of(circuit) is CircuitState.HALF_OPEN
    circuit.before_call()
    with pytest.raises(CircuitOpen):
        circuit.before_call()  # only one probe at a time
    circuit.succeeded()
    assert state_of(circuit) is CircuitState.CLOSED
    circuit.before_call()


def test_a_failed_probe_opens_the_circuit_again() -> None:
    clock = Clock()
    circuit = breaker(clock)
    fail(circuit, 3)
    clock.now += POLICY.open_s
    fail(circuit)
    assert state_of(circuit) is CircuitState.OPEN
    assert circuit.times_opened == 2
    assert circuit.retry_after() == POLICY.open_s


def test_an_abandoned_probe_frees_its_slot() -> None:
    clock = Clock()
    circuit = breaker(clock)
    fail(circuit, 3)
    clock.now += POLICY.open_s
    circuit.before_call()
    circuit.abandoned()
    circuit.before_call()  # a new probe may go
    assert state_of(circuit) is CircuitState.HALF_OPEN
