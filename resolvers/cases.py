"""The case overview ("Vorgänge"): quotes, orders, invoices, tickets and bookings in one
list, newest update first, filtered by type, status, text and date."""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from connectors.base import records as r
from connectors.base.instants import comparable
from resolvers import bookings, invoices, orders, quotes, tickets
from resolvers.context import Context
from resolvers.derived import is_overdue, quote_status
from resolvers.listing import matches_text
from resolvers.pagination import PageArgs, Slice, paginate

CaseRecord = r.Quote | r.Order | r.Invoice | r.Ticket | r.Booking
CASE_TYPES = ("QUOTE", "ORDER", "INVOICE", "TICKET", "BOOKING")


def case_type(case: CaseRecord) -> str:
    if isinstance(case, r.Quote):
        return "QUOTE"
    if isinstance(case, r.Order):
        return "ORDER"
    if isinstance(case, r.Invoice):
        return "INVOICE"
    if isinstance(case, r.Booking):
        return "BOOKING"
    return "TICKET"


def case_status(case: CaseRecord, ctx: Context) -> str:
    return quote_status(case, ctx.today) if isinstance(case, r.Quote) else case.status


def case_title(case: CaseRecord) -> str:
    if isinstance(case, r.Ticket):
        return case.subject
    if isinstance(case, r.Booking):
        return f"{case.offering_name} ({case.start.date().isoformat()})"
    if isinstance(case, r.Order) and case.customer_reference:
        return f"{case.number} ({case.customer_reference})"
    return case.number


@dataclass(frozen=True)
class CaseFilter:
    types: frozenset[str] = frozenset()
    statuses: frozenset[str] = frozenset()
    search: str | None = None
    updated_since: datetime | None = None
    overdue: bool | None = None
    readable: frozenset[str] = frozenset(CASE_TYPES)
    """The case types the viewer may read; others are neither fetched nor counted."""

    def limited_to(self, readable: frozenset[str]) -> "CaseFilter":
        return replace(self, readable=readable)

    def accepts(self, case: CaseRecord, ctx: Context) -> bool:
        return (
            (not self.statuses or case_status(case, ctx) in self.statuses)
            and (self.updated_since is None or case.updated_at >= self.updated_since)
            and (
                self.overdue is None
                or (isinstance(case, r.Invoice) and is_overdue(case, ctx.today)) == self.overdue
            )
            and matches_text(self.search, case.number, case_title(case))
        )


async def cases(ctx: Context, where: CaseFilter, page: PageArgs) -> Slice[CaseRecord]:
    wanted = (where.types or frozenset(CASE_TYPES)) & where.readable
    sources: dict[str, Callable[[Context], Awaitable[Sequence[CaseRecord]]]] = {
        "QUOTE": quotes.all_quotes,
        "ORDER": orders.all_orders,
        "INVOICE": invoices.all_invoices,
        "TICKET": tickets.all_tickets,
        "BOOKING": bookings.all_bookings,
    }
    lists = await asyncio.gather(*(sources[kind](ctx) for kind in CASE_TYPES if kind in wanted))
    found: list[CaseRecord] = [case for records in lists for case in records]
    matching = sorted(
        (case for case in found if where.accepts(case, ctx)),
        key=lambda case: (comparable(case.updated_at), case_type(case), case.id),
        reverse=True,
    )
    return paginate(matching, lambda case: f"{case_type(case)}:{case.id}", "cases", page)


CASE_GETTERS: dict[str, Callable[[Context, str], Awaitable[CaseRecord | None]]] = {
    "QUOTE": quotes.quote,
    "ORDER": orders.order,
    "INVOICE": invoices.invoice,
    "TICKET": tickets.ticket,
    "BOOKING": bookings.booking,
}


async def case(ctx: Context, ref: r.CaseRef, readable: frozenset[str]) -> CaseRecord | None:
    """The viewer's case `ref`, if its type is one of the `readable` ones; else None, like an
    unknown or another organization's case."""
    get = CASE_GETTERS.get(ref.type)
    if get is None or ref.type not in readable:
        return None
    return await get(ctx, ref.id)
