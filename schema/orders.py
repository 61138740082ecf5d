"""Orders, order lines and deliveries (ERP)."""

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from auth.permissions import requires, type_requires
from auth.policy import Permission
from connectors.base import records as r
from resolvers import invoices as resolve_invoices
from resolvers import orders as resolve
from resolvers import quotes as resolve_quotes
from resolvers.context import Context
from schema.cases import Case, label
from schema.common import Money, Node, SourceStatusInfo, Synced, global_id, priced
from schema.enums import (
    CaseType,
    DeliveryStatus,
    OrderDeliveryStatus,
    OrderInvoiceStatus,
    OrderStatus,
)

if TYPE_CHECKING:
    from schema.invoices import Invoice
    from schema.quotes import Quote

Info = strawberry.Info[Context, None]


@strawberry.type(description="A line of a quote or an order.")
class LineItem:
    position: int = strawberry.field(description="The line's position number.")
    product_code: str = strawberry.field(description="The product's article number.")
    description: str = strawberry.field(description="What is ordered.")
    quantity: Decimal = strawberry.field(description="Ordered quantity.")
    delivered_quantity: Decimal = strawberry.field(description="Delivered so far.")
    invoiced_quantity: Decimal = strawberry.field(description="Invoiced so far.")
    unit_price: Money | None = priced("Price per unit, excluding tax.")
    total: Money | None = priced("Quantity × unit price, excluding tax.")

    @classmethod
    def of(cls, line: r.DocumentLine) -> "LineItem":
        return cls(
            position=line.position,
            product_code=line.product_code,
            description=line.description,
            quantity=line.quantity,
            delivered_quantity=line.delivered_quantity,
            invoiced_quantity=line.invoiced_quantity,
            unit_price=Money.of(line.unit_price),
            total=Money.of(line.total),
        )


@strawberry.type(description="Quantities of one order line in a delivery.")
class DeliveryLine:
    position: int = strawberry.field(description="The order line's position.")
    quantity: Decimal = strawberry.field(description="Quantity in this delivery.")


@strawberry.type(
    description="A delivery (Lieferschein) of an order, with tracking.",
    directives=[type_requires(Permission.ORDERS_READ)],
)
class Delivery(Node):
    number: str = strawberry.field(description="The delivery note number.")
    status: DeliveryStatus = strawberry.field(description="Where the delivery stands.")
    status_label: str = strawberry.field(description="The status in the viewer's language.")
    source_status: SourceStatusInfo = strawberry.field(description="The ERP's raw state.")
    scheduled_date: date | None = strawberry.field(description="When it is planned to ship.")
    shipped_at: datetime | None = strawberry.field(description="When it left the warehouse.")
    delivered_at: datetime | None = strawberry.field(description="When it arrived.")
    carrier: str | None = strawberry.field(description="The carrier, e.g. Swiss Post.")
    tracking_number: str | None = strawberry.field(description="The carrier's tracking number.")
    lines: list[DeliveryLine] = strawberry.field(description="What this delivery contains.")

    @classmethod
    def of(cls, delivery: r.Delivery, info: Info) -> "Delivery":
        return cls(
            id=global_id("Delivery", "erp", f"{delivery.order_id}/{delivery.id}"),
            number=delivery.number,
            status=DeliveryStatus(delivery.status),
            status_label=label(info, delivery.status),
            source_status=SourceStatusInfo.of(delivery.source_status),
            scheduled_date=delivery.scheduled_date,
            shipped_at=delivery.shipped_at,
            delivered_at=delivery.delivered_at,
            carrier=delivery.carrier,
            tracking_number=delivery.tracking_number,
            lines=[
                DeliveryLine(position=line.position, quantity=line.quantity)
                for line in delivery.lines
            ],
        )


@strawberry.type(
    description="A sales order, as the ERP knows it.",
    directives=[type_requires(Permission.ORDERS_READ)],
)
class Order(Case, Synced):
    customer_reference: str | None = strawberry.field(
        description="The customer's own purchase order number."
    )
    ordered_at: datetime = strawberry.field(description="When the order was placed.")
    requested_delivery_date: date | None = strawberry.field(description="The requested date.")
    status: OrderStatus = strawberry.field(description="The overall state.")
    delivery_status: OrderDeliveryStatus = strawberry.field(description="How much is delivered.")
    invoice_status: OrderInvoiceStatus = strawberry.field(description="How much is invoiced.")
    block_reason: str | None = strawberry.field(description="Why the order is on hold.")
    source_status: SourceStatusInfo = strawberry.field(description="The ERP's raw state.")
    amount_untaxed: Money | None = priced("Total excluding tax.")
    amount_tax: Money | None = priced("Tax.")
    total: Money | None = priced("Total including tax.")
    record: strawberry.Private[r.Order]

    @classmethod
    def of(cls, order: r.Order, info: Info) -> "Order":
        return cls(
            id=global_id("Order", "erp", order.id),
            number=order.number,
            title=order.number,
            case_type=CaseType.ORDER,
            status_label=label(info, order.status),
            updated_at=order.updated_at,
            case_ref=r.CaseRef("ORDER", order.id),
            customer_reference=order.customer_reference,
            ordered_at=order.ordered_at,
            requested_delivery_date=order.requested_delivery_date,
            status=OrderStatus(order.status),
            delivery_status=OrderDeliveryStatus(order.delivery_status),
            invoice_status=OrderInvoiceStatus(order.invoice_status),
            block_reason=order.block_reason,
            source_status=SourceStatusInfo.of(order.source_status),
            amount_untaxed=Money.of(order.totals.untaxed),
            amount_tax=Money.of(order.totals.tax),
            total=Money.of(order.totals.total),
            record=order,
        )

    @strawberry.field(description="The ordered lines.")
    async def lines(self, info: Info) -> list[LineItem] | None:
        return [LineItem.of(line) for line in await resolve.lines(info.context, self.record)]

    @strawberry.field(description="The deliveries (Lieferscheine) of this order.")
    async def deliveries(self, info: Info) -> list[Delivery] | None:
        found = await resolve.deliveries(info.context, self.record)
        return [Delivery.of(delivery, info) for delivery in found]

    @strawberry.field(
        description="The invoices of this order.", extensions=requires(Permission.INVOICES_READ)
    )
    async def invoices(
        self, info: Info
    ) -> list[Annotated["Invoice", strawberry.lazy("schema.invoices")]] | None:
        from schema.invoices import Invoice

        found = await resolve_invoices.of_order(info.context, self.record)
        return [Invoice.of(invoice, info) for invoice in found]

    @strawberry.field(
        description="The quote this order came from.", extensions=requires(Permission.QUOTES_READ)
    )
    async def quote(
        self, info: Info
    ) -> Annotated["Quote", strawberry.lazy("schema.quotes")] | None:
        from schema.quotes import Quote

        if self.record.quote_id is None:
            return None
        found = await resolve_quotes.quote(info.context, self.record.quote_id)
        return Quote.of(found, info) if found is not None else None


async def order_by_id(info: Info, order_id: str | None) -> Order | None:
    """The order a quote or an invoice refers to, tenant-checked; None without one."""
    found = await resolve.order(info.context, order_id) if order_id is not None else None
    return Order.of(found, info) if found is not None else None
