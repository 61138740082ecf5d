"""The organization's contact persons in the CRM: create, change, delete. The CRM checks every
write (required names, e-mail and phone formats, one e-mail address per person); its refusals
come back as problems. Another organization's contact is NOT_FOUND, like an unknown one."""

from collections.abc import Awaitable
from typing import TypeVar

from connectors.base import records as r
from resolvers.access import owned_in
from resolvers.context import Context
from resolvers.writes import Problem, write_through

T = TypeVar("T")
NO_CONTACT = Problem(("input", "contactId"), "NOT_FOUND", "No contact person with this ID exists.")


async def create(ctx: Context, fields: r.ContactFields) -> r.Contact | list[Problem]:
    return await _write(ctx, ctx.writes.upstreams.contacts.create_contact(ctx.tenant, fields))


async def update(
    ctx: Context, contact_id: str | None, fields: r.ContactFields
) -> r.Contact | list[Problem]:
    contact = await owned_in(ctx, ctx.loaders.contacts, contact_id)
    if contact is None:
        return [NO_CONTACT]
    return await _write(ctx, ctx.writes.upstreams.contacts.update_contact(contact.id, fields))


async def delete(ctx: Context, contact_id: str | None) -> str | list[Problem]:
    """The deleted contact's ID."""
    contact = await owned_in(ctx, ctx.loaders.contacts, contact_id)
    if contact is None:
        return [NO_CONTACT]
    outcome = await _write(ctx, ctx.writes.upstreams.contacts.delete_contact(contact.id))
    return outcome if isinstance(outcome, list) else contact.id


async def _write(ctx: Context, write: Awaitable[T]) -> T | list[Problem]:
    return await write_through(ctx.writes, ctx.loaders, write, {"contacts": [ctx.tenant]})
