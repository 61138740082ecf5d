"""Stripe payloads (payment intents, refunds, list objects) to records; pure functions.

Amounts arrive in minor units and become Decimals by the currency's ISO 4217 exponent. The
ERP customer and the invoice allocations travel in the intent's `metadata`, whose values
Stripe keeps as strings: `allocations` is a JSON string of `[{"invoice_id", "amount"}]`.
"""

import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TypeVar

from connectors.base.payload import (
    Payload,
    PayloadError,
    as_object,
    as_objects,
    boolean,
    child,
    children,
    choice,
    integer,
    mapper,
    opt_child,
    opt_text,
    text,
    texts,
    unix_time,
)
from connectors.base.records import Allocation, Amount, Payment, Refund, SourceStatus, System

T = TypeVar("T")

PROVIDER = "stripe"
MINOR_UNIT_EXPONENTS = {"JPY": 0, "KRW": 0, "CLP": 0, "VND": 0, "BHD": 3, "KWD": 3, "JOD": 3}
"""ISO 4217 exponents that differ from the usual 2 (CHF, EUR, USD, GBP, …)."""
INTENT_STATUSES = {
    "requires_payment_method": "PENDING",
    "requires_confirmation": "PENDING",
    "requires_action": "REQUIRES_ACTION",
    "processing": "PROCESSING",
    "requires_capture": "AUTHORIZED",
    "succeeded": "SUCCEEDED",
    "canceled": "CANCELED",
}
METHODS = {"card": "CARD", "twint": "TWINT", "postfinance": "POSTFINANCE"}
STRIPE_METHODS = {unified: stripe_type for stripe_type, unified in METHODS.items()}
REFUND_STATUSES = {name: name.upper() for name in ("pending", "succeeded", "failed", "canceled")}

stripe = mapper(System.PAYMENTS)


def customer_id(number: str) -> str:
    """The provider's customer for an ERP customer number: `cus_<number>` (the sandbox's
    convention; a live account would look the customer up by `metadata.erp_customer_number`)."""
    return f"cus_{number}"


def amount(minor_units: int, currency: str) -> Amount:
    code = currency.upper()
    return Amount(Decimal(minor_units).scaleb(-MINOR_UNIT_EXPONENTS.get(code, 2)), code)


def minor_units(value: Amount) -> int:
    """An amount in the currency's minor units, as Stripe takes it."""
    return int(value.value.scaleb(MINOR_UNIT_EXPONENTS.get(value.currency.upper(), 2)))


@stripe
def stripe_list(body: object, item: Callable[[Payload], T]) -> tuple[list[T], str | None]:
    """One page of a list object and the cursor for the next (`starting_after`), if any."""
    page = as_object(body)
    data = children(page, "data")
    more = boolean(page, "has_more") and bool(data)
    return [item(entry) for entry in data], text(data[-1], "id") if more else None


@stripe
def payment(payload: Payload) -> Payment:
    currency, status = text(payload, "currency"), text(payload, "status")
    total = integer(payload, "amount")
    charge = opt_child(payload, "latest_charge")
    refunded = integer(charge, "amount_refunded") if charge else 0
    error = opt_child(payload, "last_payment_error")
    metadata = child(payload, "metadata")
    return Payment(
        id=text(payload, "id"),
        customer=text(metadata, "erp_customer_number"),
        provider=PROVIDER,
        method=payment_method(payload),
        status=payment_status(payload, charge, refunded, total),
        source_status=SourceStatus(status, status),
        amount=amount(total, currency),
        amount_refunded=amount(refunded, currency),
        allocations=allocations(metadata, currency),
        failure_code=opt_text(error, "code") if error else None,
        failure_message=opt_text(error, "message") if error else None,
        next_action_url=redirect_url(opt_child(payload, "next_action")),
        created_at=unix_time(payload, "created"),
        settled_at=unix_time(charge, "created") if charge and status == "succeeded" else None,
    )


def payment_status(payload: Payload, charge: Payload | None, refunded: int, total: int) -> str:
    """Stripe's intent status, refined by the charge: refunds, disputes, a declined attempt."""
    status = choice(payload, "status", INTENT_STATUSES)
    if charge and boolean(charge, "disputed"):
        return "DISPUTED"
    if status == "SUCCEEDED" and refunded > 0:
        return "REFUNDED" if refunded >= total else "PARTIALLY_REFUNDED"
    declined = payload.get("last_payment_error") is not None
    if text(payload, "status") == "requires_payment_method" and declined:
        return "FAILED"
    return status


def payment_method(payload: Payload) -> str:
    types = texts(payload, "payment_method_types")
    return METHODS.get(types[0], "OTHER") if types else "OTHER"


def allocations(metadata: Payload, currency: str) -> tuple[Allocation, ...]:
    """The invoices a payment settles; an intent created outside the portal has none."""
    raw = opt_text(metadata, "allocations")
    if raw is None:
        return ()
    try:
        entries = as_objects(json.loads(raw), "'allocations'")
    except ValueError as error:  # JSONDecodeError, or PayloadError from as_objects
        raise PayloadError(f"'allocations' is not a JSON list of objects: {error}") from None
    return tuple(
        Allocation(text(entry, "invoice_id"), amount(integer(entry, "amount"), currency))
        for entry in entries
    )


def payment_form(
    customer: str, allocations: Sequence[Allocation], method: str, return_url: str | None
) -> dict[str, str]:
    """A new payment intent as Stripe's form: the total of `allocations` (one currency), the
    method, the ERP customer and the allocations in `metadata`."""
    currency = allocations[0].amount.currency
    total = Amount(sum((a.amount.value for a in allocations), Decimal(0)), currency)
    entries = [{"invoice_id": a.invoice_id, "amount": minor_units(a.amount)} for a in allocations]
    form = {
        "customer": customer_id(customer),
        "amount": str(minor_units(total)),
        "currency": currency.lower(),
        "payment_method_types[0]": STRIPE_METHODS[method],
        "metadata[erp_customer_number]": customer,
        "metadata[allocations]": json.dumps(entries, separators=(",", ":")),
    }
    return form | ({"return_url": return_url} if return_url else {})


def redirect_url(next_action: Payload | None) -> str | None:
    if next_action is None or text(next_action, "type") != "redirect_to_url":
        return None
    return text(child(next_action, "redirect_to_url"), "url")


@stripe
def refund(payload: Payload) -> Refund:
    return Refund(
        id=text(payload, "id"),
        payment_id=text(payload, "payment_intent"),
        amount=amount(integer(payload, "amount"), text(payload, "currency")),
        status=choice(payload, "status", REFUND_STATUSES),
        reason=opt_text(payload, "reason"),
        created_at=unix_time(payload, "created"),
    )


REDACTION_STATES = {"validating": "PENDING", "ready": "PENDING", "redacting": "PENDING",
                    "succeeded": "DONE"}  # fmt: skip
"""A redaction job's states that lead to the customer's data being gone (a job that failed
or was cancelled does not)."""


def redaction_form(customers: list[str]) -> dict[str, str]:
    return {f"objects[customers][{n}]": customer_id(c) for n, c in enumerate(customers)}


@stripe
def redaction_job(body: object) -> tuple[str, str]:
    """A redaction job's ID and where it stands (PENDING or DONE)."""
    job = as_object(body)
    return text(job, "id"), choice(job, "status", REDACTION_STATES)
