"""The shared vocabulary between connectors and resolvers: frozen records in the portal's terms.

Adapters map their upstream payloads to these in their `mapping.py`; statuses are already the
unified enums of domain.md §4, with the raw upstream state kept in `source_status`. Every
record that belongs to a customer carries its `customer` number, which the resolvers check
against the viewer's organization after the cache.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import BinaryIO

from connectors.base.quick_init import quick_init


class System(Enum):
    ERP = "erp"
    CRM = "crm"
    DMS = "dms"
    PAYMENTS = "payments"
    IDP = "idp"
    """The identity provider's user directory (Keycloak's admin API)."""


@quick_init
@dataclass(frozen=True)
class SourceStatus:
    code: str
    label: str


@dataclass(frozen=True)
class Amount:
    value: Decimal
    currency: str


@dataclass(frozen=True)
class Customer:
    number: str
    kind: str  # COMPANY | PERSON
    legal_name: str
    vat_id: str | None
    default_locale: str
    currency: str
    credit_status: str  # OK | ON_HOLD | BLOCKED
    invoice_delivery_channel: str  # PORTAL | EMAIL_PDF | EBILL | PAPER
    ebill_recipient_id: str | None
    credit_limit: Amount
    change_request_status: str = "APPLIED"  # APPLIED | PENDING_APPROVAL | REJECTED
    """Of the last change that needed the provider's approval (legal name, UID); while it
    is PENDING_APPROVAL the old values stay in effect."""


@dataclass(frozen=True)
class Address:
    id: str
    customer: str
    type: str  # BILLING | SHIPPING | POSTAL
    name: str
    street: str
    house_number: str
    postal_code: str
    city: str
    country_code: str
    is_default: bool
    change_request_status: str = "APPLIED"  # APPLIED | PENDING_APPROVAL | REJECTED


@dataclass(frozen=True)
class Contact:
    id: str
    customer: str
    first_name: str
    last_name: str
    email: str
    phone: str | None
    job_title: str | None


@dataclass(frozen=True)
class ProfileChange:
    """What a customer changes of its own master data; None leaves a field as it is."""

    legal_name: str | None = None
    vat_id: str | None = None
    default_locale: str | None = None


@dataclass(frozen=True)
class AddressFields:
    """An address's values to write; None leaves a field as it is (a new address needs all
    but the house number)."""

    name: str | None = None
    street: str | None = None
    house_number: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country_code: str | None = None


@dataclass(frozen=True)
class ContactFields:
    """A contact person's values to write; None leaves a field as it is, an empty phone or
    job title clears it."""

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    job_title: str | None = None


@dataclass(frozen=True)
class DocumentLine:
    """A line of a quote or an order."""

    position: int
    product_code: str
    description: str
    quantity: Decimal
    delivered_quantity: Decimal
    invoiced_quantity: Decimal
    unit_price: Amount
    total: Amount


@dataclass(frozen=True)
class Totals:
    untaxed: Amount
    tax: Amount
    total: Amount


@dataclass(frozen=True)
class Quote:
    id: str
    number: str
    customer: str
    status: str  # SENT | ACCEPTED | DECLINED | CANCELLED | DRAFT (EXPIRED is derived)
    source_status: SourceStatus
    created_at: datetime
    updated_at: datetime
    valid_until: date
    totals: Totals
    signed_by: str | None
    signed_at: datetime | None
    decline_reason: str | None
    order_id: str | None
    # A request for quotation from the portal (status REQUESTED); defaults keep the cache
    # entries of quotes written before these fields existed readable.
    requested_by: str | None = None
    request_note: str | None = None
    requested_date: date | None = None


@dataclass(frozen=True)
class LineRequest:
    product_code: str
    quantity: Decimal


@dataclass(frozen=True)
class QuoteRequest:
    """What a customer asks a quote for: products and quantities, a free-text note, or both."""

    customer: str
    requested_by: str
    lines: tuple[LineRequest, ...]
    note: str | None
    requested_date: date | None


@dataclass(frozen=True)
class Order:
    id: str
    number: str
    customer: str
    status: str  # CONFIRMED | IN_PROGRESS | DELIVERED | COMPLETED | ON_HOLD | CANCELLED
    delivery_status: str  # NOT_DELIVERED | PARTIALLY_DELIVERED | DELIVERED | NOT_APPLICABLE
    invoice_status: str  # NOTHING_TO_INVOICE | TO_INVOICE | PARTIALLY_INVOICED | INVOICED
    source_status: SourceStatus
    customer_reference: str | None
    ordered_at: datetime
    requested_delivery_date: date | None
    updated_at: datetime
    block_reason: str | None
    quote_id: str | None
    totals: Totals


@dataclass(frozen=True)
class DeliveryLine:
    position: int
    quantity: Decimal


@dataclass(frozen=True)
class Delivery:
    id: str
    number: str
    order_id: str
    customer: str
    status: str  # PLANNED | READY | SHIPPED | DELIVERED | CANCELLED
    source_status: SourceStatus
    scheduled_date: date | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    carrier: str | None
    tracking_number: str | None
    lines: tuple[DeliveryLine, ...]


@dataclass(frozen=True)
class Invoice:
    id: str
    number: str
    customer: str
    kind: str  # INVOICE | CREDIT_NOTE
    status: str  # OPEN | PARTIALLY_PAID | IN_PAYMENT | PAID | CANCELLED | REVERSED | UNCOLLECTIBLE
    source_status: SourceStatus
    issued_at: date
    due_date: date
    totals: Totals
    amount_paid: Amount
    amount_residual: Amount
    payment_reference: str | None
    reference_type: str  # QRR | SCOR | NON
    delivery_channel: str
    dunning_level: int
    order_id: str | None
    updated_at: datetime
    credit_note_reason: str | None  # RETURN | PRICE_CORRECTION | DUPLICATE | GOODWILL | OTHER
    credit_note_settlement: str | None  # OFFSET_AGAINST_INVOICE | REFUND | CUSTOMER_CREDIT
    applied_to_invoice_id: str | None
    open_amount_qr_bill: bool


@dataclass(frozen=True)
class OpenItem:
    """One entry of the customer's open items in the ERP's accounts receivable."""

    invoice_id: str
    kind: str  # INVOICE | CREDIT_NOTE
    due_date: date
    residual: Amount


@dataclass(frozen=True)
class Allocation:
    invoice_id: str
    amount: Amount


@dataclass(frozen=True)
class Payment:
    id: str
    customer: str
    provider: str
    method: str  # CARD | TWINT | POSTFINANCE | BANK_TRANSFER_QR | EBILL | SEPA_DD | OTHER
    status: str  # PENDING | REQUIRES_ACTION | PROCESSING | ... | PARTIALLY_REFUNDED | DISPUTED
    source_status: SourceStatus
    amount: Amount
    amount_refunded: Amount
    allocations: tuple[Allocation, ...]
    failure_code: str | None
    failure_message: str | None
    next_action_url: str | None
    created_at: datetime
    settled_at: datetime | None


@dataclass(frozen=True)
class PaymentStart:
    """A new payment the portal asks the provider for: the invoices it settles (one currency,
    one customer), the method and the key that makes a retry harmless."""

    customer: str
    allocations: tuple[Allocation, ...]
    method: str
    return_url: str | None
    idempotency_key: str


@dataclass(frozen=True)
class ServiceOffering:
    """A service the customer books in slots, at the customer's price."""

    id: str
    customer: str
    name: str
    duration_minutes: int
    location: str  # ONSITE | REMOTE | PROVIDER_SITE
    price: Amount  # per participant when `per_participant`
    per_participant: bool
    """Each participant takes a seat of a slot (a course); else a booking takes one."""
    max_participants: int


@dataclass(frozen=True)
class Slot:
    id: str
    offering_id: str
    start: datetime
    end: datetime
    capacity_left: int
    """Seats still free."""


@dataclass(frozen=True)
class Participant:
    name: str
    email: str | None


@dataclass(frozen=True)
class Booking:
    id: str
    number: str
    customer: str
    offering_id: str
    offering_name: str
    slot_id: str
    start: datetime
    end: datetime
    status: str  # REQUESTED | CONFIRMED | RESCHEDULED | CANCELLED | COMPLETED | NO_SHOW
    source_status: SourceStatus
    participants: tuple[Participant, ...]
    order_id: str | None
    cancel_reason: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class BookingRequest:
    """A booking the portal asks the ERP for, and the key that makes a retry harmless."""

    customer: str
    slot_id: str
    participants: tuple[Participant, ...]
    idempotency_key: str


@dataclass(frozen=True)
class Refund:
    id: str
    payment_id: str
    amount: Amount
    status: str  # PENDING | SUCCEEDED | FAILED | CANCELED
    reason: str | None
    created_at: datetime


@quick_init
@dataclass(frozen=True)
class SlaClock:
    first_response_due_at: datetime
    resolution_due_at: datetime
    first_responded_at: datetime | None
    resolved_at: datetime | None
    paused_since: datetime | None
    source_status: str  # the upstream's SLA state, e.g. Odoo's ongoing | reached | failed


@quick_init
@dataclass(frozen=True)
class CaseRef:
    """A reference from one system's record to a case in another (an ERP order, a ticket)."""

    type: str  # QUOTE | ORDER | INVOICE | TICKET | BOOKING | DELIVERY
    id: str


@quick_init
@dataclass(frozen=True)
class Ticket:
    id: str
    number: str
    customer: str
    subject: str
    description: str
    category: str
    priority: str  # LOW | NORMAL | HIGH | URGENT
    status: str  # NEW | IN_PROGRESS | WAITING_ON_CUSTOMER | RESOLVED | CLOSED | CANCELLED
    source_status: SourceStatus
    channel: str
    created_by: str
    assignee: str | None
    created_at: datetime
    updated_at: datetime
    satisfaction_rating: int | None
    related_case: CaseRef | None
    sla: SlaClock
    satisfaction_comment: str | None = None


@dataclass(frozen=True)
class NewTicket:
    """A ticket the portal opens in the CRM for `customer` (from the portal's ticket form, a
    dispute, an order the ERP cannot cancel)."""

    customer: str
    subject: str
    description: str
    category: str
    priority: str  # LOW | NORMAL | HIGH | URGENT
    created_by: str
    """The author's display name."""
    related_case: CaseRef | None


@dataclass(frozen=True)
class TicketChanges:
    """What the customer changes on an open ticket; None leaves a field as it is."""

    subject: str | None = None
    description: str | None = None
    category: str | None = None
    priority: str | None = None


@quick_init
@dataclass(frozen=True)
class Message:
    """A public message on a case (a ticket, or an ERP record the CRM links it to); adapters
    drop internal notes before they get here."""

    id: str
    subject: CaseRef
    author_name: str
    author_is_provider: bool
    author_id: str | None
    """The portal user (identity provider subject) who wrote it; None for anyone else."""
    body: str
    created_at: datetime
    attachment_ids: tuple[str, ...] = ()
    """Documents (DMS ids) attached to it."""


@dataclass(frozen=True)
class ReadState:
    """How far one portal user has read the messages on `subject`."""

    subject: CaseRef
    seen_message_id: str | None
    """The newest message the user marked read; None: none yet."""


@dataclass(frozen=True)
class NewMessage:
    """A message a portal user writes on a case of `customer`."""

    subject: CaseRef
    customer: str
    author_name: str
    author_id: str
    body: str
    attachment_ids: tuple[str, ...]


@dataclass(frozen=True)
class Consent:
    """One consent decision of a person (an organization's e-mail address), as the CRM keeps
    it: append-only, the newest decision per purpose is in force."""

    id: str
    customer: str
    email: str
    purpose: str  # MARKETING_EMAIL | ANALYTICS | PERSONALIZATION | EBILL_DATA_SHARING
    granted: bool
    text_version: str
    decided_at: datetime


@dataclass(frozen=True)
class CustomerSegment:
    """The CRM's segment of a customer (key account, SME, consumer…), which feature flags
    target; None where the CRM has none."""

    customer: str
    segment: str | None


@dataclass(frozen=True)
class ConsentDecision:
    """A decision the portal records for its viewer; a write."""

    customer: str
    email: str
    purpose: str
    granted: bool
    text_version: str


@dataclass(frozen=True)
class Rendition:
    kind: str  # THUMBNAIL | PREVIEW_PDF | PREVIEW_IMAGE
    status: str  # READY | PENDING | UNAVAILABLE
    mime_type: str | None


@dataclass(frozen=True)
class DocumentVersion:
    id: str
    document_id: str
    version_label: str
    is_major: bool
    is_latest: bool
    comment: str | None
    created_by: str
    created_at: datetime
    mime_type: str
    filename: str
    size: int
    content_hash: str
    renditions: tuple[Rendition, ...]


@dataclass(frozen=True)
class Document:
    id: str
    customer: str
    title: str
    document_type: str  # QUOTE | ORDER_CONFIRMATION | DELIVERY_NOTE | INVOICE | ... | OTHER
    audience: str  # COMMERCIAL | FINANCIAL | TECHNICAL | CONTRACT
    tags: tuple[str, ...]
    uploaded_by: str  # CUSTOMER | PROVIDER
    subjects: tuple[CaseRef, ...]
    created_at: datetime
    updated_at: datetime
    latest_version: DocumentVersion


@dataclass(frozen=True)
class FileContent:
    """A file to store upstream. Adapters read `stream` from its start in chunks, so that a
    large file never has to be in memory whole."""

    filename: str
    media_type: str
    size: int
    stream: BinaryIO


@dataclass(frozen=True)
class NewDocument:
    """A customer's document for the DMS: its first version is `file`."""

    customer: str
    title: str
    document_type: str  # as Document.document_type
    audience: str  # as Document.audience
    subjects: tuple[CaseRef, ...]
    created_by: str
    file: FileContent


@dataclass(frozen=True)
class NewVersion:
    """The next version of a document: the next major (2.0) or minor (1.1) label."""

    document_id: str
    is_major: bool
    comment: str | None
    created_by: str
    file: FileContent


@dataclass(frozen=True)
class DownloadedContent:
    """A version's bytes as the system streams them: read `chunks` once, while the download
    is open."""

    chunks: AsyncIterator[bytes]
    mime_type: str
    filename: str


PERSONAL_DATA_CATEGORIES = (
    "PROFILE",
    "SALES",
    "INVOICES",
    "PAYMENTS",
    "SUPPORT",
    "DOCUMENTS",
    "CONSENTS",
    "ACCOUNT",
)
"""What a privacy request covers: master data (the customer record and its addresses,
contact persons), quotes, orders, deliveries and bookings, invoices and credit notes,
payments, tickets and messages, documents, consent decisions, the portal login."""


@dataclass(frozen=True)
class DataSubject:
    """The person a privacy request is about, as each system can find them."""

    customer: str
    email: str
    name: str
    """The person's name as the systems record it (a message's author)."""
    user_id: str
    """The identity provider's subject of the person's login."""
    whole_customer: bool
    """The organization is this person (a private customer): every record of it is theirs.
    Otherwise only the records that name the person are."""


@dataclass(frozen=True)
class PersonalRecord:
    """One record a system holds about a person, for their export."""

    category: str
    """One of PERSONAL_DATA_CATEGORIES, or PRIVACY_REQUESTS (the person's requests themselves,
    exported whatever the scope)."""
    kind: str  # CUSTOMER | ADDRESS | ORDER | INVOICE | PAYMENT | TICKET | MESSAGE | ...
    id: str
    data: object
    """The record in the portal's terms (a record of this module, or the login's account)."""


@dataclass(frozen=True)
class LegalHold:
    """A record a system keeps despite an erasure request, and why (e.g. bookkeeping records
    kept ten years under Swiss CO art. 958f)."""

    system: System
    kind: str  # INVOICE | CUSTOMER | DOCUMENT | MESSAGE | ...
    record_id: str
    reason: str
    retain_until: date | None


@dataclass(frozen=True)
class ErasureOutcome:
    """A system's answer to an erasure: DONE (every record in scope erased), HELD (done but
    for the records it must keep) or PENDING (accepted, finished later; `reference` names
    the job to ask about)."""

    system: System
    status: str  # DONE | HELD | PENDING
    erased: tuple[CaseRef, ...] = ()
    """The records erased (kind and ID), so that the gateway forgets them too."""
    holds: tuple[LegalHold, ...] = ()
    reference: str | None = None


@dataclass(frozen=True)
class SystemOutcome:
    """How far one system got with a privacy request."""

    system: System
    status: str  # DONE | HELD | PENDING | FAILED


@dataclass(frozen=True)
class PrivacyRequest:
    """A person's request about their data, as the CRM keeps it: the record of truth."""

    id: str
    customer: str
    email: str
    type: str  # EXPORT | ERASURE | RECTIFICATION
    status: str  # RECEIVED | IN_PROGRESS | COMPLETED | PARTIALLY_COMPLETED | REJECTED
    scope: tuple[str, ...]  # PERSONAL_DATA_CATEGORIES
    requested_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    expires_at: datetime | None
    """Until when an export can be downloaded."""
    outcomes: tuple[SystemOutcome, ...]
    holds: tuple[LegalHold, ...]


@dataclass(frozen=True)
class NewPrivacyRequest:
    customer: str
    email: str
    user_id: str
    type: str
    scope: tuple[str, ...]


@dataclass(frozen=True)
class PrivacyRequestUpdate:
    """The next state of a request: its status and what each system answered so far."""

    status: str
    outcomes: tuple[SystemOutcome, ...]
    holds: tuple[LegalHold, ...] = ()
    expires_at: datetime | None = None
