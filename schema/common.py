"""Types every domain shares: Node and global IDs, Money, Relay connections, provenance."""

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Generic, NewType, TypeVar

import strawberry
from strawberry.types.scalar import ScalarDefinition

from auth.permissions import requires
from auth.policy import Permission
from connectors.base.records import Amount, SourceStatus
from resolvers.context import Context
from resolvers.errors import NotFound
from resolvers.pagination import Slice

CurrencyCode = NewType("CurrencyCode", str)
SCALARS: dict[object, ScalarDefinition] = {
    CurrencyCode: strawberry.scalar(
        name="CurrencyCode",
        description="An ISO 4217 currency code, such as `CHF` or `EUR`.",
        serialize=str,
        parse_value=str,
    )
}
"""Custom scalars, given to the schema's config. Decimal is strawberry's own (a string)."""


@dataclass(frozen=True)
class GlobalId:
    """The parts behind an opaque ID: `<Type>:<system>:<externalId>`, base64url encoded."""

    type_name: str
    system: str
    external_id: str

    def encode(self) -> str:
        return encoded_id(self.type_name, self.system, self.external_id)

    @classmethod
    def decode(cls, value: str) -> "GlobalId | None":
        """The parts of an ID, or None for anything that is not one of ours."""
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        parts = raw.split(":", 2)
        if len(parts) != 3 or not all(parts):
            return None
        return cls(*parts)


def encoded_id(type_name: str, system: str, external_id: str) -> str:
    raw = f"{type_name}:{system}:{external_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def global_id(type_name: str, system: str, external_id: str) -> strawberry.ID:
    """`GlobalId(...).encode()`, without the frozen dataclass (every object of every answer
    has one)."""
    return strawberry.ID(encoded_id(type_name, system, external_id))


def external_id(node_id: strawberry.ID, type_name: str) -> str:
    """The upstream ID behind a global ID of the expected type, else NOT_FOUND."""
    parts = GlobalId.decode(node_id)
    if parts is None or parts.type_name != type_name:
        raise NotFound(type_name.lower())
    return parts.external_id


@strawberry.interface(description="An object with a globally unique, opaque ID.")
class Node:
    id: strawberry.ID = strawberry.field(
        description="The opaque global ID; pass it to `node(id:)`. Clients never parse it."
    )


@strawberry.interface(
    description="A structured postal address, field for field as a Swiss QR-bill carries it."
)
class StructuredAddress:
    name: str = strawberry.field(description="Name on the address.")
    street: str = strawberry.field(description="Street.")
    house_number: str = strawberry.field(description="House number.")
    postal_code: str = strawberry.field(description="Postal code.")
    city: str = strawberry.field(description="Town.")
    country_code: str = strawberry.field(description="ISO 3166-1 alpha-2 country.")


@strawberry.type(description="An amount of money in one currency.")
class Money:
    amount: Decimal = strawberry.field(description="The amount, as an exact decimal string.")
    currency_code: CurrencyCode = strawberry.field(description="The ISO 4217 currency.")

    @classmethod
    def of(cls, amount: Amount) -> "Money":
        return cls(amount=amount.value, currency_code=CurrencyCode(amount.currency))


def priced(description: str) -> Any:
    """A Money field only viewers with `prices:read` see (null with FORBIDDEN otherwise)."""
    return strawberry.field(description=description, extensions=requires(Permission.PRICES_READ))


def money(amount: Amount | None) -> Money | None:
    return Money.of(amount) if amount is not None else None


@strawberry.type(description="Where a record comes from: its system of record and its ID there.")
class Source:
    system: str = strawberry.field(description="The upstream system: erp, crm, dms, payments.")
    external_id: str = strawberry.field(description="The record's ID in that system.")

    @classmethod
    def of(cls, node_id: str) -> "Source":
        """The provenance a global ID carries (IDs are minted by the gateway, so they parse)."""
        parts = GlobalId.decode(node_id)
        if parts is None:
            raise ValueError(f"not a global ID: {node_id!r}")
        return cls(system=parts.system, external_id=parts.external_id)


@strawberry.type(description="The raw state of the record in its upstream system.")
class SourceStatusInfo:
    code: str = strawberry.field(description="The upstream's own status code.")
    label: str = strawberry.field(description="The upstream's label for it.")

    @classmethod
    def of(cls, status: SourceStatus) -> "SourceStatusInfo":
        return cls(code=status.code, label=status.label)


@strawberry.type(description="How fresh the data is: when it was read upstream.")
class SyncInfo:
    as_of: datetime = strawberry.field(description="When the data was read from upstream.")
    stale: bool = strawberry.field(
        description="True when a cached copy past its TTL is served because its system failed."
    )


@strawberry.interface(
    description="An object read from a system of record; `sync` says how fresh it is."
)
class Synced:
    record: strawberry.Private[object]

    @strawberry.field(description='When it was read upstream and whether it is stale ("as of").')
    def sync(self, info: strawberry.Info[Context, None]) -> SyncInfo:
        found = info.context.loaders.freshness.of(self.record)
        if found is None:
            return SyncInfo(as_of=info.context.now, stale=False)
        return SyncInfo(as_of=found.as_of, stale=found.stale)


@strawberry.type(description="Pagination state of a connection (Relay).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow the last edge.")
    has_previous_page: bool = strawberry.field(description="Items precede the first edge.")
    start_cursor: str | None = strawberry.field(description="The cursor of the first edge.")
    end_cursor: str | None = strawberry.field(description="The cursor of the last edge.")


NodeT = TypeVar("NodeT")


@strawberry.type(description="An item of a connection with its cursor.")
class Edge(Generic[NodeT]):
    cursor: str = strawberry.field(description="Opaque; pass it as `after` or `before`.")
    node: NodeT = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list (Relay connection).")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page lies in the list.")
    total_count: int = strawberry.field(
        description="How many items match the filter, across all pages."
    )


@strawberry.enum(description="Sort direction.")
class SortDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.input(description="A date range; both ends inclusive, either may be open.")
class DateRange:
    start: date | None = strawberry.field(default=None, description="The first day.")
    end: date | None = strawberry.field(default=None, description="The last day.")


R = TypeVar("R")


def connection(page: Slice[R], wrap: Callable[[R], NodeT]) -> Connection[NodeT]:
    edges = [Edge(cursor=cursor, node=wrap(item)) for cursor, item in page.edges]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=page.total_count,
    )


@strawberry.type(description="Why a mutation refused its input (validation or a business rule).")
class UserError:
    field: list[str] | None = strawberry.field(
        description="The path of the offending input field, such as ['input', 'amount']."
    )
    code: str = strawberry.field(description="A stable code, such as AMOUNT_ABOVE_RESIDUAL.")
    message: str = strawberry.field(description="What is wrong, for the user.")


@strawberry.input(description="An amount of money in one currency.")
class MoneyInput:
    amount: Decimal = strawberry.field(description="The amount, as an exact decimal string.")
    currency_code: CurrencyCode = strawberry.field(description="The ISO 4217 currency.")
