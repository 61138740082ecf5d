"""ERP mapping on recorded answers (`payloads/erp/*.xml`, kept current by
tests/sandbox/test_erp_service.py), parsed against the WSDL by zeep as the adapter does."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from lxml import etree

from connectors.base.errors import UpstreamBadResponse, UpstreamRefused
from connectors.base.records import Amount, SourceStatus, System
from connectors.base.soap import Fields, load_wsdl, plain
from connectors.erp import codes, mapping
from connectors.erp.client import WSDL_PATH
from sandbox.model import Order, Quote, Seed
from sandbox.seed import LUMIERE, MUSTER, NORDLICHT, SOPHIE, TRAINING, line_total, vat
from tests.erp_fixtures import PAYLOADS

Raw = dict[str, Any]


def recorded(operation: str) -> Raw:
    """The recorded answer's response element as plain data."""
    body = etree.parse(str(PAYLOADS / f"{operation}.xml")).getroot()[0][0]
    types = load_wsdl(WSDL_PATH).types
    answer = plain(types.get_element(body.tag).parse(body, types))
    assert isinstance(answer, dict)
    return answer


def records(operation: str, item: str) -> list[Raw]:
    found = recorded(operation)[item]
    assert isinstance(found, list)
    return found


def one(operation: str, item: str, record_id: str, key: str = "Id") -> Raw:
    return next(raw for raw in records(operation, item) if raw[key] == record_id)


def fields(raw: Raw) -> Fields:
    return Fields(System.ERP, raw, "test")


def test_customers(erp_seed: Seed) -> None:
    mapped = {
        c.number: c for c in map(mapping.customer, map(fields, records("GetCustomers", "Customer")))
    }
    assert set(mapped) == {c.number for c in erp_seed.customers}
    for seed in erp_seed.customers:
        customer = mapped[seed.number]
        assert (customer.legal_name, customer.vat_id) == (seed.name, seed.vat)
        assert customer.credit_limit == Amount(seed.credit_limit, seed.currency)
    assert (mapped[MUSTER].kind, mapped[MUSTER].default_locale) == ("COMPANY", "de-CH")
    assert mapped[NORDLICHT].credit_status == "ON_HOLD"
    assert mapped[NORDLICHT].invoice_delivery_channel == "EMAIL_PDF"
    assert mapped[LUMIERE].invoice_delivery_channel == "EBILL"
    assert mapped[LUMIERE].ebill_recipient_id is not None
    assert mapped[SOPHIE].kind == "PERSON"


def test_addresses(erp_seed: Seed) -> None:
    mapped = [mapping.address(fields(raw)) for raw in records("GetAddresses", "Address")]
    expected = [a for a in erp_seed.addresses if a.customer in {MUSTER, LUMIERE}]
    assert [(a.id, a.customer, a.is_default) for a in mapped] == [
        (a.id, a.customer, a.is_default) for a in expected
    ]
    types = {a.id: a.type for a in mapped}
    assert (types["ADR-101"], types["ADR-102"], types["ADR-103"]) == (
        "BILLING",
        "SHIPPING",
        "SHIPPING",
    )


def test_quotes(erp_seed: Seed) -> None:
    mapped = {
        q.id: q for q in (mapping.quote(fields(raw)) for raw in records("GetQuotes", "Quote"))
    }
    statuses = {q.number: q.status for q in mapped.values()}
    assert statuses["AN-2026-0001"] == "DRAFT"  # returned; the resolvers hide it
    assert statuses["AN-2026-0002"] == "SENT"
    assert statuses["AN-2026-0004"] == "ACCEPTED"
    assert statuses["AN-2026-0005"] == "DECLINED"
    assert statuses["AN-2026-0006"] == "SENT"  # EXPIRED is derived from the date later
    assert statuses["AN-2026-0008"] == "CANCELLED"
    for seed in erp_seed.quotes:
        quote = mapped[seed.id]
        untaxed = line_total(seed.lines)
        assert quote.totals.untaxed == Amount(untaxed, seed.currency)
        assert quote.totals.total.value == untaxed + vat(untaxed, seed.currency)
        assert (quote.created_at, quote.valid_until) == (seed.created_at, seed.validity_date)
        assert quote.source_status.code == seed.state
    assert mapped["30000004"].order_id == "10000001"


@pytest.mark.parametrize(
    ("operation", "item"), [("GetQuoteLines", "QuoteLines"), ("GetOrderLines", "OrderLines")]
)
def test_lines(erp_seed: Seed, operation: str, item: str) -> None:
    documents: dict[str, Quote | Order] = {q.id: q for q in erp_seed.quotes}
    documents.update((o.id, o) for o in erp_seed.orders)
    for raw in records(operation, item):
        document_id, lines = mapping.line_group(fields(raw))
        seed = documents[document_id]
        assert [(line.position, line.quantity, line.delivered_quantity) for line in lines] == [
            (line.position, line.quantity, line.qty_delivered) for line in seed.lines
        ]
        assert [line.total for line in lines] == [
            Amount(line.quantity * line.unit_price, seed.currency) for line in seed.lines
        ]


def test_orders() -> None:
    mapped = {
        o.number: o for o in (mapping.order(fields(raw)) for raw in records("GetOrders", "Order"))
    }
    expected = {  # domain.md §7
        "SO-2026-0001": ("CONFIRMED", "NOT_DELIVERED", "NOTHING_TO_INVOICE"),
        "SO-2026-0002": ("IN_PROGRESS", "PARTIALLY_DELIVERED", "TO_INVOICE"),
        "SO-2026-0003": ("DELIVERED", "DELIVERED", "TO_INVOICE"),
        "SO-2026-0004": ("COMPLETED", "DELIVERED", "INVOICED"),
        "SO-2026-0005": ("ON_HOLD", "NOT_DELIVERED", "NOTHING_TO_INVOICE"),
        "SO-2026-0006": ("CANCELLED", "NOT_DELIVERED", "NOTHING_TO_INVOICE"),
        "SO-2026-0007": ("COMPLETED", "DELIVERED", "INVOICED"),
        "SO-2026-0008": ("COMPLETED", "DELIVERED", "INVOICED"),
    }
    for number, statuses in expected.items():
        order = mapped[number]
        assert (order.status, order.delivery_status, order.invoice_status) == statuses
    assert mapped["SO-2026-0002"].source_status == SourceStatus(
        "sale/partial/to invoice", "Sales Order, Partially Delivered, To Invoice"
    )
    assert mapped["SO-2026-0004"].source_status.label.endswith(", Locked")
    assert mapped["SO-2026-0005"].block_reason is not None
    assert mapped["SO-2026-0008"].customer_reference is None


def order_with(**overrides: object) -> Raw:
    return {**one("GetOrders", "Order", "10000001"), **overrides}


@pytest.mark.parametrize(
    ("overrides", "status"),
    [
        ({"State": "cancel", "HoldReason": "x"}, "CANCELLED"),
        ({"HoldReason": "Kreditlimite"}, "ON_HOLD"),
        ({"Locked": True, "DeliveryStatus": "partial"}, "COMPLETED"),
        ({"DeliveryStatus": "full", "InvoiceStatus": "invoiced"}, "COMPLETED"),
        ({"DeliveryStatus": "full", "InvoiceStatus": "upselling"}, "COMPLETED"),
        ({"DeliveryStatus": "full", "InvoiceStatus": "to invoice"}, "DELIVERED"),
        ({"DeliveryStatus": "started"}, "IN_PROGRESS"),
        ({"DeliveryStatus": "partial"}, "IN_PROGRESS"),
        ({"DeliveryStatus": "pending"}, "CONFIRMED"),
        ({"DeliveryStatus": "none"}, "CONFIRMED"),
    ],
)
def test_order_status(overrides: Raw, status: str) -> None:
    assert mapping.order(fields(order_with(**overrides))).status == status


def test_order_with_a_partly_invoiced_line_is_partially_invoiced() -> None:
    raw = order_with(InvoiceStatus="to invoice")
    raw["Line"] = [{**raw["Line"][0], "QtyInvoiced": Decimal(1)}, *raw["Line"][1:]]
    assert mapping.order(fields(raw)).invoice_status == "PARTIALLY_INVOICED"


def test_deliveries() -> None:
    mapped = {
        d.number: d
        for d in map(mapping.delivery, map(fields, records("GetDeliveriesByOrders", "Delivery")))
    }
    shipped = mapped["LS-2026-0001"]
    assert (shipped.status, shipped.carrier, shipped.delivered_at) == (
        "SHIPPED",
        "Swiss Post",
        None,
    )
    assert [(line.position, line.quantity) for line in shipped.lines] == [
        (10, Decimal(2)),
        (20, Decimal(4)),
    ]
    assert mapped["LS-2026-0002"].status == "PLANNED"
    assert mapped["LS-2026-0003"].status == "DELIVERED"


def test_invoices(erp_seed: Seed) -> None:
    mapped = {i.id: i for i in map(mapping.invoice, map(fields, records("GetInvoices", "Invoice")))}
    expected = {  # domain.md §7, by seed number
        "RE-2026-0001": "PAID",
        "RE-2026-0003": "PARTIALLY_PAID",
        "RE-2026-0004": "IN_PAYMENT",
        "RE-2026-0005": "OPEN",
        "RE-2026-0008": "OPEN",
        "RE-2026-0009": "CANCELLED",
        "RE-2026-0010": "REVERSED",
        "GS-2026-0011": "PAID",
    }
    by_number = {i.number: i for i in mapped.values()}
    assert {number: by_number[number].status for number in expected} == expected
    for seed in erp_seed.invoices:
        if seed.id not in mapped:
            continue
        invoice = mapped[seed.id]
        assert invoice.kind == ("CREDIT_NOTE" if seed.move_type == "out_refund" else "INVOICE")
        assert invoice.amount_residual == Amount(seed.amount_residual, seed.currency)
        paid = Decimal(0) if seed.state == "cancel" else seed.amount_total - seed.amount_residual
        assert invoice.amount_paid == Amount(paid, seed.currency)
        assert invoice.payment_reference == (seed.payment_reference or None)
        assert invoice.applied_to_invoice_id == seed.reversed_invoice_id
    assert by_number["RE-2026-0003"].amount_residual.value == Decimal("1200.00")
    assert by_number["RE-2026-0008"].dunning_level == 2
    assert by_number["RE-2026-0003"].source_status == SourceStatus(
        "posted/partial", "Posted, Partially Paid"
    )


def test_credit_notes() -> None:
    notes = {
        i.number: i for i in map(mapping.invoice, map(fields, records("GetCreditNotes", "Invoice")))
    }
    assert {n: (i.credit_note_reason, i.credit_note_settlement) for n, i in notes.items()} == {
        "GS-2026-0011": ("RETURN", "OFFSET_AGAINST_INVOICE"),
        "GS-2026-0013": ("PRICE_CORRECTION", "OFFSET_AGAINST_INVOICE"),
        "GS-2026-0014": ("GOODWILL", "REFUND"),
    }


def invoice_with(**overrides: object) -> Raw:
    return {**one("GetInvoices", "Invoice", "90000011"), **overrides}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"State": "draft", "PaymentState": "not_paid"},
            ("DRAFT", "RETURN", "OFFSET_AGAINST_INVOICE"),
        ),
        ({"State": "cancel"}, ("CANCELLED", "RETURN", "OFFSET_AGAINST_INVOICE")),
        ({"RefundReason": "damaged in transit"}, ("PAID", "OTHER", "OFFSET_AGAINST_INVOICE")),
        (
            {"RefundReason": None, "RefundSettlement": "credit"},
            ("PAID", "OTHER", "CUSTOMER_CREDIT"),
        ),
        ({"RefundReason": "duplicate", "RefundSettlement": None}, ("PAID", "DUPLICATE", None)),
        (
            {"MoveType": "out_invoice", "RefundReason": None},
            ("PAID", None, "OFFSET_AGAINST_INVOICE"),
        ),
    ],
)
def test_invoice_codes(overrides: Raw, expected: tuple[str, str | None, str | None]) -> None:
    invoice = mapping.invoice(fields(invoice_with(**overrides)))
    assert (invoice.status, invoice.credit_note_reason, invoice.credit_note_settlement) == expected


def test_open_items(erp_seed: Seed) -> None:
    items = [mapping.open_item(fields(raw)) for raw in records("GetOpenItems", "OpenItem")]
    expected = [
        (i.customer, i.id, i.amount_residual)
        for i in erp_seed.invoices
        if i.state == "posted" and i.amount_residual
    ]
    assert [
        (customer, item.invoice_id, item.residual.value) for customer, item in items
    ] == expected
    kinds = {item.invoice_id: item.kind for _, item in items}
    assert kinds["90000014"] == "CREDIT_NOTE"


def test_service_offerings_are_priced_per_customer(erp_seed: Seed) -> None:
    mapped = [
        mapping.service_offering(fields(raw))
        for raw in records("GetServiceOfferings", "ServiceOffering")
    ]
    currency = {c.number: c.currency for c in erp_seed.customers}
    assert [(o.customer, o.id) for o in mapped] == [
        (customer, offering.id)
        for customer in (MUSTER, NORDLICHT)
        for offering in erp_seed.offerings
    ]
    for offering in mapped:
        seed = next(o for o in erp_seed.offerings if o.id == offering.id)
        assert offering.price == Amount(
            seed.prices[currency[offering.customer]], currency[offering.customer]
        )
        assert (offering.name, offering.duration_minutes, offering.max_participants) == (
            seed.name,
            seed.duration_minutes,
            seed.max_attendees,
        )
        assert offering.per_participant is seed.manage_capacity
    assert {o.id: o.location for o in mapped} == {
        "70000001": "ONSITE", "70000002": "REMOTE", "70000003": "PROVIDER_SITE"
    }  # fmt: skip


def test_slots_with_the_seats_left(erp_seed: Seed) -> None:
    mapped = {s.id: s for s in map(mapping.slot, map(fields, records("GetServiceSlots", "Slot")))}
    assert set(mapped) == {s.id for s in erp_seed.slots}
    for seed in erp_seed.slots:
        slot = mapped[seed.id]
        assert (slot.offering_id, slot.start, slot.end) == (seed.offering_id, seed.start, seed.end)
        assert 0 <= slot.capacity_left <= seed.capacity
    course = next(b.slot_id for b in erp_seed.bookings if b.customer == LUMIERE)
    assert mapped[course].capacity_left == 1  # domain.md §7: one course 7/8 full
    listed = [mapping.slot(fields(raw)) for raw in records("ListServiceSlots", "Slot")]
    assert [s.id for s in listed] == [s.id for s in erp_seed.slots if s.offering_id == TRAINING]


def test_bookings(erp_seed: Seed) -> None:
    mapped = {
        b.id: b for b in map(mapping.booking, map(fields, records("GetServiceBookings", "Booking")))
    }
    assert set(mapped) == {b.id for b in erp_seed.bookings}
    statuses = {
        "request": "REQUESTED", "booked": "CONFIRMED", "cancelled": "CANCELLED",
        "attended": "COMPLETED",
    }  # fmt: skip
    for seed in erp_seed.bookings:
        booking = mapped[seed.id]
        slot = next(s for s in erp_seed.slots if s.id == seed.slot_id)
        assert (booking.customer, booking.slot_id, booking.start, booking.end) == (
            seed.customer,
            seed.slot_id,
            slot.start,
            slot.end,
        )
        assert (booking.status, booking.source_status.code) == (statuses[seed.state], seed.state)
        assert [(p.name, p.email) for p in booking.participants] == [
            (a.name, a.email) for a in seed.attendees
        ]
        assert (booking.order_id, booking.cancel_reason) == (seed.order_id, seed.cancel_reason)
    wartung = [b for b in mapped.values() if b.offering_name == "Wartung vor Ort"]
    assert sorted(b.status for b in wartung) == ["CANCELLED", "COMPLETED", "CONFIRMED"]


def booking_with(**overrides: object) -> Raw:
    return {**records("GetServiceBookings", "Booking")[0], **overrides}


@pytest.mark.parametrize(
    ("state", "status", "label"),
    [
        ("request", "REQUESTED", "Request"),
        ("booked", "CONFIRMED", "Booked"),
        ("rescheduled", "RESCHEDULED", "Rescheduled"),
        ("cancelled", "CANCELLED", "Cancelled"),
        ("attended", "COMPLETED", "Attended"),
        ("no_show", "NO_SHOW", "No Show"),
    ],
)
def test_booking_states(state: str, status: str, label: str) -> None:
    booking = mapping.booking(fields(booking_with(State=state)))
    assert (booking.status, booking.source_status) == (status, SourceStatus(state, label))


@pytest.mark.parametrize(
    ("operation", "item"),
    [
        ("ListQuotes", "Quote"),
        ("ListOrders", "Order"),
        ("ListInvoices", "Invoice"),
        ("ListServiceBookings", "Booking"),
    ],
)
def test_list_answers(operation: str, item: str) -> None:
    page = fields(recorded(operation))
    assert page.required("Total", int) > len(page.records(item)) == 3


Mapper = Callable[[Fields], object]


@pytest.mark.parametrize(
    ("mapper", "raw", "complaint"),
    [
        (
            mapping.quote,
            lambda: {**one("GetQuotes", "Quote", "30000002"), "State": "won"},
            "unknown State 'won'",
        ),
        (mapping.order, lambda: order_with(DeliveryStatus="lost"), "unknown DeliveryStatus"),
        (mapping.order, lambda: order_with(Id=None), "Id is missing"),
        (mapping.order, lambda: order_with(AmountTotal="12.00"), "AmountTotal is a str"),
        (mapping.order, lambda: order_with(Locked=1), "Locked is a int"),
        (
            mapping.invoice,
            lambda: invoice_with(PaymentState="invoicing_legacy"),
            "unknown PaymentState",
        ),
        (
            mapping.invoice,
            lambda: invoice_with(RefundSettlement="cash"),
            "unknown RefundSettlement",
        ),
        (mapping.invoice, lambda: invoice_with(ReferenceType="IBAN"), "unknown ReferenceType"),
        (
            mapping.customer,
            lambda: {**records("GetCustomers", "Customer")[0], "Kind": "robot"},
            "unknown Kind",
        ),
        (
            mapping.delivery,
            lambda: {**records("GetDeliveriesByOrders", "Delivery")[0], "Move": {"x": 1}},
            "expected a list",
        ),
        (mapping.booking, lambda: booking_with(State="tentative"), "unknown State"),
        (mapping.booking, lambda: booking_with(Start=None), "Start is missing"),
        (
            mapping.service_offering,
            lambda: {**records("GetServiceOfferings", "ServiceOffering")[0], "Location": "moon"},
            "unknown Location",
        ),
        (
            mapping.slot,
            lambda: {**records("GetServiceSlots", "Slot")[0], "SeatsLeft": "2"},
            "SeatsLeft is a str",
        ),
    ],
)
def test_bad_records_are_bad_responses(
    mapper: Mapper, raw: Callable[[], Raw], complaint: str
) -> None:
    with pytest.raises(UpstreamBadResponse, match=complaint) as raised:
        mapper(fields(raw()))
    assert raised.value.system is System.ERP


def test_a_time_without_zone_is_a_bad_response() -> None:
    raw = order_with()
    raw["DateOrder"] = raw["DateOrder"].replace(tzinfo=None)
    with pytest.raises(UpstreamBadResponse, match="DateOrder has no time zone"):
        mapping.order(fields(raw))


def test_a_record_that_is_no_record_is_a_bad_response() -> None:
    with pytest.raises(UpstreamBadResponse, match="expected a record"):
        Fields(System.ERP, ["not", "a", "record"], "test")
    with pytest.raises(UpstreamBadResponse, match="expected a list"):
        Fields.each(System.ERP, "text", "test")


def test_a_pending_change_request_shows_on_the_record() -> None:
    customer = one("GetCustomers", "Customer", MUSTER, "Number")
    address = one("GetAddresses", "Address", "ADR-101")
    assert mapping.customer(fields(customer)).change_request_status == "APPLIED"
    pending = {**customer, "ApprovalState": "pending"}
    assert mapping.customer(fields(pending)).change_request_status == "PENDING_APPROVAL"
    rejected = {**address, "ApprovalState": "rejected"}
    assert mapping.address(fields(rejected)).change_request_status == "REJECTED"


def test_a_write_answers_the_record_as_it_now_stands() -> None:
    written = mapping.written(fields(recorded("UpdateCustomer")), codes.CUSTOMER_FIELDS)
    customer = written.record("Customer", mapping.customer)
    assert (customer.number, customer.default_locale) == (MUSTER, "de-CH")
    written = mapping.written(fields(recorded("UpdateAddress")), codes.ADDRESS_FIELDS)
    address = written.record("Address", mapping.address)
    assert (address.id, address.type, address.is_default) == ("ADR-103", "SHIPPING", False)
    assert written.optional("Customer", mapping.customer) is None


def test_a_refused_write_names_each_field_and_rule() -> None:
    with pytest.raises(UpstreamRefused) as refused:
        mapping.written(fields(recorded("CreateAddress")), codes.ADDRESS_FIELDS)
    assert [(r.field, r.code) for r in refused.value.refusals] == [
        ("name", "REQUIRED"),
        ("postal_code", "INVALID_POSTAL_CODE"),
    ]
    assert refused.value.refusals[1].message == "Swiss postal codes have 4 digits."
    with pytest.raises(UpstreamRefused) as last:
        mapping.written(fields(recorded("DeleteAddress")), codes.ADDRESS_FIELDS)
    assert [(r.field, r.code) for r in last.value.refusals] == [
        ("address_id", "LAST_BILLING_ADDRESS")
    ]


def test_a_refused_line_is_named_by_its_position_in_the_list() -> None:
    answer = {"Return": [
        {"Type": "E", "Code": "QUANTITY_INVALID", "Text": "0", "Field": "Line[2]/Quantity"},
        {"Type": "E", "Code": "TOO_MANY_LINES", "Text": "at most 100 lines", "Field": "Line"},
        {"Type": "E", "Code": "FIELD_TOO_LONG", "Text": "too long", "Field": "RequestedBy"},
    ]}  # fmt: skip
    with pytest.raises(UpstreamRefused) as refused:
        mapping.written(fields(answer), codes.SALES_FIELDS)
    assert [(r.field, r.code) for r in refused.value.refusals] == [
        ("lines.1.quantity", "INVALID_QUANTITY"),
        ("lines", "TOO_MANY_LINES"),
        (None, "TOO_LONG"),  # the viewer's name: no field of theirs
    ]


def test_unknown_refusals_are_refused_and_warnings_refuse_nothing() -> None:
    line = {"Type": "E", "Field": "Fax", "Code": "FAX_OBSOLETE", "Text": "No more faxes."}
    with pytest.raises(UpstreamRefused) as refused:
        mapping.written(fields({"Return": [line]}), codes.CUSTOMER_FIELDS)
    [refusal] = refused.value.refusals
    assert (refusal.field, refusal.code, refusal.message) == (None, "REFUSED", "No more faxes.")
    warned = mapping.written(fields({"Return": [{**line, "Type": "W"}]}), codes.CUSTOMER_FIELDS)
    assert warned.optional("Customer", mapping.customer) is None


def test_a_write_answer_without_its_record_is_a_bad_response() -> None:
    written = mapping.written(fields({"Return": None}), codes.CUSTOMER_FIELDS)
    with pytest.raises(UpstreamBadResponse, match="the Customer written is missing"):
        written.record("Customer", mapping.customer)
