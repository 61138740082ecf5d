"""`/_advance` for the payment provider: a payment intent changes status and Stripe's event
for it is sent; a succeeded payment is also reconciled in the ERP (as a bank reconciliation
run would), which the ERP's change log then shows."""

from typing import Any

from sandbox.advance import Advance, find, target
from sandbox.erp.advance import reconcile
from sandbox.model import PaymentIntent, Seed
from sandbox.payments.app import intent_json
from sandbox.rest import Clock
from sandbox.webhooks import Webhooks, event_id

STATUSES = {
    "PENDING": "requires_payment_method",
    "REQUIRES_ACTION": "requires_action",
    "PROCESSING": "processing",
    "AUTHORIZED": "requires_capture",
    "SUCCEEDED": "succeeded",
    "FAILED": "requires_payment_method",
    "CANCELED": "canceled",
}
FLOW = ["PENDING", "PROCESSING", "SUCCEEDED"]
EVENT_TYPES = {
    "requires_action": "payment_intent.requires_action",
    "processing": "payment_intent.processing",
    "requires_capture": "payment_intent.amount_capturable_updated",
    "succeeded": "payment_intent.succeeded",
    "canceled": "payment_intent.canceled",
}


def _state(intent: PaymentIntent) -> str:
    if intent.status == "requires_payment_method" and intent.last_payment_error:
        return "FAILED"
    return next((k for k, v in STATUSES.items() if v == intent.status), "PENDING")


def stripe_event(intent: PaymentIntent, created: int) -> dict[str, Any]:
    failed = intent.status == "requires_payment_method" and intent.last_payment_error
    kind = "payment_intent.payment_failed" if failed else EVENT_TYPES.get(intent.status)
    return {
        "id": event_id("payments"),
        "object": "event",
        "type": kind or "payment_intent.created",
        "created": created,
        "livemode": False,
        "data": {"object": intent_json(intent)},
    }


def payment_advances(seed: Seed, clock: Clock, webhooks: Webhooks) -> dict[str, Advance]:
    async def payment(body: dict[str, Any]) -> dict[str, Any]:
        intent = find(seed.payment_intents, body.get("id"), "payment")
        state = target(body, FLOW, _state(intent), STATUSES)
        now = clock()
        intent.status = STATUSES[state]
        intent.last_payment_error = (
            ("card_declined", "Your card was declined.") if state == "FAILED" else None
        )
        if state == "SUCCEEDED":
            reconcile(seed, intent.allocations, now)
        delivery = await webhooks.deliver("payments", stripe_event(intent, int(now.timestamp())))
        return {"payment": intent.id, "status": state, "webhook": delivery}

    return {"payment": payment}
