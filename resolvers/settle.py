"""Reading a change back from its system of record before anyone is told about it.

A thin event names only an id, and a webhook's word on who owns a record is not what tenancy
should rest on: the organization and the related records come from the record itself. A fat
event that reports a state the record has already left (an older event delivered late, such
as `processing` after `succeeded`) is superseded and answers None, as does a change to a
record that no longer exists.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace

from connectors.base.changes import Change
from connectors.base.records import Booking, CaseRef, Invoice, Order, Quote, Ticket
from resolvers.upstreams import Upstreams

CaseReader = Callable[
    [Upstreams, Sequence[str]],
    Awaitable[Sequence[Quote | Order | Invoice | Ticket | Booking | None]],
]
CASE_READERS: dict[str, CaseReader] = {
    "QUOTE": lambda upstreams, ids: upstreams.quotes.get_quotes(ids),
    "ORDER": lambda upstreams, ids: upstreams.orders.get_orders(ids),
    "INVOICE": lambda upstreams, ids: upstreams.invoices.get_invoices(ids),
    "TICKET": lambda upstreams, ids: upstreams.tickets.get_tickets(ids),
    "BOOKING": lambda upstreams, ids: upstreams.bookings.get_bookings(ids),
}
"""How each case type with a message thread is read from its system of record."""


def _current(change: Change, status_code: str) -> bool:
    """False when the event reports a state other than the record's current one."""
    return change.status is None or change.status == status_code


def _related(change: Change, ref_type: str) -> str | None:
    return next((ref.id for ref in change.related if ref.type == ref_type), None)


async def settle(change: Change, upstreams: Upstreams) -> Change | None:
    key = change.entity_id
    if change.entity == "PAYMENT":
        payment = (await upstreams.payments.get_payments([key]))[0]
        if payment is None or not _current(change, payment.source_status.code):
            return None
        invoices = tuple(CaseRef("INVOICE", a.invoice_id) for a in payment.allocations)
        return replace(change, customer=payment.customer, related=invoices)
    if change.entity == "ORDER":
        order = (await upstreams.orders.get_orders([key]))[0]
        return replace(change, customer=order.customer) if order else None
    if change.entity == "DELIVERY":
        order_id = _related(change, "ORDER")
        found = (await upstreams.orders.deliveries_of([order_id]))[0] if order_id else []
        delivery = next((d for d in found if d.id == key), None)
        return replace(change, customer=delivery.customer) if delivery else None
    if change.entity == "INVOICE":
        invoice = (await upstreams.invoices.get_invoices([key]))[0]
        if invoice is None:
            return None
        of_order = (CaseRef("ORDER", invoice.order_id),) if invoice.order_id else ()
        return replace(change, customer=invoice.customer, related=of_order)
    if change.entity == "BOOKING":
        booking = (await upstreams.bookings.get_bookings([key]))[0]
        return replace(change, customer=booking.customer) if booking else None
    if change.entity == "TICKET":
        ticket = (await upstreams.tickets.get_tickets([key]))[0]
        if ticket is None or not _current(change, ticket.source_status.code):
            return None
        return replace(change, customer=ticket.customer)
    if change.entity == "MESSAGE":
        return await _message(change, upstreams)
    if change.entity == "PRIVACY_REQUEST":
        return await _privacy_request(change, upstreams)
    if change.entity == "DOCUMENT":
        document = (await upstreams.documents.get_documents([key]))[0]
        if document is None:
            return None
        versions = tuple(ref for ref in change.related if ref.type == "VERSION")
        return replace(change, customer=document.customer, related=document.subjects + versions)
    return change  # a notice: the CRM's event is the whole record


async def _message(change: Change, upstreams: Upstreams) -> Change | None:
    """A message's organization is its case's: the case is read from its own system."""
    subject = next((ref for ref in change.related if ref.type in CASE_READERS), None)
    if subject is None:
        return None
    case = (await CASE_READERS[subject.type](upstreams, [subject.id]))[0]
    messages = (await upstreams.threads.messages_of([subject]))[0]
    if case is None or not any(message.id == change.entity_id for message in messages):
        return None  # unknown, or an internal note: never told to anyone
    return replace(change, customer=case.customer)


async def _privacy_request(change: Change, upstreams: Upstreams) -> Change | None:
    """A privacy request's organization is the CRM's word, read back."""
    if change.customer is None:
        return None
    [requests] = await upstreams.privacy_requests.privacy_requests_of([change.customer])
    found = next((r for r in requests if r.id == change.entity_id), None)
    return replace(change, customer=found.customer) if found else None
