"""`/_advance` for the ERP: the provider sends a requested quote (or withdraws one), orders,
deliveries and bookings change state, payments the provider reports settle invoices, and the
provider approves or rejects a customer's pending change request (`{"object": "customer" |
"address", "id", "to": "APPROVED" | "REJECTED"}`). Every write to an order, delivery, invoice
or booking lands in the change log (`GetChanges`), the only way the ERP tells anyone: it sends
no webhooks (and master data has no change log)."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sandbox.advance import Advance, AdvanceError, find, target
from sandbox.model import CENT, Address, Customer, ErpChange, Seed
from sandbox.rest import Clock

ORDER_STATES: dict[str, dict[str, Any]] = {
    "CONFIRMED": {"state": "sale", "delivery_status": "pending", "locked": False},
    "IN_PROGRESS": {"state": "sale", "delivery_status": "partial", "locked": False},
    "DELIVERED": {"state": "sale", "delivery_status": "full", "invoice_status": "to invoice"},
    "COMPLETED": {"delivery_status": "full", "invoice_status": "invoiced", "locked": True},
    "ON_HOLD": {"hold_reason": "Credit limit exceeded"},
    "CANCELLED": {"state": "cancel"},
}
ORDER_FLOW = ["CONFIRMED", "IN_PROGRESS", "DELIVERED", "COMPLETED"]
DELIVERY_STATES = {
    "PLANNED": "waiting",
    "READY": "assigned",
    "SHIPPED": "shipped",
    "DELIVERED": "done",
    "CANCELLED": "cancel",
}
DELIVERY_FLOW = ["PLANNED", "READY", "SHIPPED", "DELIVERED"]
QUOTE_STATES = {"SENT": "sent", "CANCELLED": "cancel"}
BOOKING_STATES = {
    "REQUESTED": "request",
    "CONFIRMED": "booked",
    "RESCHEDULED": "rescheduled",
    "COMPLETED": "attended",
    "NO_SHOW": "no_show",
    "CANCELLED": "cancelled",
}
BOOKING_FLOW = ["REQUESTED", "CONFIRMED", "COMPLETED"]
"""The provider confirms a requested booking, and records that it took place."""
QUOTE_VALIDITY = timedelta(days=30)
"""How long a quote stays valid from when the ERP creates or sends it."""
DECISIONS = {"APPROVED": "approved", "REJECTED": "rejected"}


def record_change(
    seed: Seed, object_type: str, object_id: str, parent: str | None, customer: str, at: datetime
) -> None:
    stamp = seed.erp_changes[-1].stamp + 1 if seed.erp_changes else 1
    seed.erp_changes.append(ErpChange(stamp, object_type, object_id, parent, customer, at))


def reconcile(seed: Seed, allocations: Sequence[tuple[str, int]], at: datetime) -> None:
    """Apply a settled payment's allocations (minor units) to the invoices' open amounts."""
    for invoice_id, minor in allocations:
        invoice = next((i for i in seed.invoices if i.id == invoice_id), None)
        if invoice is None:
            continue
        paid = (Decimal(minor) / 100).quantize(CENT)
        invoice.amount_residual = max(Decimal(0), invoice.amount_residual - paid)
        invoice.payment_state = "paid" if invoice.amount_residual == 0 else "partial"
        invoice.updated_at = at
        record_change(seed, "invoice", invoice.id, invoice.order_id, invoice.customer, at)


def decide(record: Customer | Address, body: dict[str, Any]) -> dict[str, Any]:
    """Approve a pending change request (its values take effect) or reject it."""
    if record.approval != "pending":
        raise AdvanceError("no change request is pending")
    decision = target(body, ["APPROVED"], "APPROVED", DECISIONS)
    if decision == "APPROVED":
        for attribute, value in record.requested.items():
            setattr(record, attribute, value)
    record.requested = {}
    record.approval = DECISIONS[decision]
    return {"status": decision}


def _order_state(order: Any) -> str:
    if order.state == "cancel":
        return "CANCELLED"
    if order.hold_reason:
        return "ON_HOLD"
    if order.locked:
        return "COMPLETED"
    return {"full": "DELIVERED", "partial": "IN_PROGRESS", "started": "IN_PROGRESS"}.get(
        order.delivery_status, "CONFIRMED"
    )


def erp_advances(seed: Seed, clock: Clock) -> dict[str, Advance]:
    async def quote(body: dict[str, Any]) -> dict[str, Any]:
        """The provider sends a quote (valid for 30 days from now) or withdraws it."""
        record = find(seed.quotes, body.get("id"), "quote")
        state = target(body, ["SENT"], "SENT", QUOTE_STATES)
        now = clock()
        record.state, record.updated_at = QUOTE_STATES[state], now
        if state == "SENT":
            record.validity_date = (now + QUOTE_VALIDITY).date()
        record.cancelled_by_provider = state == "CANCELLED"
        return {"quote": record.id, "status": state}

    async def order(body: dict[str, Any]) -> dict[str, Any]:
        record = find(seed.orders, body.get("id"), "order")
        state = target(body, ORDER_FLOW, _order_state(record), ORDER_STATES)
        if state != "ON_HOLD":
            record.hold_reason = None
        for name, value in ORDER_STATES[state].items():
            setattr(record, name, value)
        record.updated_at = clock()
        record_change(seed, "order", record.id, None, record.customer, record.updated_at)
        return {"order": record.id, "status": state, "stamp": seed.erp_changes[-1].stamp}

    async def delivery(body: dict[str, Any]) -> dict[str, Any]:
        record = find(seed.deliveries, body.get("id"), "delivery")
        current = next(k for k, v in DELIVERY_STATES.items() if v == record.state)
        state = target(body, DELIVERY_FLOW, current, DELIVERY_STATES)
        now = clock()
        record.state = DELIVERY_STATES[state]
        if state == "SHIPPED":
            record.shipped_at = now
            record.carrier = record.carrier or "Planzer"
            record.tracking_ref = record.tracking_ref or f"PLZ{record.id[-6:]}"
        if state == "DELIVERED":
            record.delivered_at = now
        record_change(seed, "delivery", record.id, record.order_id, record.customer, now)
        return {"delivery": record.id, "status": state, "stamp": seed.erp_changes[-1].stamp}

    async def booking(body: dict[str, Any]) -> dict[str, Any]:
        record = find(seed.bookings, body.get("id"), "booking")
        current = next(k for k, v in BOOKING_STATES.items() if v == record.state)
        state = target(body, BOOKING_FLOW, current, BOOKING_STATES)
        record.state, record.updated_at = BOOKING_STATES[state], clock()
        record_change(seed, "booking", record.id, None, record.customer, record.updated_at)
        return {"booking": record.id, "status": state, "stamp": seed.erp_changes[-1].stamp}

    async def customer(body: dict[str, Any]) -> dict[str, Any]:
        number = body.get("id")
        record = next((c for c in seed.customers if c.number == number), None)
        if record is None:
            raise AdvanceError(f"no customer {number!r}")
        return {"customer": record.number, **decide(record, body)}

    async def address(body: dict[str, Any]) -> dict[str, Any]:
        record = find(seed.addresses, body.get("id"), "address")
        return {"address": record.id, **decide(record, body)}

    return {
        "quote": quote,
        "order": order,
        "delivery": delivery,
        "customer": customer,
        "address": address,
        "booking": booking,
    }
