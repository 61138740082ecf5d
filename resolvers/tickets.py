"""Tickets and their SLA clocks (CRM); their messages are in `resolvers.threads`."""

from dataclasses import dataclass
from datetime import date

from connectors.base import records as r
from connectors.base.ports import ListFilter
from resolvers.access import owned
from resolvers.context import Context
from resolvers.listing import Sort, page_of
from resolvers.loaders import ListKey
from resolvers.pagination import PageArgs, Slice

TICKET_SORT_KEYS = {
    "CREATED_AT": lambda t: t.created_at,
    "UPDATED_AT": lambda t: t.updated_at,
    "PRIORITY": lambda t: ("LOW", "NORMAL", "HIGH", "URGENT").index(t.priority),
    "NUMBER": lambda t: t.number,
}
OPEN_TICKET_STATES = frozenset({"NEW", "IN_PROGRESS", "WAITING_ON_CUSTOMER"})


@dataclass(frozen=True)
class TicketFilter:
    statuses: frozenset[str] = frozenset()
    priorities: frozenset[str] = frozenset()
    search: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def accepts(self, ticket: r.Ticket) -> bool:
        return (not self.statuses or ticket.status in self.statuses) and (
            not self.priorities or ticket.priority in self.priorities
        )


async def all_tickets(ctx: Context, query: ListFilter | None = None) -> list[r.Ticket]:
    found: list[r.Ticket] = await ctx.loaders.tickets.load(
        ListKey(ctx.tenant, query or ListFilter())
    )
    for ticket in found:
        ctx.loaders.ticket.prime(ticket.id, ticket)
    return found


async def tickets(ctx: Context, where: TicketFilter, sort: Sort, page: PageArgs) -> Slice[r.Ticket]:
    found = await all_tickets(ctx, ListFilter(where.search, where.date_from, where.date_to))
    return page_of(filter(where.accepts, found), sort, TICKET_SORT_KEYS, "tickets", page)


async def ticket(ctx: Context, ticket_id: str) -> r.Ticket | None:
    return owned(ctx, await ctx.loaders.ticket.load(ticket_id))
