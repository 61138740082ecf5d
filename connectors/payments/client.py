"""The payment provider adapter: Stripe payment intents and refunds over its REST API.

Stripe has no batch read by ids, so the batch contract is met as follows: `get_payments`
makes one GET per distinct id, concurrently; `refunds_of` reads the refund list once (paged,
filtered by `payment_intent` when only one payment is asked for) and groups it here, since
one scan is cheaper than a request per payment; `payments_of` lists each customer's intents,
one paged list per customer. Every list is bounded by `MAX_PAGES` pages of 100.

`create_payment` and `cancel_payment` are writes: sent once, never retried; a creation carries
Stripe's `Idempotency-Key`, so that a caller who retries after a timeout cannot charge twice.
"""

import asyncio
from collections.abc import Callable, Sequence
from typing import TypeVar
from urllib.parse import quote

from connectors.base.payload import Payload
from connectors.base.records import Amount, Payment, PaymentStart, Refund, System
from connectors.base.rest import RestAdapter, collect_pages, grouped
from connectors.payments import mapping
from connectors.payments.privacy import PaymentsPrivacy

T = TypeVar("T")
EXPAND_CHARGE = "latest_charge"
"""Stripe returns the latest charge as an id unless expanded; its refunds decide the status."""


class PaymentsAdapter(PaymentsPrivacy, RestAdapter):
    """`PaymentPort` for a Stripe-style payment provider, and its `PersonalDataPort`
    (`PaymentsPrivacy`)."""

    system = System.PAYMENTS

    async def get_payments(self, ids: Sequence[str]) -> list[Payment | None]:
        distinct = list(dict.fromkeys(ids))
        found = await asyncio.gather(*(self._payment(payment_id) for payment_id in distinct))
        by_id = dict(zip(distinct, found, strict=True))
        return [by_id[payment_id] for payment_id in ids]

    async def _payment(self, payment_id: str) -> Payment | None:
        body = await self._rest.get(
            f"/v1/payment_intents/{quote(payment_id, safe='')}",
            {"expand[]": EXPAND_CHARGE},
            missing_ok=True,
            operation="GET /v1/payment_intents/{intent_id}",
        )
        return None if body is None else mapping.payment(body)

    async def create_payment(self, customer: str, amount: Amount, idempotency_key: str) -> Payment:
        """A new payment intent of `customer` for `amount`, awaiting its payment method."""
        body = await self._rest.post_form(
            "/v1/payment_intents",
            {
                "customer": mapping.customer_id(customer),
                "amount": str(mapping.minor_units(amount)),
                "currency": amount.currency.lower(),
            },
            headers={"Idempotency-Key": idempotency_key},
        )
        return mapping.payment(body)

    async def start_payment(self, start: PaymentStart) -> Payment:
        """A payment intent settling `start.allocations`; with a return URL it answers the
        redirect the customer must follow."""
        body = await self._rest.post_form(
            "/v1/payment_intents",
            mapping.payment_form(start.customer, start.allocations, start.method, start.return_url),
            headers={"Idempotency-Key": start.idempotency_key},
        )
        return mapping.payment(body)

    async def cancel_payment(self, payment_id: str) -> Payment:
        body = await self._rest.post_form(
            f"/v1/payment_intents/{quote(payment_id, safe='')}/cancel", {}
        )
        return mapping.payment(body)

    async def payments_of(self, customers: Sequence[str]) -> list[list[Payment]]:
        distinct = list(dict.fromkeys(customers))
        found = await asyncio.gather(
            *(
                self._list(
                    "/v1/payment_intents",
                    {
                        "customer": mapping.customer_id(customer),
                        "expand[]": f"data.{EXPAND_CHARGE}",
                    },
                    mapping.payment,
                )
                for customer in distinct
            )
        )
        by_customer = dict(zip(distinct, found, strict=True))
        return [by_customer[customer] for customer in customers]

    async def refunds_of(self, payment_ids: Sequence[str]) -> list[list[Refund]]:
        wanted = set(payment_ids)
        if not wanted:
            return []
        params = {"payment_intent": payment_ids[0]} if len(wanted) == 1 else {}
        refunds = await self._list("/v1/refunds", params, mapping.refund)
        return grouped(refunds, lambda refund: refund.payment_id, payment_ids)

    async def _list(
        self, path: str, params: dict[str, str], item: Callable[[Payload], T]
    ) -> list[T]:
        async def page(after: str) -> tuple[list[T], str | None]:
            cursor = {"starting_after": after} if after else {}
            body = await self._rest.get(path, {**params, **cursor, "limit": self._page_size})
            return mapping.stripe_list(body, item)

        return await collect_pages("", page)
