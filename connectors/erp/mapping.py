"""The ERP's records (Odoo vocabulary, as its WSDL declares them) → the gateway's records.

Pure functions over `Fields`; statuses follow domain.md §4 (Odoo column), and `source_status`
keeps the raw code with Odoo's English label. Derived states (a quote's EXPIRED, an invoice's
overdue) are left to the resolvers; DRAFT records are mapped here and hidden there, but a
draft the customer requested from the portal is REQUESTED. An unknown code or a missing field
raises UpstreamBadResponse; a write the ERP refused raises UpstreamRefused.
"""

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar

from connectors.base.changes import Change
from connectors.base.errors import Refusal, UpstreamRefused
from connectors.base.records import (
    Address,
    Amount,
    Booking,
    CaseRef,
    Customer,
    Delivery,
    DeliveryLine,
    DocumentLine,
    ErasureOutcome,
    Invoice,
    LegalHold,
    OpenItem,
    Order,
    Participant,
    Quote,
    ServiceOffering,
    Slot,
    SourceStatus,
    System,
    Totals,
)
from connectors.base.soap import Fields
from connectors.erp import codes

T = TypeVar("T")


def _translate(raw: Fields, name: str, code: str, table: dict[str, T]) -> T:
    if code not in table:
        raise raw.bad(f"unknown {name} {code!r}")
    return table[code]


def _lookup(raw: Fields, name: str, table: dict[str, T]) -> tuple[str, T]:
    """The raw code of field `name` and what `table` makes of it."""
    code = raw.required(name, str)
    return code, _translate(raw, name, code, table)


def _mapped(raw: Fields, name: str, table: dict[str, str]) -> str:
    return _lookup(raw, name, table)[1]


def _amount(raw: Fields, name: str, currency: str) -> Amount:
    return Amount(raw.required(name, Decimal), currency)


def _totals(raw: Fields, currency: str) -> Totals:
    return Totals(
        _amount(raw, "AmountUntaxed", currency),
        _amount(raw, "AmountTax", currency),
        _amount(raw, "AmountTotal", currency),
    )


def customer(raw: Fields) -> Customer:
    currency = raw.required("Currency", str)
    return Customer(
        number=raw.required("Number", str),
        kind=_mapped(raw, "Kind", codes.CUSTOMER_KIND),
        legal_name=raw.required("Name", str),
        vat_id=raw.optional("Vat", str),
        default_locale=raw.required("Lang", str).replace("_", "-"),
        currency=currency,
        credit_status=_mapped(raw, "CreditStatus", codes.CREDIT_STATUS),
        invoice_delivery_channel=_mapped(raw, "InvoiceChannel", codes.CHANNEL),
        ebill_recipient_id=raw.optional("EbillRecipientId", str),
        credit_limit=_amount(raw, "CreditLimit", currency),
        change_request_status=_mapped(raw, "ApprovalState", codes.APPROVAL_STATE),
    )


def address(raw: Fields) -> Address:
    return Address(
        id=raw.required("Id", str),
        customer=raw.required("CustomerNumber", str),
        type=_mapped(raw, "Type", codes.ADDRESS_TYPE),
        name=raw.required("Name", str),
        street=raw.required("Street", str),
        house_number=raw.optional("HouseNumber", str) or "",  # an empty one reads as None
        postal_code=raw.required("PostalCode", str),
        city=raw.required("City", str),
        country_code=raw.required("Country", str),
        is_default=raw.required("IsDefault", bool),
        change_request_status=_mapped(raw, "ApprovalState", codes.APPROVAL_STATE),
    )


def document_line(raw: Fields, currency: str) -> DocumentLine:
    return DocumentLine(
        position=raw.required("Position", int),
        product_code=raw.required("ProductCode", str),
        description=raw.required("Description", str),
        quantity=raw.required("Quantity", Decimal),
        delivered_quantity=raw.required("QtyDelivered", Decimal),
        invoiced_quantity=raw.required("QtyInvoiced", Decimal),
        unit_price=_amount(raw, "PriceUnit", currency),
        total=_amount(raw, "PriceSubtotal", currency),
    )


def line_group(raw: Fields) -> tuple[str, list[DocumentLine]]:
    """The lines of one quote or order, keyed by its id."""
    currency = raw.required("Currency", str)
    return raw.required("Id", str), [document_line(line, currency) for line in raw.records("Line")]


def quote(raw: Fields) -> Quote:
    state, (status, label) = _lookup(raw, "State", codes.QUOTE_STATE)
    decline_reason = raw.optional("DeclineReason", str)
    requested_by = raw.optional("RequestedBy", str)
    if status == "CANCELLED" and decline_reason:
        status = "DECLINED"
    if status == "DRAFT" and requested_by:
        status = "REQUESTED"
    currency = raw.required("Currency", str)
    return Quote(
        id=raw.required("Id", str),
        number=raw.required("Name", str),
        customer=raw.required("CustomerNumber", str),
        status=status,
        source_status=SourceStatus(state, label),
        created_at=raw.required("DateOrder", datetime),
        updated_at=raw.required("WriteDate", datetime),
        valid_until=raw.required("ValidityDate", date),
        totals=_totals(raw, currency),
        signed_by=raw.optional("SignedBy", str),
        signed_at=raw.optional("SignedOn", datetime),
        decline_reason=decline_reason,
        order_id=raw.optional("OrderId", str),
        requested_by=requested_by,
        request_note=raw.optional("RequestNote", str),
        requested_date=raw.optional("CommitmentDate", date),
    )


def _order_status(state: str, delivery: str, invoicing: str, locked: bool, held: bool) -> str:
    """domain.md §4 from Odoo's state, raw delivery_status and the unified invoice status."""
    if state == "cancel":
        return "CANCELLED"
    if held:
        return "ON_HOLD"
    if locked or (delivery == "full" and invoicing == "INVOICED"):
        return "COMPLETED"
    if delivery == "full":
        return "DELIVERED"
    if delivery in {"started", "partial"}:
        return "IN_PROGRESS"
    return "CONFIRMED"


def order(raw: Fields) -> Order:
    state, state_label = _lookup(raw, "State", codes.ORDER_STATE)
    delivery_code, (delivery, delivery_label) = _lookup(
        raw, "DeliveryStatus", codes.DELIVERY_STATUS
    )
    invoice_code, (invoicing, invoice_label) = _lookup(
        raw, "InvoiceStatus", codes.ORDER_INVOICE_STATUS
    )
    lines = raw.records("Line")
    if invoicing == "TO_INVOICE" and any(
        0 < line.required("QtyInvoiced", Decimal) < line.required("Quantity", Decimal)
        for line in lines
    ):
        invoicing = "PARTIALLY_INVOICED"
    locked = raw.required("Locked", bool)
    hold_reason = raw.optional("HoldReason", str)
    labels = [state_label, delivery_label, invoice_label, *(["Locked"] if locked else [])]
    currency = raw.required("Currency", str)
    return Order(
        id=raw.required("Id", str),
        number=raw.required("Name", str),
        customer=raw.required("CustomerNumber", str),
        status=_order_status(state, delivery_code, invoicing, locked, bool(hold_reason)),
        delivery_status=delivery,
        invoice_status=invoicing,
        source_status=SourceStatus(f"{state}/{delivery_code}/{invoice_code}", ", ".join(labels)),
        customer_reference=raw.optional("ClientOrderRef", str),
        ordered_at=raw.required("DateOrder", datetime),
        requested_delivery_date=raw.optional("CommitmentDate", date),
        updated_at=raw.required("WriteDate", datetime),
        block_reason=hold_reason,
        quote_id=raw.optional("QuoteId", str),
        totals=_totals(raw, currency),
    )


def delivery(raw: Fields) -> Delivery:
    state, (status, label) = _lookup(raw, "State", codes.PICKING_STATE)
    return Delivery(
        id=raw.required("Id", str),
        number=raw.required("Name", str),
        order_id=raw.required("OrderId", str),
        customer=raw.required("CustomerNumber", str),
        status=status,
        source_status=SourceStatus(state, label),
        scheduled_date=raw.optional("ScheduledDate", date),
        shipped_at=raw.optional("ShippedAt", datetime),
        delivered_at=raw.optional("DateDone", datetime),
        carrier=raw.optional("Carrier", str),
        tracking_number=raw.optional("CarrierTrackingRef", str),
        lines=tuple(
            DeliveryLine(move.required("LinePosition", int), move.required("Quantity", Decimal))
            for move in raw.records("Move")
        ),
    )


def invoice(raw: Fields) -> Invoice:
    state, (status, state_label) = _lookup(raw, "State", codes.MOVE_STATE)
    payment, (paid_status, payment_label) = _lookup(raw, "PaymentState", codes.PAYMENT_STATE)
    kind = _mapped(raw, "MoveType", codes.MOVE_TYPE)
    currency = raw.required("Currency", str)
    totals = _totals(raw, currency)
    residual = _amount(raw, "AmountResidual", currency)
    paid = Decimal(0) if state == "cancel" else totals.total.value - residual.value
    reason = raw.optional("RefundReason", str)
    settlement = raw.optional("RefundSettlement", str)
    credit_note = kind == "CREDIT_NOTE"
    return Invoice(
        id=raw.required("Id", str),
        number=raw.required("Name", str),
        customer=raw.required("CustomerNumber", str),
        kind=kind,
        status=status or paid_status,
        source_status=SourceStatus(f"{state}/{payment}", f"{state_label}, {payment_label}"),
        issued_at=raw.required("InvoiceDate", date),
        due_date=raw.required("InvoiceDateDue", date),
        totals=totals,
        amount_paid=Amount(paid, currency),
        amount_residual=residual,
        payment_reference=raw.optional("PaymentReference", str),
        reference_type=_mapped(raw, "ReferenceType", codes.REFERENCE_TYPE),
        delivery_channel=_mapped(raw, "DeliveryChannel", codes.CHANNEL),
        dunning_level=raw.required("DunningLevel", int),
        order_id=raw.optional("OrderId", str),
        updated_at=raw.required("WriteDate", datetime),
        credit_note_reason=codes.REFUND_REASON.get(reason or "", "OTHER") if credit_note else None,
        credit_note_settlement=(
            _translate(raw, "RefundSettlement", settlement, codes.REFUND_SETTLEMENT)
            if settlement
            else None
        ),
        applied_to_invoice_id=raw.optional("ReversedEntryId", str),
        open_amount_qr_bill=raw.required("OpenAmountQr", bool),
    )


def open_item(raw: Fields) -> tuple[str, OpenItem]:
    """One open item, keyed by its customer (which the record itself leaves out)."""
    currency = raw.required("Currency", str)
    item = OpenItem(
        invoice_id=raw.required("InvoiceId", str),
        kind=_mapped(raw, "MoveType", codes.MOVE_TYPE),
        due_date=raw.required("InvoiceDateDue", date),
        residual=_amount(raw, "AmountResidual", currency),
    )
    return raw.required("CustomerNumber", str), item


def service_offering(raw: Fields) -> ServiceOffering:
    return ServiceOffering(
        id=raw.required("Id", str),
        customer=raw.required("CustomerNumber", str),
        name=raw.required("Name", str),
        duration_minutes=raw.required("DurationMinutes", int),
        location=_mapped(raw, "Location", codes.LOCATION),
        price=_amount(raw, "Price", raw.required("Currency", str)),
        per_participant=raw.required("ManageCapacity", bool),
        max_participants=raw.required("MaxAttendees", int),
    )


def slot(raw: Fields) -> Slot:
    return Slot(
        id=raw.required("Id", str),
        offering_id=raw.required("OfferingId", str),
        start=raw.required("Start", datetime),
        end=raw.required("End", datetime),
        capacity_left=raw.required("SeatsLeft", int),
    )


def booking(raw: Fields) -> Booking:
    state, (status, label) = _lookup(raw, "State", codes.BOOKING_STATE)
    return Booking(
        id=raw.required("Id", str),
        number=raw.required("Name", str),
        customer=raw.required("CustomerNumber", str),
        offering_id=raw.required("OfferingId", str),
        offering_name=raw.required("OfferingName", str),
        slot_id=raw.required("SlotId", str),
        start=raw.required("Start", datetime),
        end=raw.required("End", datetime),
        status=status,
        source_status=SourceStatus(state, label),
        participants=tuple(
            Participant(attendee.required("Name", str), attendee.optional("Email", str))
            for attendee in raw.records("Attendee")
        ),
        order_id=raw.optional("OrderId", str),
        cancel_reason=raw.optional("CancelReason", str),
        created_at=raw.required("CreateDate", datetime),
        updated_at=raw.required("WriteDate", datetime),
    )


CHANGE_KINDS = {
    "order": ("ORDER", "order.status_changed"),
    "delivery": ("DELIVERY", "delivery.updated"),
    "invoice": ("INVOICE", "invoice.status_changed"),
    "booking": ("BOOKING", "booking.status_changed"),
}


def change(raw: Fields, received_at: datetime) -> Change | None:
    """One change-log entry; None for object types the portal does not show. The event id is
    synthetic (a hash of the record and its change stamp), so re-reading the same entry
    gives the same id."""
    object_type = raw.required("ObjectType", str)
    if object_type not in CHANGE_KINDS:
        return None
    entity, kind = CHANGE_KINDS[object_type]
    object_id, stamp = raw.required("ObjectId", str), raw.required("ChangeStamp", int)
    parent = raw.optional("ParentId", str)
    return Change(
        source=System.ERP,
        event_id=hashlib.sha256(f"erp:{object_type}:{object_id}:{stamp}".encode()).hexdigest()[:32],
        kind=kind,
        entity=entity,
        entity_id=object_id,
        occurred_at=raw.required("ChangedAt", datetime),
        customer=raw.required("CustomerNumber", str),
        related=(CaseRef("ORDER", parent),) if parent else (),
        received_at=received_at,
    )


def erp_language(locale: str | None) -> str | None:
    """A portal locale (`de-CH`) as the ERP's language code (`de_CH`)."""
    return locale.replace("-", "_") if locale is not None else None


@dataclass(frozen=True)
class Written:
    """The answer of a write the ERP did not refuse: the records it holds, which depend on
    the write."""

    answer: Fields

    def record(self, name: str, mapper: Callable[[Fields], T]) -> T:
        found = self.optional(name, mapper)
        if found is None:
            raise self.answer.bad(f"the {name} written is missing")
        return found

    def optional(self, name: str, mapper: Callable[[Fields], T]) -> T | None:
        found = self.answer.record(name)
        return mapper(found) if found is not None else None


def written(answer: Fields, fields: Mapping[str, str]) -> Written:
    """A write's answer (its `Return` lines, then the records written). Any line of type E
    means the ERP refused the write and changed nothing: UpstreamRefused gives the reasons,
    naming each refused request element by its field in `fields` (element → field)."""
    errors = [line for line in answer.records("Return") if line.required("Type", str) == "E"]
    if errors:
        raise UpstreamRefused(System.ERP, tuple(refusal(line, fields) for line in errors))
    return Written(answer)


LINE_ELEMENT = re.compile(r"(\w+)\[(\d+)\](?:/(\w+))?")
"""A request element inside a repeated one: `Line[2]/Quantity` (counted from 1)."""


def refusal(line: Fields, fields: Mapping[str, str]) -> Refusal:
    return Refusal(
        field=_refused_field(line.optional("Field", str), fields),
        code=codes.REFUSALS.get(line.required("Code", str), "REFUSED"),
        message=line.required("Text", str),
    )


def _refused_field(element: str | None, fields: Mapping[str, str]) -> str | None:
    """The field of a refused element: `Line[2]/Quantity` is `lines.1.quantity`; None for the
    whole request or an element no field sets."""
    repeated = LINE_ELEMENT.fullmatch(element or "")
    if repeated is None:
        return fields.get(element) if element is not None else None
    parent, index, child = repeated.groups()
    if parent not in fields:
        return None
    inner = [fields[child]] if child is not None and child in fields else []
    return ".".join([fields[parent], str(int(index) - 1), *inner])


def erasure(written: Written) -> ErasureOutcome:
    """EraseCustomerData's answer: the records erased and those blocked (kept)."""
    erased = tuple(
        CaseRef(item.required("ObjectType", str).upper(), item.required("ObjectId", str))
        for item in written.answer.records("Erased")
    )
    holds = tuple(
        LegalHold(
            system=System.ERP,
            kind=item.required("ObjectType", str).upper(),
            record_id=item.required("ObjectId", str),
            reason=item.required("Reason", str),
            retain_until=item.optional("RetainUntil", date),
        )
        for item in written.answer.records("Blocked")
    )
    return ErasureOutcome(System.ERP, "HELD" if holds else "DONE", erased, holds)
