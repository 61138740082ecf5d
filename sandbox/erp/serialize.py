"""The sandbox ERP's records as the XML elements of its WSDL (children in schema order).

States stay the ERP's own codes; amounts are xsd:decimal in the document's currency; an
optional field without a value is left out.
"""

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from lxml import etree

from sandbox.erp.envelope import erp_element, qname
from sandbox.model import (
    Address,
    Booking,
    Customer,
    Delivery,
    ErpChange,
    Invoice,
    Line,
    Order,
    Quote,
    ServiceOffering,
    ServiceSlot,
)
from sandbox.seed import line_total, vat

Value = str | int | bool | Decimal | date | datetime | None


def _text(value: str | int | bool | Decimal | date | datetime) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def element(tag: str, fields: Iterable[tuple[str, Value]]) -> etree._Element:
    """An element with one child per field that has a value, in the given order."""
    parent = erp_element(tag)
    for name, value in fields:
        if value is not None:
            etree.SubElement(parent, qname(name)).text = _text(value)
    return parent


def _with_children(parent: etree._Element, children: Iterable[etree._Element]) -> etree._Element:
    parent.extend(children)
    return parent


def customer(record: Customer) -> etree._Element:
    return element(
        "Customer",
        [
            ("Number", record.number),
            ("Kind", record.kind),
            ("Name", record.name),
            ("Street", record.street),
            ("HouseNumber", record.house_number),
            ("PostalCode", record.postal_code),
            ("City", record.city),
            ("Country", record.country),
            ("Lang", record.lang),
            ("Currency", record.currency),
            ("Vat", record.vat),
            ("CreditStatus", record.credit_status),
            ("InvoiceChannel", record.invoice_channel),
            ("EbillRecipientId", record.ebill_recipient_id),
            ("CreditLimit", record.credit_limit),
            ("ApprovalState", record.approval),
        ],
    )


def address(record: Address) -> etree._Element:
    return element(
        "Address",
        [
            ("Id", record.id),
            ("CustomerNumber", record.customer),
            ("Type", record.type),
            ("Name", record.name),
            ("Street", record.street),
            ("HouseNumber", record.house_number),
            ("PostalCode", record.postal_code),
            ("City", record.city),
            ("Country", record.country),
            ("IsDefault", record.is_default),
            ("ApprovalState", record.approval),
        ],
    )


def line(record: Line) -> etree._Element:
    return element(
        "Line",
        [
            ("Position", record.position),
            ("ProductCode", record.product),
            ("Description", record.description),
            ("Quantity", record.quantity),
            ("QtyDelivered", record.qty_delivered),
            ("QtyInvoiced", record.qty_invoiced),
            ("PriceUnit", record.unit_price),
            ("PriceSubtotal", record.subtotal),
        ],
    )


def line_group(tag: str, document_id: str, currency: str, lines: list[Line]) -> etree._Element:
    header = element(tag, [("Id", document_id), ("Currency", currency)])
    return _with_children(header, map(line, lines))


def _amounts(lines: list[Line], currency: str) -> list[tuple[str, Value]]:
    untaxed = line_total(lines)
    tax = vat(untaxed, currency)
    return [("AmountUntaxed", untaxed), ("AmountTax", tax), ("AmountTotal", untaxed + tax)]


def quote(record: Quote) -> etree._Element:
    return element(
        "Quote",
        [
            ("Id", record.id),
            ("Name", record.number),
            ("CustomerNumber", record.customer),
            ("State", record.state),
            ("DateOrder", record.created_at),
            ("WriteDate", record.updated_at),
            ("ValidityDate", record.validity_date),
            ("Currency", record.currency),
            *_amounts(record.lines, record.currency),
            ("SignedBy", record.signed_by),
            ("SignedOn", record.signed_on),
            ("DeclineReason", record.decline_reason),
            ("OrderId", record.order_id),
            ("RequestedBy", record.requested_by),
            ("RequestNote", record.request_note),
            ("CommitmentDate", record.commitment_date),
        ],
    )


def order(record: Order) -> etree._Element:
    header = element(
        "Order",
        [
            ("Id", record.id),
            ("Name", record.number),
            ("CustomerNumber", record.customer),
            ("State", record.state),
            ("DeliveryStatus", record.delivery_status),
            ("InvoiceStatus", record.invoice_status),
            ("Locked", record.locked),
            ("ClientOrderRef", record.client_order_ref),
            ("DateOrder", record.date_order),
            ("CommitmentDate", record.commitment_date),
            ("WriteDate", record.updated_at),
            ("Currency", record.currency),
            *_amounts(record.lines, record.currency),
            ("HoldReason", record.hold_reason),
            ("QuoteId", record.quote_id),
        ],
    )
    return _with_children(header, map(line, record.lines))


def delivery(record: Delivery) -> etree._Element:
    header = element(
        "Delivery",
        [
            ("Id", record.id),
            ("Name", record.number),
            ("OrderId", record.order_id),
            ("CustomerNumber", record.customer),
            ("State", record.state),
            ("ScheduledDate", record.scheduled_date),
            ("ShippedAt", record.shipped_at),
            ("DateDone", record.delivered_at),
            ("Carrier", record.carrier),
            ("CarrierTrackingRef", record.tracking_ref),
        ],
    )
    moves = (
        element("Move", [("LinePosition", position), ("Quantity", quantity)])
        for position, quantity in record.lines
    )
    return _with_children(header, moves)


def invoice(record: Invoice) -> etree._Element:
    return element(
        "Invoice",
        [
            ("Id", record.id),
            ("Name", record.number),
            ("CustomerNumber", record.customer),
            ("MoveType", record.move_type),
            ("State", record.state),
            ("PaymentState", record.payment_state),
            ("InvoiceDate", record.invoice_date),
            ("InvoiceDateDue", record.due_date),
            ("Currency", record.currency),
            ("AmountUntaxed", record.amount_untaxed),
            ("AmountTax", record.amount_tax),
            ("AmountTotal", record.amount_total),
            ("AmountResidual", record.amount_residual),
            ("PaymentReference", record.payment_reference or None),
            ("ReferenceType", record.reference_type),
            ("WriteDate", record.updated_at),
            ("OrderId", record.order_id),
            ("DunningLevel", record.dunning_level),
            ("DeliveryChannel", record.delivery_channel),
            ("RefundReason", record.refund_reason),
            ("RefundSettlement", record.refund_settlement),
            ("ReversedEntryId", record.reversed_invoice_id),
            ("OpenAmountQr", record.open_amount_qr),
        ],
    )


def open_item(record: Invoice) -> etree._Element:
    return element(
        "OpenItem",
        [
            ("InvoiceId", record.id),
            ("CustomerNumber", record.customer),
            ("MoveType", record.move_type),
            ("InvoiceDateDue", record.due_date),
            ("Currency", record.currency),
            ("AmountResidual", record.amount_residual),
        ],
    )


def change(record: ErpChange) -> etree._Element:
    return element(
        "Change",
        [
            ("ChangeStamp", record.stamp),
            ("ObjectType", record.object_type),
            ("ObjectId", record.object_id),
            ("ParentId", record.parent_id),
            ("CustomerNumber", record.customer),
            ("ChangedAt", record.changed_at),
        ],
    )


def offering(record: ServiceOffering, customer: Customer) -> etree._Element:
    """An offering as `customer` books it: at the price of its currency."""
    return element(
        "ServiceOffering",
        [
            ("Id", record.id),
            ("CustomerNumber", customer.number),
            ("Name", record.name),
            ("DurationMinutes", record.duration_minutes),
            ("Location", record.location),
            ("Currency", customer.currency),
            ("Price", record.prices[customer.currency]),
            ("Capacity", record.capacity),
            ("ManageCapacity", record.manage_capacity),
            ("MaxAttendees", record.max_attendees),
        ],
    )


def slot(record: ServiceSlot, seats_left: int) -> etree._Element:
    return element(
        "Slot",
        [
            ("Id", record.id),
            ("OfferingId", record.offering_id),
            ("Start", record.start),
            ("End", record.end),
            ("Capacity", record.capacity),
            ("SeatsLeft", seats_left),
        ],
    )


def booking(record: Booking, offering: ServiceOffering, at: ServiceSlot) -> etree._Element:
    """A booking with its offering's name and its slot's times."""
    header = element(
        "Booking",
        [
            ("Id", record.id),
            ("Name", record.number),
            ("CustomerNumber", record.customer),
            ("OfferingId", record.offering_id),
            ("OfferingName", offering.name),
            ("SlotId", record.slot_id),
            ("Start", at.start),
            ("End", at.end),
            ("State", record.state),
            ("CreateDate", record.created_at),
            ("WriteDate", record.updated_at),
            ("OrderId", record.order_id),
            ("CancelReason", record.cancel_reason),
        ],
    )
    attendees = (
        element("Attendee", [("Name", attendee.name), ("Email", attendee.email)])
        for attendee in record.attendees
    )
    return _with_children(header, attendees)


def message(kind: str, code: str, text: str, field: str | None = None) -> etree._Element:
    """One line of a write's `Return` (type E, W, I or S)."""
    return element("Return", [("Type", kind), ("Code", code), ("Text", text), ("Field", field)])
