"""The simulated payment provider: Stripe's REST API for payment intents and refunds.

Authentication is the secret key as `Bearer`. Lists are Stripe list objects (newest first,
`limit` ≤ 100, cursor `starting_after`). Customers are `cus_<ERP customer number>`; a payment
intent's ERP customer and invoice allocations travel in its `metadata` (strings, as Stripe
requires). `latest_charge` is always expanded, as if the client sent `expand[]`. Like Stripe,
there is no batch read by ids: clients read payment intents one by one and refunds by list.
The writes (create and cancel an intent, with idempotency keys) are in `writes.py`, the
redaction of customers' personal data in `redaction.py`.
"""

import json
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.advance import Advance, advance_route
from sandbox.faults import Faults
from sandbox.instrument import instrumented_app
from sandbox.model import PaymentIntent, Refund, Seed
from sandbox.payments.redaction import Redactions
from sandbox.payments.writes import PaymentWrites
from sandbox.rest import BadRequest, Clock, Handler, advancing_clock, guarded, int_param
from sandbox.stats import RequestStats

MAX_LIMIT = 100
DEFAULT_LIMIT = 10
CHARGE_STATUS = {"succeeded": "succeeded", "requires_capture": "succeeded", "processing": "pending"}


def stripe_error(status: int, text: str, code: str | None = None) -> Response:
    kind = "api_error" if status >= 500 else "invalid_request_error"
    error = {"type": kind, "message": text} | ({"code": code} if code else {})
    return JSONResponse({"error": error}, status_code=status)


def customer_id(number: str) -> str:
    return f"cus_{number}"


def charge_json(intent: PaymentIntent) -> dict[str, Any] | None:
    """The intent's latest charge: none before an attempt, a failed one after a decline."""
    status = CHARGE_STATUS.get(intent.status)
    if status is None and intent.last_payment_error is None:
        return None
    return {
        "id": f"ch_{intent.id.removeprefix('pi_')}",
        "object": "charge",
        "amount": intent.amount,
        "amount_captured": intent.amount if intent.status == "succeeded" else 0,
        "amount_refunded": intent.amount_refunded,
        "refunded": intent.amount_refunded == intent.amount,
        "disputed": False,
        "status": status or "failed",
        "created": int(intent.created.timestamp()),
        "payment_intent": intent.id,
    }


def intent_json(intent: PaymentIntent) -> dict[str, Any]:
    allocations = [
        {"invoice_id": invoice, "amount": amount} for invoice, amount in intent.allocations
    ]
    error = intent.last_payment_error
    return {
        "id": intent.id,
        "object": "payment_intent",
        "amount": intent.amount,
        "amount_received": intent.amount if intent.status == "succeeded" else 0,
        "currency": intent.currency,
        "customer": customer_id(intent.customer),
        "status": intent.status,
        "created": int(intent.created.timestamp()),
        "livemode": False,
        "metadata": {
            "erp_customer_number": intent.customer,
            "allocations": json.dumps(allocations),
        },
        "last_payment_error": (
            {"type": "card_error", "code": error[0], "message": error[1]} if error else None
        ),
        "next_action": (
            {"type": "redirect_to_url", "redirect_to_url": {"url": intent.next_action_url}}
            if intent.next_action_url
            else None
        ),
        "payment_method_types": [intent.payment_method_type],
        "latest_charge": charge_json(intent),
    }


def refund_json(refund: Refund, currency: str) -> dict[str, Any]:
    return {
        "id": refund.id,
        "object": "refund",
        "amount": refund.amount,
        "currency": currency,
        "payment_intent": refund.payment_intent,
        "charge": f"ch_{refund.payment_intent.removeprefix('pi_')}",
        "status": refund.status,
        "reason": refund.reason,
        "created": int(refund.created.timestamp()),
    }


def stripe_list(request: Request, objects: Sequence[dict[str, Any]]) -> Response:
    """One page of `objects` (already newest first) after the `starting_after` cursor."""
    limit = int_param(request, "limit", DEFAULT_LIMIT, MAX_LIMIT)
    after = request.query_params.get("starting_after")
    if after is not None:
        position = next((i for i, o in enumerate(objects) if o["id"] == after), None)
        if position is None:
            raise BadRequest(f"No such object: '{after}'")
        objects = objects[position + 1 :]
    return JSONResponse(
        {
            "object": "list",
            "data": list(objects[:limit]),
            "has_more": len(objects) > limit,
            "url": request.url.path,
        }
    )


class PaymentsApi:
    """The provider's handlers over the shared seed; they read it on every request."""

    def __init__(self, seed: Seed) -> None:
        self.seed = seed

    def intent(self, intent_id: str) -> PaymentIntent | None:
        return next((i for i in self.seed.payment_intents if i.id == intent_id), None)

    async def payment_intents(self, request: Request) -> Response:
        customer = request.query_params.get("customer")
        found = sorted(
            (
                i
                for i in self.seed.payment_intents
                if customer is None or customer_id(i.customer) == customer
            ),
            key=lambda i: (i.created, i.id),
            reverse=True,
        )
        return stripe_list(request, [intent_json(i) for i in found])

    async def payment_intent(self, request: Request) -> Response:
        intent_id = request.path_params["intent_id"]
        intent = self.intent(intent_id)
        if intent is None:
            return stripe_error(404, f"No such payment_intent: '{intent_id}'", "resource_missing")
        return JSONResponse(intent_json(intent))

    async def refunds(self, request: Request) -> Response:
        intent = request.query_params.get("payment_intent")
        found = sorted(
            (r for r in self.seed.refunds if intent is None or r.payment_intent == intent),
            key=lambda r: (r.created, r.id),
            reverse=True,
        )
        currency = {i.id: i.currency for i in self.seed.payment_intents}
        return stripe_list(request, [refund_json(r, currency[r.payment_intent]) for r in found])


def create_payments_app(
    seed: Seed,
    faults: Faults,
    stats: RequestStats,
    secret_key: str,
    advances: Mapping[str, Advance] | None = None,
    clock: Clock | None = None,
) -> Starlette:
    """The payment provider on `seed`; clients authenticate with `secret_key` (`sk_test_…`);
    `advances` serve `POST /_advance`; redaction jobs run on `clock` (default: the seed's
    `now`, advancing)."""
    api = PaymentsApi(seed)
    writes = PaymentWrites(seed, intent_json, stripe_error)
    redactions = Redactions(seed, clock or advancing_clock(seed.now), stripe_error)
    authenticated = guarded(secret_key, stripe_error)

    def guard(handler: Handler) -> Handler:
        async def after_due_jobs(request: Request) -> Response:
            redactions.finish_due()
            return await handler(request)

        return authenticated(after_due_jobs)

    routes = [
        Route("/v1/payment_intents", guard(api.payment_intents), methods=["GET"]),
        Route("/v1/payment_intents", guard(writes.create_payment_intent), methods=["POST"]),
        Route("/v1/payment_intents/{intent_id}", guard(api.payment_intent), methods=["GET"]),
        Route(
            "/v1/payment_intents/{intent_id}/cancel",
            guard(writes.cancel_payment_intent),
            methods=["POST"],
        ),
        Route("/v1/refunds", guard(api.refunds), methods=["GET"]),
        Route("/v1/privacy/redaction_jobs", guard(redactions.create), methods=["POST"]),
        Route("/v1/privacy/redaction_jobs/{job_id}", guard(redactions.retrieve), methods=["GET"]),
        *([advance_route(advances)] if advances else []),
    ]
    return instrumented_app(routes, stats, faults, failure=stripe_error)
