"""Payments and refunds (payment provider)."""

from connectors.base import records as r
from resolvers.access import load_owned
from resolvers.context import Context


async def payment(ctx: Context, payment_id: str) -> r.Payment | None:
    return await load_owned(ctx, ctx.loaders.payment, payment_id)


async def refunds(ctx: Context, payment: r.Payment) -> list[r.Refund]:
    found: list[r.Refund] = await ctx.loaders.refunds.load(payment.id)
    return found
