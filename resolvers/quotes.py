"""Quotes (Offerten) and their lines (ERP). Drafts are never shown."""

from dataclasses import dataclass
from datetime import date

from connectors.base import records as r
from connectors.base.ports import ListFilter
from resolvers.access import owned
from resolvers.context import Context
from resolvers.derived import quote_status
from resolvers.listing import Sort, page_of
from resolvers.loaders import ListKey
from resolvers.pagination import PageArgs, Slice

QUOTE_SORT_KEYS = {
    "CREATED_AT": lambda q: q.created_at,
    "UPDATED_AT": lambda q: q.updated_at,
    "VALID_UNTIL": lambda q: q.valid_until,
    "NUMBER": lambda q: q.number,
    "TOTAL": lambda q: q.totals.total.value,
}


def visible(quote: r.Quote | None) -> r.Quote | None:
    return quote if quote is not None and quote.status != "DRAFT" else None


@dataclass(frozen=True)
class QuoteFilter:
    statuses: frozenset[str] = frozenset()
    search: str | None = None
    date_from: date | None = None
    date_to: date | None = None


async def all_quotes(ctx: Context, query: ListFilter | None = None) -> list[r.Quote]:
    found: list[r.Quote] = await ctx.loaders.quotes.load(ListKey(ctx.tenant, query or ListFilter()))
    return [quote for quote in found if visible(quote)]


async def quotes(ctx: Context, where: QuoteFilter, sort: Sort, page: PageArgs) -> Slice[r.Quote]:
    found = await all_quotes(ctx, ListFilter(where.search, where.date_from, where.date_to))
    matching = (
        q for q in found if not where.statuses or quote_status(q, ctx.today) in where.statuses
    )
    return page_of(matching, sort, QUOTE_SORT_KEYS, "quotes", page)


async def quote(ctx: Context, quote_id: str) -> r.Quote | None:
    return visible(owned(ctx, await ctx.loaders.quote.load(quote_id)))


async def lines(ctx: Context, quote: r.Quote) -> list[r.DocumentLine]:
    found: list[r.DocumentLine] = await ctx.loaders.quote_lines.load(quote.id)
    return found
