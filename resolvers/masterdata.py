"""The organization's master data in the ERP: its profile (legal name, UID, language), how it
receives invoices, and its addresses.

The ERP checks every write (required fields, postal codes per country, the UID's format,
the last and the default address, ...); its refusals come back as problems. A change of the
legal name, the UID or a billing address awaits the provider's approval: the record answered
is PENDING_APPROVAL and still shows the values in effect. Another organization's address is
NOT_FOUND, exactly like an unknown one.
"""

from collections.abc import Awaitable
from typing import TypeVar

from connectors.base import records as r
from resolvers.access import owned_in
from resolvers.context import Context
from resolvers.writes import Problem, write_through

T = TypeVar("T")

NO_ADDRESS = Problem(("input", "addressId"), "NOT_FOUND", "No address with this ID exists.")


async def update_profile(ctx: Context, change: r.ProfileChange) -> r.Customer | list[Problem]:
    port = ctx.writes.upstreams.organizations
    return await _customer_write(ctx, port.update_customer(ctx.tenant, change))


async def set_invoice_channel(
    ctx: Context, channel: str, ebill_recipient_id: str | None
) -> r.Customer | list[Problem]:
    port = ctx.writes.upstreams.organizations
    return await _customer_write(
        ctx, port.set_invoice_channel(ctx.tenant, channel, ebill_recipient_id)
    )


async def create_address(
    ctx: Context, address_type: str, fields: r.AddressFields
) -> r.Address | list[Problem]:
    port = ctx.writes.upstreams.organizations
    return await _address_write(ctx, port.create_address(ctx.tenant, address_type, fields))


async def update_address(
    ctx: Context, address_id: str | None, fields: r.AddressFields
) -> r.Address | list[Problem]:
    address = await owned_in(ctx, ctx.loaders.addresses, address_id)
    if address is None:
        return [NO_ADDRESS]
    port = ctx.writes.upstreams.organizations
    return await _address_write(ctx, port.update_address(ctx.tenant, address.id, fields))


async def delete_address(ctx: Context, address_id: str | None) -> str | list[Problem]:
    """The deleted address's ID."""
    address = await owned_in(ctx, ctx.loaders.addresses, address_id)
    if address is None:
        return [NO_ADDRESS]
    port = ctx.writes.upstreams.organizations
    outcome = await _address_write(ctx, port.delete_address(ctx.tenant, address.id))
    return outcome if isinstance(outcome, list) else address.id


async def set_default_address(ctx: Context, address_id: str | None) -> r.Address | list[Problem]:
    address = await owned_in(ctx, ctx.loaders.addresses, address_id)
    if address is None:
        return [NO_ADDRESS]
    port = ctx.writes.upstreams.organizations
    return await _address_write(ctx, port.set_default_address(ctx.tenant, address.id))


async def _customer_write(ctx: Context, write: Awaitable[T]) -> T | list[Problem]:
    return await write_through(ctx.writes, ctx.loaders, write, {"customer": [ctx.tenant]})


async def _address_write(ctx: Context, write: Awaitable[T]) -> T | list[Problem]:
    return await write_through(ctx.writes, ctx.loaders, write, {"addresses": [ctx.tenant]})
