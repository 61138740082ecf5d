"""Quotes: `requestQuote`, `acceptQuote` and `declineQuote` (ERP). All three need
`quotes:accept` (purchasing, admin): asking for, signing and turning down offers are the
purchasing department's commitments; no second factor, as the signer names themselves."""

from datetime import date
from decimal import Decimal

import strawberry

from auth.permissions import allows, requires
from auth.policy import Permission
from connectors.base import records as r
from resolvers import quote_actions as resolve
from resolvers.context import Context
from schema.common import UserError
from schema.orders import Order
from schema.payloads import external_id_of, user_errors
from schema.quotes import Quote

Info = strawberry.Info[Context, None]


@strawberry.input(description="A product and how many of it.")
class QuoteLineInput:
    product_code: str = strawberry.field(description="The article number, such as DR-08.")
    quantity: Decimal = strawberry.field(description="How many: positive, three decimals at most.")


@strawberry.input(
    description="Ask for a quote: products and quantities, a free-text request, or both."
)
class RequestQuoteInput:
    lines: list[QuoteLineInput] | None = strawberry.field(
        default=None, description="The products wanted (at most 100), priced by the provider."
    )
    note: str | None = strawberry.field(
        default=None, description="What is needed, in words (at most 2000 characters)."
    )
    desired_date: date | None = strawberry.field(
        default=None, description="When the delivery is wanted (today or later)."
    )


@strawberry.type(description="The requested quote, which the provider prepares and sends.")
class RequestQuotePayload:
    quote: Quote | None = strawberry.field(description="The quote (REQUESTED); null on errors.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused.")


@strawberry.input(description="Accept a sent quote, signing it with your name.")
class AcceptQuoteInput:
    quote_id: strawberry.ID = strawberry.field(description="The quote's global ID.")
    signer_name: str = strawberry.field(description="Who signs (at most 100 characters).")
    customer_reference: str | None = strawberry.field(
        default=None, description="Your purchase order number for the order (at most 35)."
    )


@strawberry.type(description="The accepted quote and the order it became.")
class AcceptQuotePayload:
    quote: Quote | None = strawberry.field(description="The quote (ACCEPTED); null on errors.")
    order: Order | None = strawberry.field(description="The new order; null on errors.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused.")


@strawberry.input(description="Turn down a sent quote.")
class DeclineQuoteInput:
    quote_id: strawberry.ID = strawberry.field(description="The quote's global ID.")
    reason: str = strawberry.field(description="Why (at most 1000 characters).")


@strawberry.type(description="The declined quote.")
class DeclineQuotePayload:
    quote: Quote | None = strawberry.field(description="The quote (DECLINED); null on errors.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused.")


@strawberry.type
class QuoteMutations:
    @strawberry.mutation(
        description="Ask the provider for a quote; it is REQUESTED until the provider sends it.",
        extensions=requires(Permission.QUOTES_ACCEPT),
    )
    async def request_quote(self, info: Info, input: RequestQuoteInput) -> RequestQuotePayload:
        lines = tuple(
            r.LineRequest(line.product_code.strip(), line.quantity) for line in input.lines or ()
        )
        outcome = await resolve.request(info.context, lines, input.note, input.desired_date)
        if isinstance(outcome, list):
            return RequestQuotePayload(quote=None, user_errors=user_errors(outcome))
        return RequestQuotePayload(quote=Quote.of(outcome, info), user_errors=[])

    @strawberry.mutation(
        description="Accept a sent quote that has not expired: the ERP records the signature "
        "and confirms the order.",
        extensions=requires(Permission.QUOTES_ACCEPT),
    )
    async def accept_quote(self, info: Info, input: AcceptQuoteInput) -> AcceptQuotePayload:
        outcome = await resolve.accept(
            info.context,
            external_id_of(input.quote_id, "Quote"),
            input.signer_name,
            input.customer_reference,
        )
        if isinstance(outcome, list):
            return AcceptQuotePayload(quote=None, order=None, user_errors=user_errors(outcome))
        quote, order = outcome
        shown = allows(info.context.principal, Permission.ORDERS_READ)
        return AcceptQuotePayload(
            quote=Quote.of(quote, info), order=Order.of(order, info) if shown else None,
            user_errors=[],
        )  # fmt: skip

    @strawberry.mutation(
        description="Decline a sent quote, saying why.",
        extensions=requires(Permission.QUOTES_ACCEPT),
    )
    async def decline_quote(self, info: Info, input: DeclineQuoteInput) -> DeclineQuotePayload:
        outcome = await resolve.decline(
            info.context, external_id_of(input.quote_id, "Quote"), input.reason
        )
        if isinstance(outcome, list):
            return DeclineQuotePayload(quote=None, user_errors=user_errors(outcome))
        return DeclineQuotePayload(quote=Quote.of(outcome, info), user_errors=[])
