"""Orders, their lines and deliveries (ERP)."""

from dataclasses import dataclass
from datetime import date

from connectors.base import records as r
from connectors.base.ports import ListFilter
from resolvers.access import owned
from resolvers.context import Context
from resolvers.listing import Sort, matches_text, page_of
from resolvers.loaders import ListKey
from resolvers.pagination import PageArgs, Slice

ORDER_SORT_KEYS = {
    "ORDERED_AT": lambda o: o.ordered_at,
    "UPDATED_AT": lambda o: o.updated_at,
    "NUMBER": lambda o: o.number,
    "TOTAL": lambda o: o.totals.total.value,
}


@dataclass(frozen=True)
class OrderFilter:
    statuses: frozenset[str] = frozenset()
    delivery_statuses: frozenset[str] = frozenset()
    search: str | None = None
    customer_reference: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def pushed_down(self) -> ListFilter:
        return ListFilter(self.search, self.date_from, self.date_to)

    def accepts(self, order: r.Order) -> bool:
        return (
            (not self.statuses or order.status in self.statuses)
            and (not self.delivery_statuses or order.delivery_status in self.delivery_statuses)
            and matches_text(self.customer_reference, order.customer_reference)
        )


async def all_orders(ctx: Context, query: ListFilter | None = None) -> list[r.Order]:
    orders: list[r.Order] = await ctx.loaders.orders.load(
        ListKey(ctx.tenant, query or ListFilter())
    )
    for order in orders:
        ctx.loaders.order.prime(order.id, order)
    return orders


async def orders(ctx: Context, where: OrderFilter, sort: Sort, page: PageArgs) -> Slice[r.Order]:
    found = await all_orders(ctx, where.pushed_down())
    return page_of(filter(where.accepts, found), sort, ORDER_SORT_KEYS, "orders", page)


async def order(ctx: Context, order_id: str) -> r.Order | None:
    return owned(ctx, await ctx.loaders.order.load(order_id))


async def lines(ctx: Context, order: r.Order) -> list[r.DocumentLine]:
    found: list[r.DocumentLine] = await ctx.loaders.order_lines.load(order.id)
    return found


async def deliveries(ctx: Context, order: r.Order) -> list[r.Delivery]:
    found: list[r.Delivery] = await ctx.loaders.deliveries.load(order.id)
    return found


async def delivery(ctx: Context, order_id: str, delivery_id: str) -> r.Delivery | None:
    parent = await order(ctx, order_id)
    if parent is None:
        return None
    return owned(ctx, next((d for d in await deliveries(ctx, parent) if d.id == delivery_id), None))
