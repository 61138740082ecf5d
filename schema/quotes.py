"""Quotes (Offerten) from the ERP."""

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from auth.permissions import requires, type_requires
from auth.policy import Permission
from connectors.base import records as r
from resolvers import quotes as resolve
from resolvers.context import Context
from resolvers.derived import quote_status
from schema.cases import Case, label
from schema.common import Money, SourceStatusInfo, Synced, global_id, priced
from schema.enums import CaseType, QuoteStatus
from schema.orders import LineItem

if TYPE_CHECKING:
    from schema.orders import Order

Info = strawberry.Info[Context, None]


@strawberry.type(
    description="A quote (Offerte) sent to the customer.",
    directives=[type_requires(Permission.QUOTES_READ)],
)
class Quote(Case, Synced):
    status: QuoteStatus = strawberry.field(
        description="The state; EXPIRED when still open after validUntil."
    )
    source_status: SourceStatusInfo = strawberry.field(description="The ERP's raw state.")
    created_at: datetime = strawberry.field(description="When the quote was created.")
    valid_until: date = strawberry.field(description="The last day the quote can be accepted.")
    amount_untaxed: Money | None = priced("Total excluding tax.")
    amount_tax: Money | None = priced("Tax.")
    total: Money | None = priced("Total including tax.")
    signed_by: str | None = strawberry.field(description="Who accepted it.")
    signed_at: datetime | None = strawberry.field(description="When it was accepted.")
    decline_reason: str | None = strawberry.field(description="Why the customer declined it.")
    requested_by: str | None = strawberry.field(
        description="Who asked for it in the portal (a requested quote)."
    )
    request_note: str | None = strawberry.field(description="What the customer asked for.")
    requested_delivery_date: date | None = strawberry.field(
        description="The delivery date the customer asked for."
    )
    record: strawberry.Private[r.Quote]

    @classmethod
    def of(cls, quote: r.Quote, info: Info) -> "Quote":
        status = quote_status(quote, info.context.today)
        return cls(
            id=global_id("Quote", "erp", quote.id),
            number=quote.number,
            title=quote.number,
            case_type=CaseType.QUOTE,
            status_label=label(info, status),
            updated_at=quote.updated_at,
            case_ref=r.CaseRef("QUOTE", quote.id),
            status=QuoteStatus(status),
            source_status=SourceStatusInfo.of(quote.source_status),
            created_at=quote.created_at,
            valid_until=quote.valid_until,
            amount_untaxed=Money.of(quote.totals.untaxed),
            amount_tax=Money.of(quote.totals.tax),
            total=Money.of(quote.totals.total),
            signed_by=quote.signed_by,
            signed_at=quote.signed_at,
            decline_reason=quote.decline_reason,
            requested_by=quote.requested_by,
            request_note=quote.request_note,
            requested_delivery_date=quote.requested_date,
            record=quote,
        )

    @strawberry.field(description="The quoted lines.")
    async def lines(self, info: Info) -> list[LineItem] | None:
        return [LineItem.of(line) for line in await resolve.lines(info.context, self.record)]

    @strawberry.field(
        description="The order created when the quote was accepted.",
        extensions=requires(Permission.ORDERS_READ),
    )
    async def order(
        self, info: Info
    ) -> Annotated["Order", strawberry.lazy("schema.orders")] | None:
        from schema.orders import order_by_id

        return await order_by_id(info, self.record.order_id)
