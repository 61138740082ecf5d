"""The ports the resolvers read through, one adapter each, chosen by the composition root,
and the identity provider's user directory."""

from dataclasses import dataclass

from connectors.base.ports import (
    BookingPort,
    ConsentPort,
    ContactPort,
    DocumentPort,
    InvoicePort,
    OrderPort,
    OrganizationPort,
    PaymentPort,
    QuotePort,
    SegmentPort,
    ThreadPort,
    TicketPort,
)
from resolvers.directory import Directory


@dataclass(frozen=True)
class Upstreams:
    organizations: OrganizationPort
    contacts: ContactPort
    quotes: QuotePort
    orders: OrderPort
    invoices: InvoicePort
    payments: PaymentPort
    tickets: TicketPort
    threads: ThreadPort
    documents: DocumentPort
    consents: ConsentPort
    segments: SegmentPort
    directory: Directory
    bookings: BookingPort
