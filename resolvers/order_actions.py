"""Reordering and cancelling orders in the ERP.

A reorder is what the ERP makes of the old order's lines: a new order at unchanged prices, or
a quote at today's. A cancellation is a request: the ERP cancels an order that has not
shipped; when it refuses because the order has shipped, been invoiced or closed, the gateway
opens a ticket linked to the order in the CRM (or answers the one still open from an earlier
request), so that the request is not lost.
"""

from dataclasses import dataclass

from connectors.base import records as r
from connectors.base.errors import UpstreamError
from resolvers import orders, tickets
from resolvers.context import Context
from resolvers.errors import client_failure
from resolvers.labels import language_of
from resolvers.sales_rules import INPUT, problem, requester, restated, text_problems
from resolvers.writes import Problem, write_through

ORDER_ID = (*INPUT, "orderId")
TICKET_CODES = frozenset({"ORDER_SHIPPED", "ORDER_INVOICED", "ORDER_LOCKED"})
"""The ERP's refusals that leave the cancellation to a person."""
TICKET_CATEGORY = "order"
SUBJECTS = {
    "de": "Stornierungsanfrage für Auftrag {number}",
    "fr": "Demande d'annulation de la commande {number}",
    "it": "Richiesta di annullamento dell'ordine {number}",
    "en": "Cancellation request for order {number}",
}


@dataclass(frozen=True)
class Cancellation:
    order: r.Order
    outcome: str  # CANCELLED | TICKET_OPENED
    ticket: r.Ticket | None


async def reorder(
    ctx: Context, order_id: str | None, reference: str | None
) -> r.Order | r.Quote | list[Problem]:
    found = await orders.order(ctx, order_id) if order_id is not None else None
    problems = [
        *([] if found else [problem(ORDER_ID, "NOT_FOUND")]),
        *text_problems(reference, "customerReference"),
    ]
    if problems or found is None:
        return problems
    write = ctx.writes.upstreams.orders.reorder(
        ctx.tenant, found.id, reference.strip() if reference else None
    )
    lists = {"orders": ctx.tenant, "quotes": ctx.tenant}  # it answers either
    return await write_through(ctx.writes, ctx.loaders, write, {}, lists, restate=restated)


async def request_cancellation(
    ctx: Context, order_id: str | None, reason: str
) -> Cancellation | list[Problem]:
    found = await orders.order(ctx, order_id) if order_id is not None else None
    problems = text_problems(reason, "reason", required=True)
    if found is None:
        problems.insert(0, problem(ORDER_ID, "NOT_FOUND"))
    elif found.status == "CANCELLED":
        problems.insert(0, problem(ORDER_ID, "ORDER_ALREADY_CANCELLED"))
    if problems or found is None:
        return problems
    write = ctx.writes.upstreams.orders.cancel_order(ctx.tenant, found.id, reason.strip())
    stale = {"order": [found.id], "deliveries": [found.id]}
    outcome = await write_through(
        ctx.writes, ctx.loaders, write, stale, {"orders": ctx.tenant}, restate=restated
    )
    if not isinstance(outcome, list):
        return Cancellation(outcome, "CANCELLED", None)
    codes = [refused.code for refused in outcome]
    if not set(codes) <= TICKET_CODES:
        return outcome
    ticket = await _cancellation_ticket(ctx, found, reason.strip(), codes)
    return Cancellation(found, "TICKET_OPENED", ticket)


async def _cancellation_ticket(
    ctx: Context, order: r.Order, reason: str, codes: list[str]
) -> r.Ticket:
    """The open cancellation ticket of this order, else a new one."""
    about = r.CaseRef("ORDER", order.id)
    for ticket in await tickets.all_tickets(ctx):
        if (
            ticket.related_case == about
            and ticket.category == TICKET_CATEGORY
            and ticket.status in tickets.OPEN_TICKET_STATES
        ):
            return ticket
    new = r.NewTicket(
        customer=ctx.tenant,
        subject=SUBJECTS[language_of(ctx.locale)].format(number=order.number),
        description=f"{reason}\n\nERP: {', '.join(codes)}",
        category=TICKET_CATEGORY,
        priority="NORMAL",
        created_by=requester(ctx),
        related_case=about,
    )
    try:
        ticket = await ctx.writes.upstreams.tickets.create_ticket(new)
    except UpstreamError as error:
        raise client_failure(error) from error
    await ctx.writes.invalidate({"ticket": [ticket.id]}, {"tickets": ctx.tenant})
    return ticket
