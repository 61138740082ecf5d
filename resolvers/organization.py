"""The viewer's organization: master data from the ERP, contact persons from the CRM."""

from connectors.base import records as r
from resolvers.context import Context


async def organization(ctx: Context) -> r.Customer | None:
    customer: r.Customer | None = await ctx.loaders.customer.load(ctx.tenant)
    return customer


async def member_organization(ctx: Context, number: str) -> r.Customer | None:
    """One of the viewer's own organizations (any of the token's, not only the active one)."""
    if ctx.principal is None or number not in ctx.principal.tenants:
        return None
    customer: r.Customer | None = await ctx.loaders.customer.load(number)
    return customer


async def addresses(ctx: Context, customer: r.Customer) -> list[r.Address]:
    found: list[r.Address] = await ctx.loaders.addresses.load(customer.number)
    return found


async def contacts(ctx: Context, customer: r.Customer) -> list[r.Contact]:
    found: list[r.Contact] = await ctx.loaders.contacts.load(customer.number)
    return found
