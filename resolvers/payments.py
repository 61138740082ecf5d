"""Payments and refunds (payment provider)."""

from connectors.base import records as r
from resolvers.access import owned
from resolvers.context import Context


async def payment(ctx: Context, payment_id: str) -> r.Payment | None:
    return owned(ctx, await ctx.loaders.payment.load(payment_id))


async def refunds(ctx: Context, payment: r.Payment) -> list[r.Refund]:
    found: list[r.Refund] = await ctx.loaders.refunds.load(payment.id)
    return found
