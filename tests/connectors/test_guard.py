"""Every upstream call passes its system's guard: against the real sandbox systems, faults
injected over their `/_faults`, and the sandbox's own counters showing how much traffic the
retries, the breaker, the bulkhead and the deadline let through."""

import asyncio
from contextlib import aclosing
from decimal import Decimal
from typing import Any

import pytest

from connectors.base.breaker import BreakerPolicy, CircuitOpen, CircuitState
from connectors.base.bulkhead import BulkheadFull
from connectors.base.deadline import deadline_after
from connectors.base.errors import UpstreamBadResponse, UpstreamTimeout, UpstreamUnavailable
from connectors.base.guard import Guard, GuardPolicy
from connectors.base.http import HttpLimits
from connectors.base.ports import ListFilter
from connectors.base.records import Amount, System
from connectors.base.retry import RetryPolicy
from connectors.crm import CrmAdapter
from connectors.payments import PaymentsAdapter
from sandbox.model import Seed
from sandbox.seed import MUSTER
from tests.connectors.test_breaker import state_of
from tests.erp_fixtures import ErpControl, connect_erp
from tests.rest_fixtures import CRM_TOKEN, PAYMENTS_KEY, SandboxControl, bearer_client
from tests.waiting import wait_until

TICKETS = "GET /api/v1/tickets"
CREATE_PAYMENT = "POST /v1/payment_intents"
GARBAGE: list[dict[str, Any]] = [
    {"mode": "garbage"},
    {"mode": "garbage", "garbage": "truncated"},
    {"mode": "garbage", "garbage": "wrong_types"},
    {"mode": "garbage", "garbage": "huge", "huge_mb": 2},
]
RETRY = RetryPolicy(attempts=3, base_delay_s=0.01, max_delay_s=1.0)
NOBODY = "0000999999"
"""A customer no seed expectation involves, for the payments this module creates."""


def guard(system: System, **policy: Any) -> Guard:
    return Guard(system, GuardPolicy(**{"retry": RETRY, **policy}))


def crm(url: str, crm_guard: Guard, limits: HttpLimits | None = None) -> CrmAdapter:
    return CrmAdapter(bearer_client(url, CRM_TOKEN, limits or HttpLimits()), crm_guard)


@pytest.mark.parametrize("mode", ["hang", "down"])
async def test_a_write_is_sent_exactly_once(
    payments_url: str, payments_control: SandboxControl, mode: str
) -> None:
    await payments_control.set_faults(mode=mode, operations=[CREATE_PAYMENT])
    payments_guard = guard(System.PAYMENTS, call_timeout_s=0.3)
    client = bearer_client(payments_url, PAYMENTS_KEY)

    async with aclosing(PaymentsAdapter(client, payments_guard)) as adapter:
        with pytest.raises(UpstreamUnavailable) as raised:
            await adapter.create_payment(NOBODY, Amount(Decimal("12.50"), "CHF"), f"key-{mode}")

    assert isinstance(raised.value, UpstreamTimeout) == (mode == "hang")
    assert await payments_control.requests() == {CREATE_PAYMENT: 1}  # reads would retry 3 times


async def test_an_idempotency_key_makes_a_repeated_write_harmless(
    payments_url: str, payments_control: SandboxControl, rest_seed: Seed
) -> None:
    before = len(rest_seed.payment_intents)
    client = bearer_client(payments_url, PAYMENTS_KEY)
    amount = Amount(Decimal("99.95"), "CHF")

    async with aclosing(PaymentsAdapter(client, guard(System.PAYMENTS))) as adapter:
        first = await adapter.create_payment(NOBODY, amount, "order-4711-attempt")
        again = await adapter.create_payment(NOBODY, amount, "order-4711-attempt")

    assert first == again
    assert (first.amount, first.status) == (amount, "PENDING")
    assert len(rest_seed.payment_intents) == before + 1
    assert await payments_control.requests() == {CREATE_PAYMENT: 2}


async def test_a_retry_after_longer_than_the_backoff_is_passed_on_not_waited_for(
    crm_url: str, crm_control: SandboxControl
) -> None:
    await crm_control.set_faults(mode="down", retry_after=30)

    async with aclosing(crm(crm_url, guard(System.CRM))) as adapter:
        with pytest.raises(UpstreamUnavailable) as raised:
            await adapter.get_tickets(["TCK-1001"])

    assert raised.value.retry_after_s == 30
    assert await crm_control.requests() == {TICKETS: 1}


async def test_a_short_retry_after_is_waited_for_and_retried(
    crm_url: str, crm_control: SandboxControl
) -> None:
    await crm_control.set_faults(mode="down", retry_after=1)

    async with aclosing(crm(crm_url, guard(System.CRM))) as adapter:
        with pytest.raises(UpstreamUnavailable):
            await adapter.get_tickets(["TCK-1001"])

    assert await crm_control.requests() == {TICKETS: RETRY.attempts}


async def test_the_breaker_stops_traffic_to_a_system_that_is_down(
    crm_url: str, crm_control: SandboxControl
) -> None:
    await crm_control.set_faults(mode="down")
    breaker = BreakerPolicy(consecutive_failures=4, open_s=60)
    crm_guard = guard(System.CRM, breaker=breaker)
    failures: list[type[Exception]] = []

    async with aclosing(crm(crm_url, crm_guard)) as adapter:
        for _ in range(10):
            with pytest.raises(UpstreamUnavailable) as raised:
                await adapter.get_tickets(["TCK-1001"])
            failures.append(type(raised.value))

    assert state_of(crm_guard.breaker) is CircuitState.OPEN
    assert await crm_control.requests() == {TICKETS: breaker.consecutive_failures}
    # 3 attempts, then 1 that opened the circuit (its retry refused: the failure is reported)
    assert failures[:2] == [UpstreamUnavailable, UpstreamUnavailable]
    assert set(failures[2:]) == {CircuitOpen}


async def test_a_half_open_probe_closes_the_circuit_once_the_system_is_back(
    crm_url: str, crm_control: SandboxControl
) -> None:
    await crm_control.set_faults(mode="down")
    crm_guard = guard(
        System.CRM,
        retry=RetryPolicy(attempts=1),
        breaker=BreakerPolicy(consecutive_failures=1, open_s=0.2),
    )
    async with aclosing(crm(crm_url, crm_guard)) as adapter:
        with pytest.raises(UpstreamUnavailable):
            await adapter.get_tickets(["TCK-1001"])
        assert state_of(crm_guard.breaker) is CircuitState.OPEN
        await crm_control.set_faults(mode="ok")
        await crm_control.reset_stats()

        async def half_open() -> bool:
            return crm_guard.breaker.state is not CircuitState.OPEN

        await wait_until(half_open)
        [ticket] = await adapter.get_tickets(["TCK-1001"])

    assert ticket is not None
    assert state_of(crm_guard.breaker) is CircuitState.CLOSED
    assert await crm_control.requests() == {TICKETS: 1}  # the probe


async def test_the_bulkhead_rejects_calls_beyond_its_queue_at_once(
    crm_url: str, crm_control: SandboxControl
) -> None:
    await crm_control.set_faults(latency_ms=300)
    crm_guard = guard(System.CRM, max_concurrent=2, max_queue=1)

    async with aclosing(crm(crm_url, crm_guard)) as adapter:
        outcomes = await asyncio.gather(
            *(adapter.get_tickets(["TCK-1001"]) for _ in range(6)), return_exceptions=True
        )

    rejected = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert len(rejected) == 3
    assert all(isinstance(error, BulkheadFull) and error.retry_after_s for error in rejected)
    assert await crm_control.requests() == {TICKETS: 3}  # 2 in flight + 1 queued
    assert state_of(crm_guard.breaker) is CircuitState.CLOSED  # rejections are no failures


async def test_no_call_or_retry_outlives_the_requests_deadline(
    crm_url: str, crm_control: SandboxControl
) -> None:
    await crm_control.set_faults(mode="hang")

    async with aclosing(crm(crm_url, guard(System.CRM))) as adapter:
        with deadline_after(0.3), pytest.raises(UpstreamTimeout):
            await adapter.list_tickets(MUSTER, ListFilter())

    assert await crm_control.requests() == {TICKETS: 1}


@pytest.mark.parametrize("fault", GARBAGE, ids=[f.get("garbage", "noise") for f in GARBAGE])
async def test_garbage_from_a_rest_system_is_a_bad_response_asked_once(
    crm_url: str, crm_control: SandboxControl, fault: dict[str, Any]
) -> None:
    await crm_control.set_faults(**fault)
    limits = HttpLimits(max_body_bytes=1024 * 1024)

    async with aclosing(crm(crm_url, guard(System.CRM), limits)) as adapter:
        with pytest.raises(UpstreamBadResponse):
            await adapter.list_tickets(MUSTER, ListFilter())

    assert await crm_control.requests() == {TICKETS: 1}


@pytest.mark.parametrize("fault", GARBAGE, ids=[f.get("garbage", "noise") for f in GARBAGE])
async def test_garbage_from_the_soap_erp_is_a_bad_response_asked_once(
    erp_url: str, erp_control: ErpControl, fault: dict[str, Any]
) -> None:
    await erp_control.set_faults(**fault)
    adapter = await connect_erp(erp_url, HttpLimits(max_body_bytes=1024 * 1024), RETRY)

    async with aclosing(adapter):
        with pytest.raises(UpstreamBadResponse):
            await adapter.get_orders(["10000001", "10000002"])

    assert await erp_control.requests() == {"GetOrders": 1}


async def test_a_trickling_answer_is_cut_by_the_total_timeout(
    crm_url: str, crm_control: SandboxControl
) -> None:
    """Each chunk comes well within the read timeout; the whole answer never does."""
    await crm_control.set_faults(mode="trickle", trickle_ms=100, trickle_bytes=8)
    crm_guard = guard(System.CRM, retry=RetryPolicy(attempts=1), call_timeout_s=0.5)

    async with aclosing(crm(crm_url, crm_guard, HttpLimits(read_timeout_s=5.0))) as adapter:
        with pytest.raises(UpstreamTimeout):
            await adapter.list_tickets(MUSTER, ListFilter())

    assert await crm_control.requests() == {TICKETS: 1}
