"""The ports the resolvers read through, one adapter each, chosen by the composition root,
the identity provider's user directory, and every system that holds personal data."""

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
    PersonalDataPort,
    PrivacyRequestPort,
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
    privacy_requests: PrivacyRequestPort
    personal_data: tuple[PersonalDataPort, ...] = ()
    """Each system's privacy port (every adapter, and the identity provider's accounts)."""
