"""The sandbox's data model: records in the upstream systems' own terms.

The ERP speaks Odoo's vocabulary (states such as `sale`, `posted`/`partial`, an appointment's
`booked`), the CRM an Odoo-helpdesk-like one, the payment provider Stripe's (`pi_…`, amounts in
minor units), the DMS a CMIS-like one (version series with labels). `sandbox.seed` fills it.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

CENT = Decimal("0.01")


@dataclass
class Customer:
    number: str
    kind: str  # "company" | "person"
    name: str
    street: str
    house_number: str
    postal_code: str
    city: str
    country: str
    lang: str
    currency: str
    vat: str | None
    credit_status: str  # "ok" | "hold" | "blocked"
    invoice_channel: str  # "portal" | "email" | "ebill" | "paper"
    ebill_recipient_id: str | None
    credit_limit: Decimal
    approval: str = "approved"  # of the last change request: "approved" | "pending" | "rejected"
    requested: dict[str, str] = field(default_factory=dict)
    """A pending change request: attribute → requested value (applied on approval)."""
    segment: str | None = None
    """The CRM's segment tag (`key_account`, `sme`, `consumer`); the ERP has none."""


@dataclass
class Address:
    id: str
    customer: str
    type: str  # "invoice" | "delivery" | "contact"
    name: str
    street: str
    house_number: str
    postal_code: str
    city: str
    country: str
    is_default: bool
    approval: str = "approved"  # as Customer.approval
    requested: dict[str, str] = field(default_factory=dict)


@dataclass
class Line:
    position: int
    product: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    qty_delivered: Decimal = Decimal(0)
    qty_invoiced: Decimal = Decimal(0)

    @property
    def subtotal(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(CENT)


@dataclass
class Product:
    """An article of the ERP's price list; `sale_ok` is Odoo's "Can be Sold", cleared once a
    product is discontinued."""

    code: str
    description: str
    prices: dict[str, Decimal]  # list price per currency
    sale_ok: bool = True


@dataclass
class Quote:
    id: str
    number: str
    customer: str
    state: str  # "draft" | "sent" | "sale" | "cancel"
    created_at: datetime
    updated_at: datetime
    validity_date: date
    currency: str
    lines: list[Line]
    signed_by: str | None = None
    signed_on: datetime | None = None
    decline_reason: str | None = None
    cancelled_by_provider: bool = False
    order_id: str | None = None
    requested_by: str | None = None  # a request for quotation from the portal
    request_note: str | None = None
    commitment_date: date | None = None  # the delivery date the customer asked for


@dataclass
class Order:
    id: str
    number: str
    customer: str
    state: str  # "sale" | "cancel"
    delivery_status: str  # "pending" | "started" | "partial" | "full" | "none"
    invoice_status: str  # "no" | "to invoice" | "invoiced"
    locked: bool
    client_order_ref: str | None
    date_order: datetime
    commitment_date: date | None
    updated_at: datetime
    currency: str
    lines: list[Line]
    hold_reason: str | None = None
    quote_id: str | None = None


@dataclass
class Delivery:
    id: str
    number: str
    order_id: str
    customer: str
    state: str  # "waiting" | "assigned" | "shipped" | "done" | "cancel"
    scheduled_date: date
    shipped_at: datetime | None
    delivered_at: datetime | None
    carrier: str | None
    tracking_ref: str | None
    lines: list[tuple[int, Decimal]]  # (order line position, quantity)


@dataclass
class Invoice:
    id: str
    number: str
    customer: str
    move_type: str  # "out_invoice" | "out_refund"
    state: str  # "posted" | "cancel" | "draft"
    payment_state: str  # "not_paid" | "partial" | "in_payment" | "paid" | "reversed"
    invoice_date: date
    due_date: date
    currency: str
    amount_untaxed: Decimal
    amount_tax: Decimal
    amount_total: Decimal
    amount_residual: Decimal
    payment_reference: str
    reference_type: str  # "QRR" | "SCOR" | "NON"
    updated_at: datetime
    order_id: str | None = None
    dunning_level: int = 0
    delivery_channel: str = "portal"
    refund_reason: str | None = None  # out_refund: "return" | "price" | "duplicate" | "goodwill"
    refund_settlement: str | None = None  # out_refund: "offset" | "refund" | "credit"
    reversed_invoice_id: str | None = None  # out_refund: the invoice it credits
    open_amount_qr: bool = False  # the QR-bill is issued without an amount


@dataclass
class PaymentIntent:
    """Stripe-style: amounts in minor units; invoices and allocations in metadata."""

    id: str
    customer: str  # the ERP customer number, kept in the provider's customer metadata
    amount: int
    currency: str
    status: str
    payment_method_type: str  # "card" | "twint" | "postfinance"
    created: datetime
    allocations: list[tuple[str, int]]  # (ERP invoice id, amount in minor units)
    last_payment_error: tuple[str, str] | None = None  # (code, message)
    next_action_url: str | None = None
    amount_refunded: int = 0


@dataclass
class Refund:
    id: str
    payment_intent: str
    amount: int
    status: str  # "pending" | "succeeded" | "failed" | "canceled"
    reason: str | None
    created: datetime


@dataclass
class Ticket:
    id: str
    number: str
    customer: str
    subject: str
    description: str
    category: str
    priority: str  # "0".."3" (Odoo)
    stage: str  # "new" | "in_progress" | "on_hold" | "solved" | "closed" | "cancelled"
    channel: str  # "portal" | "email" | "phone"
    created_by: str
    assignee: str | None
    created_at: datetime
    updated_at: datetime
    sla_response_due: datetime
    sla_resolution_due: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    sla_paused_since: datetime | None = None
    rating: int | None = None
    rating_comment: str | None = None
    related_type: str | None = None  # "order" | "invoice" | "quote" | "booking"
    related_id: str | None = None  # the ERP id


@dataclass
class Comment:
    """A message on a record, like Odoo's `mail.message` (`model`, `res_id`): on a ticket, or
    on an ERP record the CRM links to (order, invoice, quote, booking)."""

    id: str
    subject_id: str
    author: str
    author_is_staff: bool
    body: str
    created_at: datetime
    internal: bool = False
    subject_type: str = "ticket"  # "ticket" | "order" | "invoice" | "quote" | "booking"
    author_user_id: str | None = None  # the portal user (identity provider id) who wrote it
    attachment_ids: list[str] = field(default_factory=list)  # DMS document ids


@dataclass
class ReadState:
    """How far a portal user has read a record's messages (Odoo's `seen_message_id`)."""

    user_id: str
    subject_type: str
    subject_id: str
    seen_message_id: str | None


@dataclass
class Contact:
    id: str
    customer: str
    first_name: str
    last_name: str
    email: str
    phone: str
    job_title: str


@dataclass
class DocumentVersion:
    id: str
    label: str  # "1.0", "1.1", "2.0"
    is_major: bool
    comment: str
    created_by: str
    created_at: datetime
    mime_type: str
    filename: str
    content: bytes
    thumbnail: str  # "ready" | "pending" | "unavailable"


@dataclass
class Document:
    id: str
    customer: str
    title: str
    doc_type: str  # "quote" | "order_confirmation" | "delivery_note" | "invoice" | ...
    audience: str  # "commercial" | "financial" | "technical" | "contract"
    tags: list[str]
    uploaded_by: str  # "customer" | "provider"
    references: list[tuple[str, str]]  # (ERP/CRM object type, id): ("order", "10000002")
    versions: list[DocumentVersion]
    deleted: bool = False


@dataclass
class ServiceOffering:
    """A service booked in slots (Odoo's `appointment.type`), priced per the customer's
    currency."""

    id: str
    name: str
    duration_minutes: int
    location: str  # "onsite" | "online" | "provider"
    prices: dict[str, Decimal]  # currency → price (per attendee when `manage_capacity`)
    capacity: int  # places per slot
    manage_capacity: bool  # each attendee takes a place (a course); else a booking takes one
    max_attendees: int
    auto_confirm: bool  # booked at once; else a request until the provider confirms it


@dataclass
class ServiceSlot:
    id: str
    offering_id: str
    start: datetime
    end: datetime
    capacity: int


@dataclass
class Attendee:
    name: str
    email: str | None = None


@dataclass
class Booking:
    """A booked slot (Odoo's appointment `calendar.event`)."""

    id: str
    number: str
    customer: str
    offering_id: str
    slot_id: str
    state: str  # "request" | "booked" | "rescheduled" | "cancelled" | "attended" | "no_show"
    attendees: list[Attendee]
    created_at: datetime
    updated_at: datetime
    order_id: str | None = None
    cancel_reason: str | None = None


@dataclass
class ErpChange:
    """One entry of the ERP's change log: a write to an order, delivery or invoice."""

    stamp: int
    object_type: str  # "order" | "delivery" | "invoice"
    object_id: str
    parent_id: str | None  # a delivery's or an invoice's order
    customer: str
    changed_at: datetime


@dataclass
class ConsentRecord:
    """One consent decision in the CRM (append-only, like Salesforce's ContactPointConsent)."""

    id: str
    company_id: str
    email: str
    purpose: str  # "marketing_email" | "analytics" | "personalization" | "ebill_data_sharing"
    granted: bool
    text_version: str
    decided_at: datetime
    channel: str = "portal"


@dataclass
class RetentionHold:
    """A record a system keeps despite an erasure request, as the CRM notes it."""

    system: str  # "erp" | "crm" | "dms" | "payments" | "idp"
    object_type: str  # "invoice" | "customer" | "document" | "comment" | ...
    object_id: str
    reason: str
    retain_until: date | None = None


@dataclass
class PrivacyRequestRecord:
    """A person's data subject request in the CRM (like Salesforce's Privacy Center), the
    record of truth of how it was handled."""

    id: str
    company_id: str
    email: str
    user_id: str | None
    type: str  # "export" | "erasure" | "rectification"
    status: str  # "received" | "in_progress" | "completed" | "partially_completed" | "rejected"
    scope: list[str]  # "profile" | "sales" | "invoices" | "payments" | "support" | ...
    requested_at: datetime
    updated_at: datetime
    completed_at: datetime | None = None
    expires_at: datetime | None = None  # an export's download
    outcomes: dict[str, str] = field(default_factory=dict)
    """System → "done" | "held" | "pending" | "failed"."""
    holds: list[RetentionHold] = field(default_factory=list)


@dataclass
class RedactionJob:
    """The payment provider's redaction of customers' personal data (Stripe's
    `privacy.redaction_job`): it runs for a while, then the customers' objects are gone."""

    id: str
    customers: list[str]  # "cus_…"
    status: str  # "redacting" | "succeeded"
    created: datetime
    due: datetime


@dataclass
class Seed:
    now: datetime
    customers: list[Customer] = field(default_factory=list)
    products: list[Product] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)
    payment_intents: list[PaymentIntent] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    read_states: list[ReadState] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    consents: list[ConsentRecord] = field(default_factory=list)
    privacy_requests: list[PrivacyRequestRecord] = field(default_factory=list)
    redaction_jobs: list[RedactionJob] = field(default_factory=list)
    erp_changes: list[ErpChange] = field(default_factory=list)
    offerings: list[ServiceOffering] = field(default_factory=list)
    slots: list[ServiceSlot] = field(default_factory=list)
    bookings: list[Booking] = field(default_factory=list)
    booking_keys: dict[str, tuple[str, str, tuple[str, str]]] = field(default_factory=dict)
    """The ERP's idempotency keys of booking writes: key → (request fingerprint, booking id,
    the write's S message)."""
