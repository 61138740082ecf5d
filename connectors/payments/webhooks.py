"""Stripe webhook events to changes: payment intents and their charges and refunds.

The event carries the whole object (a fat event): the changed intent's ERP customer and the
invoices it settles come from its metadata, its status is what the event reports.
"""

from datetime import datetime
from functools import partial

from connectors.base.changes import Change, json_event
from connectors.base.errors import UpstreamBadResponse
from connectors.base.payload import PayloadError, child, text, unix_time
from connectors.base.records import CaseRef, System
from connectors.payments import mapping

PAYMENT_INTENT_KINDS = {
    "payment_intent.succeeded": "payment.succeeded",
    "payment_intent.processing": "payment.status_changed",
    "payment_intent.requires_action": "payment.status_changed",
    "payment_intent.payment_failed": "payment.status_changed",
    "payment_intent.canceled": "payment.status_changed",
    "payment_intent.amount_capturable_updated": "payment.status_changed",
}
CHARGE_KINDS = {"charge.refunded": "refund.updated", "charge.dispute.created": "payment.disputed"}


def parse_event(body: bytes, received_at: datetime) -> Change | None:
    """The change a verified event reports; None for an event type the gateway does not use.
    Raises PayloadError for a body that is not a well-formed event."""
    event = json_event(body)
    kind = text(event, "type")
    if kind not in PAYMENT_INTENT_KINDS and kind not in CHARGE_KINDS:
        return None
    data = child(child(event, "data"), "object")
    change = partial(
        Change,
        source=System.PAYMENTS,
        event_id=text(event, "id"),
        occurred_at=unix_time(event, "created"),
        received_at=received_at,
    )
    if kind in PAYMENT_INTENT_KINDS:
        try:
            payment = mapping.payment(data)
        except UpstreamBadResponse as error:
            raise PayloadError(f"'data.object': {error.detail}") from None
        return change(
            kind=PAYMENT_INTENT_KINDS[kind],
            entity="PAYMENT",
            entity_id=payment.id,
            customer=payment.customer,
            status=payment.source_status.code,
            related=tuple(CaseRef("INVOICE", a.invoice_id) for a in payment.allocations),
        )
    return change(kind=CHARGE_KINDS[kind], entity="PAYMENT", entity_id=text(data, "payment_intent"))
