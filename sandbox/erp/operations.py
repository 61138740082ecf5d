"""The sandbox ERP's operations: each reads a schema-valid request element and the seed, and
returns the response element. Batch reads answer the ids they know, in request order; list
reads page through one customer's records, newest first."""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Self, TypeVar

from lxml import etree

from sandbox.erp import serialize
from sandbox.erp.bookings import booking_element, seats_left, slot_of
from sandbox.erp.envelope import SoapClientError, erp_element, qname
from sandbox.model import Invoice, Seed

Handler = Callable[[Seed, etree._Element], etree._Element]
R = TypeVar("R")
MAX_SLOT_DAYS = 92
"""The longest range of days ListServiceSlots answers."""

OPERATIONS: dict[str, Handler] = {}


def operation(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        OPERATIONS[name] = handler
        return handler

    return register


def _texts(request: etree._Element, name: str) -> list[str]:
    return [child.text or "" for child in request.iterfind(qname(name))]


def _response(name: str, children: Iterable[etree._Element]) -> etree._Element:
    response = erp_element(f"{name}Response")
    response.extend(children)
    return response


def _by_ids(records: Iterable[R], ids: Sequence[str], key: Callable[[R], str]) -> list[R]:
    """The records with these ids, in request order, each once; unknown ids are left out."""
    index = {key(record): record for record in records}
    return [index[record_id] for record_id in dict.fromkeys(ids) if record_id in index]


@dataclass(frozen=True)
class _ListRequest:
    customer: str
    search: str | None
    date_from: date | None
    date_to: date | None
    offset: int
    limit: int

    @classmethod
    def parse(cls, request: etree._Element) -> Self:
        def optional(name: str) -> str | None:
            value = request.findtext(qname(name))
            return value or None

        def day(name: str) -> date | None:
            value = optional(name)
            return date.fromisoformat(value[:10]) if value else None

        return cls(
            customer=request.findtext(qname("CustomerNumber")) or "",
            search=optional("Search"),
            date_from=day("DateFrom"),
            date_to=day("DateTo"),
            offset=int(request.findtext(qname("Offset")) or 0),
            limit=int(request.findtext(qname("Limit")) or 0),
        )

    def page(
        self,
        name: str,
        records: Iterable[R],
        customer_of: Callable[[R], str],
        texts_of: Callable[[R], Iterable[str | None]],
        when: Callable[[R], date],
        to_xml: Callable[[R], etree._Element],
    ) -> etree._Element:
        """`Total` matching records, then one page of them, newest first by `when` (a date or
        a datetime, whose calendar day the date range bounds)."""
        needle = self.search.casefold() if self.search else None

        def matches(record: R) -> bool:
            day = _day(when(record))
            return (
                customer_of(record) == self.customer
                and (
                    needle is None or any(needle in (t or "").casefold() for t in texts_of(record))
                )
                and (self.date_from is None or day >= self.date_from)
                and (self.date_to is None or day <= self.date_to)
            )

        matching = sorted(filter(matches, records), key=when, reverse=True)
        page = matching[self.offset : self.offset + self.limit]
        return _response(name, [erp_element("Total", str(len(matching))), *map(to_xml, page)])


def _day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


@operation("GetCustomers")
def get_customers(seed: Seed, request: etree._Element) -> etree._Element:
    found = _by_ids(seed.customers, _texts(request, "CustomerNumber"), lambda c: c.number)
    return _response("GetCustomers", map(serialize.customer, found))


@operation("GetAddresses")
def get_addresses(seed: Seed, request: etree._Element) -> etree._Element:
    customers = set(_texts(request, "CustomerNumber"))
    found = [address for address in seed.addresses if address.customer in customers]
    return _response("GetAddresses", map(serialize.address, found))


@operation("GetQuotes")
def get_quotes(seed: Seed, request: etree._Element) -> etree._Element:
    found = _by_ids(seed.quotes, _texts(request, "QuoteId"), lambda q: q.id)
    return _response("GetQuotes", map(serialize.quote, found))


@operation("ListQuotes")
def list_quotes(seed: Seed, request: etree._Element) -> etree._Element:
    return _ListRequest.parse(request).page(
        "ListQuotes",
        seed.quotes,
        lambda q: q.customer,
        lambda q: [q.number],
        lambda q: q.created_at,
        serialize.quote,
    )


@operation("GetQuoteLines")
def get_quote_lines(seed: Seed, request: etree._Element) -> etree._Element:
    found = _by_ids(seed.quotes, _texts(request, "QuoteId"), lambda q: q.id)
    groups = (serialize.line_group("QuoteLines", q.id, q.currency, q.lines) for q in found)
    return _response("GetQuoteLines", groups)


@operation("GetOrders")
def get_orders(seed: Seed, request: etree._Element) -> etree._Element:
    found = _by_ids(seed.orders, _texts(request, "OrderId"), lambda o: o.id)
    return _response("GetOrders", map(serialize.order, found))


@operation("ListOrders")
def list_orders(seed: Seed, request: etree._Element) -> etree._Element:
    return _ListRequest.parse(request).page(
        "ListOrders",
        seed.orders,
        lambda o: o.customer,
        lambda o: [o.number, o.client_order_ref],
        lambda o: o.date_order,
        serialize.order,
    )


@operation("GetOrderLines")
def get_order_lines(seed: Seed, request: etree._Element) -> etree._Element:
    found = _by_ids(seed.orders, _texts(request, "OrderId"), lambda o: o.id)
    groups = (serialize.line_group("OrderLines", o.id, o.currency, o.lines) for o in found)
    return _response("GetOrderLines", groups)


@operation("GetDeliveriesByOrders")
def get_deliveries_by_orders(seed: Seed, request: etree._Element) -> etree._Element:
    orders = set(_texts(request, "OrderId"))
    found = [delivery for delivery in seed.deliveries if delivery.order_id in orders]
    return _response("GetDeliveriesByOrders", map(serialize.delivery, found))


@operation("GetInvoices")
def get_invoices(seed: Seed, request: etree._Element) -> etree._Element:
    found = _by_ids(seed.invoices, _texts(request, "InvoiceId"), lambda i: i.id)
    return _response("GetInvoices", map(serialize.invoice, found))


@operation("ListInvoices")
def list_invoices(seed: Seed, request: etree._Element) -> etree._Element:
    return _ListRequest.parse(request).page(
        "ListInvoices",
        seed.invoices,
        lambda i: i.customer,
        lambda i: [i.number, i.payment_reference],
        lambda i: i.invoice_date,
        serialize.invoice,
    )


def _invoices_where(seed: Seed, name: str, keep: Callable[[Invoice], bool]) -> etree._Element:
    return _response(name, map(serialize.invoice, filter(keep, seed.invoices)))


@operation("GetInvoicesByOrders")
def get_invoices_by_orders(seed: Seed, request: etree._Element) -> etree._Element:
    orders = set(_texts(request, "OrderId"))
    return _invoices_where(seed, "GetInvoicesByOrders", lambda i: i.order_id in orders)


@operation("GetCreditNotes")
def get_credit_notes(seed: Seed, request: etree._Element) -> etree._Element:
    invoices = set(_texts(request, "InvoiceId"))
    return _invoices_where(
        seed,
        "GetCreditNotes",
        lambda i: i.move_type == "out_refund" and i.reversed_invoice_id in invoices,
    )


@operation("GetOpenItems")
def get_open_items(seed: Seed, request: etree._Element) -> etree._Element:
    customers = set(_texts(request, "CustomerNumber"))
    found = [
        invoice
        for invoice in seed.invoices
        if invoice.customer in customers and invoice.state == "posted" and invoice.amount_residual
    ]
    return _response("GetOpenItems", map(serialize.open_item, found))


@operation("GetChanges")
def get_changes(seed: Seed, request: etree._Element) -> etree._Element:
    since = int(request.findtext(qname("SinceStamp")) or 0)
    limit = int(request.findtext(qname("Limit")) or 0)
    found = [change for change in seed.erp_changes if change.stamp > since][:limit]
    last = seed.erp_changes[-1].stamp if seed.erp_changes else 0
    return _response(
        "GetChanges", [erp_element("LastStamp", str(last)), *map(serialize.change, found)]
    )


@operation("GetServiceOfferings")
def get_service_offerings(seed: Seed, request: etree._Element) -> etree._Element:
    """Every offering for each known customer, at the price of its currency."""
    customers = _by_ids(seed.customers, _texts(request, "CustomerNumber"), lambda c: c.number)
    return _response(
        "GetServiceOfferings",
        [serialize.offering(offering, c) for c in customers for offering in seed.offerings],
    )


@operation("GetServiceSlots")
def get_service_slots(seed: Seed, request: etree._Element) -> etree._Element:
    found = _by_ids(seed.slots, _texts(request, "SlotId"), lambda s: s.id)
    return _response("GetServiceSlots", [serialize.slot(s, seats_left(seed, s)) for s in found])


@operation("ListServiceSlots")
def list_service_slots(seed: Seed, request: etree._Element) -> etree._Element:
    """An offering's slots starting on the days from DateFrom to DateTo, earliest first."""
    offering = request.findtext(qname("OfferingId"))
    first = date.fromisoformat((request.findtext(qname("DateFrom")) or "")[:10])
    last = date.fromisoformat((request.findtext(qname("DateTo")) or "")[:10])
    if not 0 <= (last - first).days < MAX_SLOT_DAYS:
        raise SoapClientError(f"DateFrom to DateTo must span 1 to {MAX_SLOT_DAYS} days")
    found = sorted(
        (s for s in seed.slots if s.offering_id == offering and first <= s.start.date() <= last),
        key=lambda s: (s.start, s.id),
    )
    return _response("ListServiceSlots", [serialize.slot(s, seats_left(seed, s)) for s in found])


@operation("GetServiceBookings")
def get_service_bookings(seed: Seed, request: etree._Element) -> etree._Element:
    found = _by_ids(seed.bookings, _texts(request, "BookingId"), lambda b: b.id)
    return _response("GetServiceBookings", [booking_element(seed, b) for b in found])


@operation("ListServiceBookings")
def list_service_bookings(seed: Seed, request: etree._Element) -> etree._Element:
    return _ListRequest.parse(request).page(
        "ListServiceBookings",
        seed.bookings,
        lambda b: b.customer,
        lambda b: [b.number],
        lambda b: slot_of(seed, b.slot_id).start,
        lambda b: booking_element(seed, b),
    )
