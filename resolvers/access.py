"""Tenant scoping after the cache: a record of another organization, a hidden draft and an
unknown ID all come out as `None`, so callers cannot tell them apart."""

from typing import Protocol, TypeVar

from resolvers.context import Context


class Owned(Protocol):
    @property
    def customer(self) -> str: ...


R = TypeVar("R", bound=Owned)


def owned(ctx: Context, record: R | None) -> R | None:
    return record if record is not None and record.customer == ctx.tenant else None


def owned_all(ctx: Context, records: list[R]) -> list[R]:
    tenant = ctx.tenant
    return [record for record in records if record.customer == tenant]
