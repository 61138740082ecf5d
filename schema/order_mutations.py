"""Orders: `reorder` and `requestOrderCancellation` (ERP, and the CRM when a cancellation
needs a person). Both need `orders:write` (purchasing, admin), without a second factor: a
reorder at changed prices only becomes an order once its quote is accepted, and a
cancellation is a request the ERP or the provider's staff decide."""

import strawberry

from auth.permissions import allows, requires
from auth.policy import Permission
from connectors.base import records as r
from resolvers import order_actions as resolve
from resolvers.context import Context
from schema.common import UserError
from schema.enums import OrderCancellationOutcome
from schema.orders import Order
from schema.payloads import external_id_of, user_errors
from schema.quotes import Quote
from schema.tickets import Ticket

Info = strawberry.Info[Context, None]


@strawberry.input(description="Order the lines of an earlier order again.")
class ReorderInput:
    order_id: strawberry.ID = strawberry.field(description="The earlier order's global ID.")
    customer_reference: str | None = strawberry.field(
        default=None, description="Your purchase order number for the new order (at most 35)."
    )


@strawberry.type(
    description="What the ERP made of the reorder: a new order when no price has changed, "
    "else a quote at today's prices to accept."
)
class ReorderPayload:
    order: Order | None = strawberry.field(description="The new order, if the ERP placed one.")
    quote: Quote | None = strawberry.field(description="The new quote, if prices changed.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused.")


@strawberry.input(description="Ask for an order to be cancelled.")
class RequestOrderCancellationInput:
    order_id: strawberry.ID = strawberry.field(description="The order's global ID.")
    reason: str = strawberry.field(description="Why (at most 1000 characters).")


@strawberry.type(
    description="The order, cancelled; or, when the ERP cannot cancel it any more (shipped, "
    "invoiced), the ticket in which the provider takes the request up."
)
class RequestOrderCancellationPayload:
    order: Order | None = strawberry.field(description="The order; null on errors.")
    outcome: OrderCancellationOutcome | None = strawberry.field(
        description="CANCELLED, or TICKET_OPENED; null on errors."
    )
    ticket: Ticket | None = strawberry.field(description="The ticket, when one was opened.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused.")


@strawberry.type
class OrderMutations:
    @strawberry.mutation(
        description="Order an earlier order's lines again, as the ERP's rules allow.",
        extensions=requires(Permission.ORDERS_WRITE),
    )
    async def reorder(self, info: Info, input: ReorderInput) -> ReorderPayload:
        outcome = await resolve.reorder(
            info.context, external_id_of(input.order_id, "Order"), input.customer_reference
        )
        if isinstance(outcome, list):
            return ReorderPayload(order=None, quote=None, user_errors=user_errors(outcome))
        if isinstance(outcome, r.Order):
            return ReorderPayload(order=Order.of(outcome, info), quote=None, user_errors=[])
        shown = allows(info.context.principal, Permission.QUOTES_READ)
        quote = Quote.of(outcome, info) if shown else None
        return ReorderPayload(order=None, quote=quote, user_errors=[])

    @strawberry.mutation(
        description="Cancel an order that has not shipped; otherwise open a ticket for it.",
        extensions=requires(Permission.ORDERS_WRITE),
    )
    async def request_order_cancellation(
        self, info: Info, input: RequestOrderCancellationInput
    ) -> RequestOrderCancellationPayload:
        outcome = await resolve.request_cancellation(
            info.context, external_id_of(input.order_id, "Order"), input.reason
        )
        if isinstance(outcome, list):
            return RequestOrderCancellationPayload(
                order=None, outcome=None, ticket=None, user_errors=user_errors(outcome)
            )
        shown = outcome.ticket is not None and allows(
            info.context.principal, Permission.TICKETS_READ
        )
        return RequestOrderCancellationPayload(
            order=Order.of(outcome.order, info),
            outcome=OrderCancellationOutcome(outcome.outcome),
            ticket=Ticket.of(outcome.ticket, info) if shown and outcome.ticket else None,
            user_errors=[],
        )
