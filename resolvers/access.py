"""Tenant scoping after the cache: a record of another organization, a hidden draft and an
unknown ID all come out as `None`, so callers cannot tell them apart. Documents of an
audience the viewer may not read are treated the same way (`auth.policy`)."""

from typing import Protocol, TypeVar

from aiodataloader import DataLoader

from auth.policy import may_read_document
from connectors.base import records as r
from resolvers.context import Context


class Owned(Protocol):
    @property
    def customer(self) -> str: ...


class Listed(Owned, Protocol):
    @property
    def id(self) -> str: ...


R = TypeVar("R", bound=Owned)
L = TypeVar("L", bound=Listed)


def owned(ctx: Context, record: R | None) -> R | None:
    return record if record is not None and record.customer == ctx.tenant else None


def owned_all(ctx: Context, records: list[R]) -> list[R]:
    tenant = ctx.tenant
    return [record for record in records if record.customer == tenant]


async def owned_in(
    ctx: Context, lists: "DataLoader[str, list[L]]", record_id: str | None
) -> L | None:
    """The organization's record of this ID in one of its lists (its addresses, its
    contacts); None for an unknown ID, another organization's, or none at all."""
    if record_id is None:
        return None
    found = owned_all(ctx, await lists.load(ctx.tenant))
    return next((record for record in found if record.id == record_id), None)


def readable(ctx: Context, document: r.Document | None) -> r.Document | None:
    """The viewer's document if its audience is one the viewer may read."""
    found = owned(ctx, document)
    principal = ctx.principal
    if found is None or principal is None or not may_read_document(principal, found.audience):
        return None
    return found


def readable_all(ctx: Context, documents: list[r.Document]) -> list[r.Document]:
    return [document for document in documents if readable(ctx, document) is not None]
