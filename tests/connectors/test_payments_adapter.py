"""The payments adapter against the sandbox provider: Stripe semantics, paging, faults.

Stripe has no batch read by ids: `get_payments` costs one request per distinct id, which the
tests pin down instead of the one-request batch of the other adapters.
"""

from contextlib import aclosing
from decimal import Decimal

import pytest

from connectors.base.errors import (
    UpstreamBadResponse,
    UpstreamError,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from connectors.base.records import Payment, System
from connectors.payments import PaymentsAdapter
from sandbox.model import PaymentIntent, Seed
from sandbox.seed import MUSTER
from tests.rest_fixtures import (
    FAST_RETRY,
    HANG_LIMITS,
    PAYMENTS_KEY,
    SandboxControl,
    bearer_client,
    fast_guard,
)

INTENT_STATUS = {
    "requires_payment_method": "PENDING",
    "requires_confirmation": "PENDING",
    "requires_action": "REQUIRES_ACTION",
    "processing": "PROCESSING",
    "requires_capture": "AUTHORIZED",
    "succeeded": "SUCCEEDED",
    "canceled": "CANCELED",
}
METHOD = {"card": "CARD", "twint": "TWINT", "postfinance": "POSTFINANCE"}
INTENT, INTENTS, REFUNDS = (
    "GET /v1/payment_intents/{intent_id}",
    "GET /v1/payment_intents",
    "GET /v1/refunds",
)
UNKNOWN = "pi_DoesNotExist"


def expected_status(intent: PaymentIntent) -> str:
    if intent.status == "succeeded" and intent.amount_refunded:
        return "REFUNDED" if intent.amount_refunded == intent.amount else "PARTIALLY_REFUNDED"
    if intent.status == "requires_payment_method" and intent.last_payment_error:
        return "FAILED"
    return INTENT_STATUS[intent.status]


def major(minor_units: int) -> Decimal:
    """The seed's currencies (CHF, EUR) have two decimals."""
    return Decimal(minor_units) / 100


def assert_maps(payment: Payment | None, intent: PaymentIntent) -> None:
    assert payment is not None
    assert (payment.id, payment.customer, payment.provider) == (
        intent.id,
        intent.customer,
        "stripe",
    )
    assert payment.status == expected_status(intent)
    assert payment.source_status.code == intent.status
    assert payment.method == METHOD[intent.payment_method_type]
    assert (payment.amount.value, payment.amount.currency) == (
        major(intent.amount),
        intent.currency.upper(),
    )
    assert payment.amount_refunded.value == major(intent.amount_refunded)
    assert [(a.invoice_id, a.amount.value) for a in payment.allocations] == [
        (invoice, major(amount)) for invoice, amount in intent.allocations
    ]
    error = intent.last_payment_error
    assert (payment.failure_code, payment.failure_message) == (error or (None, None))
    assert payment.next_action_url == intent.next_action_url
    assert payment.created_at == intent.created


async def test_get_payments_reads_each_intent_in_key_order(
    payments_adapter: PaymentsAdapter, payments_control: SandboxControl, rest_seed: Seed
) -> None:
    intents = list(reversed(rest_seed.payment_intents))
    ids = [intent.id for intent in intents] + [UNKNOWN, intents[0].id]

    found = await payments_adapter.get_payments(ids)

    for intent, payment in zip(intents, found, strict=False):
        assert_maps(payment, intent)
    assert found[-2] is None
    assert found[-1] == found[0]
    assert await payments_control.requests() == {INTENT: len(intents) + 1}


async def test_the_seed_shows_the_refund_and_failure_states(
    payments_adapter: PaymentsAdapter, rest_seed: Seed
) -> None:
    found = await payments_adapter.get_payments([i.id for i in rest_seed.payment_intents])

    statuses = {payment.status for payment in found if payment is not None}
    assert {"PARTIALLY_REFUNDED", "FAILED", "REQUIRES_ACTION", "PROCESSING"} <= statuses


async def test_payments_of_lists_each_customer_newest_first(
    payments_adapter: PaymentsAdapter, payments_control: SandboxControl, rest_seed: Seed
) -> None:
    customers = [customer.number for customer in rest_seed.customers] + ["0000999999"]

    found = await payments_adapter.payments_of(customers)

    for customer, payments in zip(customers, found, strict=True):
        expected = sorted(
            (i for i in rest_seed.payment_intents if i.customer == customer),
            key=lambda i: (i.created, i.id),
            reverse=True,
        )
        assert [payment.id for payment in payments] == [intent.id for intent in expected]
        for payment, intent in zip(payments, expected, strict=True):
            assert_maps(payment, intent)
    assert await payments_control.requests() == {INTENTS: len(customers)}


async def test_payments_of_follows_the_cursor(
    payments_url: str, payments_control: SandboxControl, rest_seed: Seed
) -> None:
    page_size = 2
    expected = {intent.id for intent in rest_seed.payment_intents if intent.customer == MUSTER}
    client = bearer_client(payments_url, PAYMENTS_KEY)

    async with aclosing(
        PaymentsAdapter(client, fast_guard(System.PAYMENTS), page_size=page_size)
    ) as adapter:
        [found] = await adapter.payments_of([MUSTER])

    assert sorted(payment.id for payment in found) == sorted(expected)
    assert await payments_control.requests() == {INTENTS: -(-len(expected) // page_size)}


async def test_refunds_of_several_payments_is_one_list_scan(
    payments_adapter: PaymentsAdapter, payments_control: SandboxControl, rest_seed: Seed
) -> None:
    ids = [intent.id for intent in rest_seed.payment_intents] + [UNKNOWN]

    found = await payments_adapter.refunds_of(ids)

    for payment_id, refunds in zip(ids, found, strict=True):
        expected = [r for r in rest_seed.refunds if r.payment_intent == payment_id]
        assert sorted((r.id, r.amount.value, r.status, r.reason) for r in refunds) == sorted(
            (r.id, major(r.amount), r.status.upper(), r.reason) for r in expected
        )
    assert await payments_control.requests() == {REFUNDS: 1}


async def test_refunds_of_one_payment(
    payments_adapter: PaymentsAdapter, payments_control: SandboxControl, rest_seed: Seed
) -> None:
    refund = rest_seed.refunds[0]

    [found] = await payments_adapter.refunds_of([refund.payment_intent])

    assert [r.id for r in found] == [
        r.id for r in rest_seed.refunds if r.payment_intent == refund.payment_intent
    ]
    assert await payments_control.requests() == {REFUNDS: 1}


async def test_no_keys_no_request(
    payments_adapter: PaymentsAdapter, payments_control: SandboxControl
) -> None:
    assert await payments_adapter.get_payments([]) == []
    assert await payments_adapter.payments_of([]) == []
    assert await payments_adapter.refunds_of([]) == []
    assert await payments_control.requests() == {}


@pytest.mark.parametrize(
    ("mode", "error", "attempts"),
    [
        ("down", UpstreamUnavailable, FAST_RETRY.attempts),
        ("garbage", UpstreamBadResponse, 1),
    ],
)
async def test_faults_become_upstream_errors(
    payments_adapter: PaymentsAdapter,
    payments_control: SandboxControl,
    mode: str,
    error: type[UpstreamError],
    attempts: int,
) -> None:
    await payments_control.set_faults(mode=mode)

    with pytest.raises(error) as raised:
        await payments_adapter.payments_of([MUSTER])

    assert raised.value.system is System.PAYMENTS
    assert await payments_control.requests() == {INTENTS: attempts}


async def test_a_hanging_provider_times_out(
    payments_url: str, payments_control: SandboxControl, rest_seed: Seed
) -> None:
    await payments_control.set_faults(mode="hang")
    client = bearer_client(payments_url, PAYMENTS_KEY, HANG_LIMITS)

    async with aclosing(PaymentsAdapter(client, fast_guard(System.PAYMENTS))) as adapter:
        with pytest.raises(UpstreamTimeout):
            await adapter.get_payments([rest_seed.payment_intents[0].id])


async def test_a_wrong_secret_key_is_rejected(payments_url: str, rest_seed: Seed) -> None:
    client = bearer_client(payments_url, "sk_test_wrong")

    async with aclosing(PaymentsAdapter(client, fast_guard(System.PAYMENTS))) as adapter:
        with pytest.raises(UpstreamRejected):
            await adapter.get_payments([rest_seed.payment_intents[0].id])
