"""The ports: one Protocol per domain, batch-first, each implemented by an adapter package.

Batch contract for every `get_*`/`*_of` method: the result has one entry per key, in the
order of the keys; `None` (or an empty list) for a key the upstream does not know. List
methods return every matching record of one customer (adapters page through the upstream,
bounded); the resolvers filter derived states, sort and paginate. All methods raise only
`connectors.base.errors.UpstreamError` subclasses. Tenancy is checked by the caller: records
carry their `customer`, so a by-id read never needs to know who asks.

Writes are sent once and never retried (an unknown outcome is not repeated). A write the
system refuses, for its data or under its business rules, raises `UpstreamRefused` with the
reasons in the portal's terms (field, code, message); writes on behalf of a customer name the
customer, and the system refuses another customer's records as unknown.
"""

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date
from typing import Protocol, runtime_checkable

from connectors.base.records import (
    Address,
    AddressFields,
    Booking,
    BookingRequest,
    CaseRef,
    Consent,
    ConsentDecision,
    Contact,
    ContactFields,
    Customer,
    CustomerSegment,
    DataSubject,
    Delivery,
    Document,
    DocumentLine,
    DocumentVersion,
    DownloadedContent,
    ErasureOutcome,
    Invoice,
    Message,
    NewDocument,
    NewMessage,
    NewPrivacyRequest,
    NewTicket,
    NewVersion,
    OpenItem,
    Order,
    Payment,
    PaymentStart,
    PersonalRecord,
    PrivacyRequest,
    PrivacyRequestUpdate,
    ProfileChange,
    Quote,
    QuoteRequest,
    ReadState,
    Refund,
    ServiceOffering,
    Slot,
    System,
    Ticket,
    TicketChanges,
)


@dataclass(frozen=True)
class ListFilter:
    """What list methods push down to the upstream: free text (number, reference, subject)
    and a date range on the record's main date."""

    search: str | None = None
    date_from: date | None = None
    date_to: date | None = None


class Closeable(Protocol):
    async def aclose(self) -> None:
        """Release connections; the app's lifespan calls it once at shutdown."""


class OrganizationPort(Closeable, Protocol):
    """Reads, and the customer's master-data writes. A write is sent once, never retried;
    one the system refuses for its data or a business rule raises `UpstreamRefused` (an
    unknown or another customer's address among them) and changes nothing. A change that
    needs the provider's approval is kept as requested: the answered record is
    PENDING_APPROVAL and still shows the values in effect."""

    async def get_customers(self, numbers: Sequence[str]) -> list[Customer | None]: ...
    async def addresses_of(self, customers: Sequence[str]) -> list[list[Address]]: ...
    async def update_customer(self, number: str, change: ProfileChange) -> Customer: ...
    async def set_invoice_channel(
        self, number: str, channel: str, ebill_recipient_id: str | None
    ) -> Customer: ...
    async def create_address(
        self, customer: str, address_type: str, fields: AddressFields
    ) -> Address: ...
    async def update_address(
        self, customer: str, address_id: str, fields: AddressFields
    ) -> Address: ...
    async def delete_address(self, customer: str, address_id: str) -> None: ...
    async def set_default_address(self, customer: str, address_id: str) -> Address:
        """The address as its type's default; the previous default is one no longer."""
        ...


class ContactPort(Closeable, Protocol):
    """Reads, and writes of a customer's contact persons: sent once, never retried; refused
    data (an unknown contact among it) raises `UpstreamRefused` and changes nothing."""

    async def contacts_of(self, customers: Sequence[str]) -> list[list[Contact]]: ...
    async def create_contact(self, customer: str, fields: ContactFields) -> Contact: ...
    async def update_contact(self, contact_id: str, fields: ContactFields) -> Contact: ...
    async def delete_contact(self, contact_id: str) -> None: ...


class ConsentPort(Closeable, Protocol):
    async def consents_of(self, customers: Sequence[str]) -> list[list[Consent]]:
        """Every consent decision of each customer's people, oldest first."""
        ...

    async def consent_texts(self) -> dict[str, str]:
        """The current text version of each purpose (what a grant must name)."""
        ...

    async def record_consent(self, decision: ConsentDecision) -> Consent:
        """Append a decision; a write, never retried. `UpstreamRejected` when the CRM refuses
        it (an outdated text version, an unknown organization)."""
        ...


class SegmentPort(Closeable, Protocol):
    async def segments_of(self, customers: Sequence[str]) -> list[CustomerSegment | None]:
        """Each customer's segment in the CRM; None for a customer the CRM does not know."""
        ...


class QuotePort(Closeable, Protocol):
    async def get_quotes(self, ids: Sequence[str]) -> list[Quote | None]: ...
    async def list_quotes(self, customer: str, query: ListFilter) -> list[Quote]: ...
    async def quote_lines(self, quote_ids: Sequence[str]) -> list[list[DocumentLine]]: ...
    async def request_quote(self, request: QuoteRequest) -> Quote:
        """A new quote the provider will prepare (status REQUESTED)."""
        ...

    async def accept_quote(
        self, customer: str, quote_id: str, signer: str, customer_reference: str | None
    ) -> tuple[Quote, Order]:
        """Sign a sent, valid quote: the accepted quote and the order it became."""
        ...

    async def decline_quote(self, customer: str, quote_id: str, reason: str) -> Quote: ...


class OrderPort(Closeable, Protocol):
    async def get_orders(self, ids: Sequence[str]) -> list[Order | None]: ...
    async def list_orders(self, customer: str, query: ListFilter) -> list[Order]: ...
    async def order_lines(self, order_ids: Sequence[str]) -> list[list[DocumentLine]]: ...
    async def deliveries_of(self, order_ids: Sequence[str]) -> list[list[Delivery]]: ...
    async def reorder(
        self, customer: str, order_id: str, customer_reference: str | None
    ) -> Order | Quote:
        """The order's lines once more: a new order, or a quote when the system re-prices."""
        ...

    async def cancel_order(self, customer: str, order_id: str, reason: str) -> Order:
        """The cancelled order; refused once it has shipped or been invoiced."""
        ...


class InvoicePort(Closeable, Protocol):
    async def get_invoices(self, ids: Sequence[str]) -> list[Invoice | None]: ...
    async def list_invoices(self, customer: str, query: ListFilter) -> list[Invoice]: ...
    async def invoices_of_orders(self, order_ids: Sequence[str]) -> list[list[Invoice]]: ...
    async def credit_notes_of(self, invoice_ids: Sequence[str]) -> list[list[Invoice]]: ...
    async def open_items(self, customers: Sequence[str]) -> list[list[OpenItem]]: ...


class PaymentPort(Closeable, Protocol):
    async def get_payments(self, ids: Sequence[str]) -> list[Payment | None]: ...
    async def payments_of(self, customers: Sequence[str]) -> list[list[Payment]]: ...
    async def refunds_of(self, payment_ids: Sequence[str]) -> list[list[Refund]]: ...
    async def start_payment(self, start: PaymentStart) -> Payment:
        """A new payment at the provider, created at most once per `start.idempotency_key`
        (the provider replays its first answer); a write, never retried."""
        ...

    async def cancel_payment(self, payment_id: str) -> Payment:
        """Cancel a payment still awaiting the customer; `UpstreamRejected` otherwise."""
        ...


class BookingPort(Closeable, Protocol):
    async def offerings_of(self, customers: Sequence[str]) -> list[list[ServiceOffering]]:
        """The services each customer may book, at its prices."""
        ...

    async def get_slots(self, ids: Sequence[str]) -> list[Slot | None]: ...
    async def slots_of(self, offering_id: str, first: date, last: date) -> list[Slot]:
        """An offering's slots starting on the days `first` to `last`, earliest first."""
        ...

    async def get_bookings(self, ids: Sequence[str]) -> list[Booking | None]: ...
    async def list_bookings(self, customer: str, query: ListFilter) -> list[Booking]: ...
    async def create_booking(self, request: BookingRequest) -> Booking:
        """A new booking, made at most once per `request.idempotency_key` (the upstream
        answers its first result again); refused (`UpstreamRefused`) when the slot has begun
        or has too few seats left."""
        ...

    async def reschedule_booking(
        self, customer: str, booking_id: str, slot_id: str, idempotency_key: str
    ) -> Booking:
        """Move a booking to another slot of its offering (as `create_booking` for keys and
        refusals)."""
        ...

    async def cancel_booking(
        self, customer: str, booking_id: str, reason: str | None, idempotency_key: str
    ) -> Booking:
        """Cancel a booking before its start (as `create_booking` for keys and refusals)."""
        ...


class TicketPort(Closeable, Protocol):
    """Tickets. The writes are sent once, never retried; a refusal raises `UpstreamRefused`
    (an unknown ticket, a value or a stage change the helpdesk does not accept)."""

    async def get_tickets(self, ids: Sequence[str]) -> list[Ticket | None]: ...
    async def list_tickets(self, customer: str, query: ListFilter) -> list[Ticket]: ...
    async def create_ticket(self, ticket: NewTicket) -> Ticket: ...
    async def update_ticket(self, ticket_id: str, changes: TicketChanges) -> Ticket: ...
    async def close_ticket(self, ticket_id: str) -> Ticket: ...
    async def reopen_ticket(self, ticket_id: str) -> Ticket:
        """A RESOLVED or CLOSED ticket back in progress."""
        ...

    async def rate_ticket(self, ticket_id: str, rating: int, comment: str | None) -> Ticket:
        """The customer's satisfaction (1–5) with a RESOLVED or CLOSED ticket."""
        ...


class ThreadPort(Closeable, Protocol):
    """The messages on cases (S9) and how far each portal user has read them."""

    async def messages_of(self, subjects: Sequence[CaseRef]) -> list[list[Message]]:
        """Public messages only, oldest first; internal notes never leave the adapter."""
        ...

    async def post_message(self, message: NewMessage) -> Message:
        """Written once, never retried; `UpstreamRefused` when the system refuses it."""
        ...

    async def read_states(self, user: str, subjects: Sequence[CaseRef]) -> list[ReadState]:
        """How far `user` has read each subject (`seen_message_id` None: nothing yet)."""
        ...

    async def mark_read(self, user: str, customer: str, subject: CaseRef) -> ReadState:
        """Mark every message on `subject` (a case of `customer`) read for `user`."""
        ...


class DocumentPort(Closeable, Protocol):
    async def get_documents(self, ids: Sequence[str]) -> list[Document | None]:
        """A document deleted upstream (a tombstone) is `None`, like an unknown one."""
        ...

    async def list_documents(self, customer: str, query: ListFilter) -> list[Document]: ...
    async def documents_of(self, subjects: Sequence[CaseRef]) -> list[list[Document]]: ...
    async def versions_of(self, document_ids: Sequence[str]) -> list[list[DocumentVersion]]:
        """Every version of each document, newest first."""
        ...

    def download(
        self, document_id: str, version_id: str
    ) -> AbstractAsyncContextManager[DownloadedContent | None]:
        """The content of a version, streamed while the block runs (`None` when unknown); the
        connection is released when the block ends."""
        ...

    def rendition(
        self, document_id: str, version_id: str, kind: str
    ) -> AbstractAsyncContextManager[DownloadedContent | None]:
        """The DMS's own rendition of a version (`kind` as in `Rendition.kind`), streamed as
        `download`; `None` where it has none."""
        ...

    async def create_document(self, new: NewDocument) -> Document:
        """Store a new document with its first version, whole or not at all; a write, never
        retried. `UpstreamRefused` (at `upload`) when the DMS refuses the file: virus, size,
        media type."""
        ...

    async def add_version(self, new: NewVersion) -> Document | None:
        """Check in the next version of a document and answer the document with it as its
        latest; `None` when the DMS does not know the document. As `create_document`."""
        ...


@runtime_checkable
class PersonalDataPort(Protocol):
    """What every system holding personal data answers for privacy requests (GDPR, the Swiss
    FADP): each adapter finds the person's records by its own means (`DataSubject`)."""

    @property
    def system(self) -> System: ...

    async def export_personal_data(
        self, subject: DataSubject, scope: frozenset[str]
    ) -> list[PersonalRecord]:
        """Every record about `subject` in the categories of `scope`, and nothing of anyone
        else; reads only."""
        ...

    async def erase_personal_data(
        self, subject: DataSubject, scope: frozenset[str], request_id: str
    ) -> ErasureOutcome:
        """Erase the records about `subject` in `scope`, but for those the system must keep
        (its legal holds); a write, sent once and never retried. Erasing what is gone
        already changes nothing, so a request may be sent again."""
        ...


@runtime_checkable
class DeferredErasure(Protocol):
    """A system whose erasures may finish later (a provider's redaction job)."""

    async def erasure_progress(self, reference: str) -> ErasureOutcome:
        """Where the erasure a PENDING outcome names stands now; a read."""
        ...


class PrivacyRequestPort(Closeable, Protocol):
    """The privacy requests (export, erasure) the CRM keeps as their record of truth."""

    async def privacy_requests_of(self, customers: Sequence[str]) -> list[list[PrivacyRequest]]:
        """Every request of each organization's people, oldest first."""
        ...

    async def open_privacy_request(self, new: NewPrivacyRequest) -> PrivacyRequest:
        """Record a new request (RECEIVED); a write, never retried. `UpstreamRefused` when the
        CRM refuses it (one of this type is still open, a scope it does not accept)."""
        ...

    async def update_privacy_request(
        self, request_id: str, update: PrivacyRequestUpdate
    ) -> PrivacyRequest:
        """Record a request's progress or outcome; a write. A finished request is final."""
        ...
