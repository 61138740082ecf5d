"""The payment provider's writes, Stripe-style: create a payment intent (with an
`Idempotency-Key`) and cancel one. State lives in the seed, in memory.

Like Stripe, a repeated `Idempotency-Key` answers the intent it created the first time, and
the same key with other parameters is refused (400 `idempotency_error`). An intent with a
`return_url` needs the customer's action: it answers `requires_action` with a redirect.
"""

import json
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.model import PaymentIntent, Seed
from sandbox.payments.idempotency import Failure, Idempotent, keyed_form
from sandbox.rest import BadRequest

METHODS = frozenset({"card", "twint", "postfinance"})
CANCELABLE = frozenset(
    {"requires_payment_method", "requires_confirmation", "requires_action", "requires_capture"}
)
CHECKOUT_URL = "https://checkout.sandbox.example/pay/{intent}?{query}"

IntentRenderer = Callable[[PaymentIntent], dict[str, Any]]


class PaymentWrites:
    """The write handlers; `render` turns an intent into its JSON (shared with the reads)."""

    def __init__(self, seed: Seed, render: IntentRenderer, failure: Failure) -> None:
        self.seed = seed
        self.render = render
        self.failure = failure
        self.created_by_key = Idempotent(render, failure)

    async def create_payment_intent(self, request: Request) -> Response:
        form, key = await keyed_form(request)
        replayed = self.created_by_key.replay(key, form)
        if replayed is not None:
            return replayed
        intent = self._new_intent(form)
        self.seed.payment_intents.append(intent)
        return self.created_by_key.answer(key, form, intent)

    def _new_intent(self, form: dict[str, str]) -> PaymentIntent:
        customer, amount, currency = form.get("customer"), form.get("amount"), form.get("currency")
        if customer is None or not customer.startswith("cus_"):
            raise BadRequest("'customer' must be a customer id (cus_...)")
        if amount is None or not amount.isdigit() or int(amount) <= 0 or currency is None:
            raise BadRequest("'amount' (positive, minor units) and 'currency' are required")
        method = form.get("payment_method_types[0]", "card")
        if method not in METHODS:
            raise BadRequest(f"'payment_method_types[0]' must be one of {sorted(METHODS)}")
        allocations = _allocations(form.get("metadata[allocations]"), int(amount))
        intent_id = f"pi_{uuid.uuid4().hex[:24]}"
        return_url = form.get("return_url")
        return PaymentIntent(
            id=intent_id,
            customer=customer.removeprefix("cus_"),
            amount=int(amount),
            currency=currency.lower(),
            status="requires_action" if return_url else "requires_payment_method",
            payment_method_type=method,
            created=self.seed.now,
            allocations=allocations,
            next_action_url=CHECKOUT_URL.format(
                intent=intent_id, query=urlencode({"return_url": return_url})
            )
            if return_url
            else None,
        )

    async def cancel_payment_intent(self, request: Request) -> Response:
        intent_id = request.path_params["intent_id"]
        intent = next((i for i in self.seed.payment_intents if i.id == intent_id), None)
        if intent is None:
            return self.failure(404, f"No such payment_intent: '{intent_id}'", "resource_missing")
        if intent.status not in CANCELABLE:
            return self.failure(
                400,
                f"You cannot cancel this PaymentIntent because it has a status of {intent.status}.",
                "payment_intent_unexpected_state",
            )
        intent.status = "canceled"
        intent.next_action_url = None
        return JSONResponse(self.render(intent))


def _allocations(raw: str | None, amount: int) -> list[tuple[str, int]]:
    """`metadata[allocations]`: a JSON list of `{"invoice_id", "amount"}` adding up to the
    intent's amount (minor units)."""
    if raw is None:
        return []
    try:
        entries = json.loads(raw)
        allocations = [(str(e["invoice_id"]), int(e["amount"])) for e in entries]
    except (ValueError, TypeError, KeyError):
        raise BadRequest("'metadata[allocations]' must be a JSON list of allocations") from None
    if sum(share for _, share in allocations) != amount:
        raise BadRequest("'metadata[allocations]' must add up to 'amount'")
    return allocations
