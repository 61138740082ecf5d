"""The stable UPPER_SNAKE enums of domain.md §3 and §4."""

from enum import Enum

import strawberry


@strawberry.enum(description="What kind of customer an organization is.")
class OrganizationKind(Enum):
    COMPANY = "COMPANY"
    PERSON = "PERSON"


@strawberry.enum(description="Whether the provider still delivers on credit.")
class CreditStatus(Enum):
    OK = "OK"
    ON_HOLD = "ON_HOLD"
    BLOCKED = "BLOCKED"


@strawberry.enum(description="How invoices reach the organization.")
class InvoiceDeliveryChannel(Enum):
    PORTAL = "PORTAL"
    EMAIL_PDF = "EMAIL_PDF"
    EBILL = "EBILL"
    PAPER = "PAPER"


@strawberry.enum(description="What an address is used for.")
class AddressType(Enum):
    BILLING = "BILLING"
    SHIPPING = "SHIPPING"
    POSTAL = "POSTAL"


@strawberry.enum(
    description="Where the last change that needs the provider's approval stands (legal name, "
    "UID, a billing address); until it is applied, the values shown are those in effect."
)
class ChangeRequestStatus(Enum):
    APPLIED = "APPLIED"
    PENDING_APPROVAL = "PENDING_APPROVAL"
    REJECTED = "REJECTED"


@strawberry.enum(description="The kinds of case in the case overview.")
class CaseType(Enum):
    QUOTE = "QUOTE"
    ORDER = "ORDER"
    INVOICE = "INVOICE"
    TICKET = "TICKET"
    BOOKING = "BOOKING"


@strawberry.enum(
    description="A quote's state: REQUESTED until the provider sends it; EXPIRED is derived "
    "from validUntil."
)
class QuoteStatus(Enum):
    REQUESTED = "REQUESTED"
    SENT = "SENT"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"


@strawberry.enum(description="What became of a request to cancel an order.")
class OrderCancellationOutcome(Enum):
    CANCELLED = "CANCELLED"
    TICKET_OPENED = "TICKET_OPENED"


@strawberry.enum(description="An order's overall state.")
class OrderStatus(Enum):
    CONFIRMED = "CONFIRMED"
    IN_PROGRESS = "IN_PROGRESS"
    DELIVERED = "DELIVERED"
    COMPLETED = "COMPLETED"
    ON_HOLD = "ON_HOLD"
    CANCELLED = "CANCELLED"


@strawberry.enum(description="How much of an order has been delivered.")
class OrderDeliveryStatus(Enum):
    NOT_DELIVERED = "NOT_DELIVERED"
    PARTIALLY_DELIVERED = "PARTIALLY_DELIVERED"
    DELIVERED = "DELIVERED"
    NOT_APPLICABLE = "NOT_APPLICABLE"


@strawberry.enum(description="How much of an order has been invoiced.")
class OrderInvoiceStatus(Enum):
    NOTHING_TO_INVOICE = "NOTHING_TO_INVOICE"
    TO_INVOICE = "TO_INVOICE"
    PARTIALLY_INVOICED = "PARTIALLY_INVOICED"
    INVOICED = "INVOICED"


@strawberry.enum(description="A delivery's (Lieferschein) state.")
class DeliveryStatus(Enum):
    PLANNED = "PLANNED"
    READY = "READY"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


@strawberry.enum(description="An invoice or a credit note.")
class InvoiceKind(Enum):
    INVOICE = "INVOICE"
    CREDIT_NOTE = "CREDIT_NOTE"


@strawberry.enum(description="An invoice's state; isOverdue is derived, not a state.")
class InvoiceStatus(Enum):
    OPEN = "OPEN"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    IN_PAYMENT = "IN_PAYMENT"
    PAID = "PAID"
    CANCELLED = "CANCELLED"
    REVERSED = "REVERSED"
    UNCOLLECTIBLE = "UNCOLLECTIBLE"


@strawberry.enum(description="Why a credit note was issued.")
class CreditNoteReason(Enum):
    RETURN = "RETURN"
    PRICE_CORRECTION = "PRICE_CORRECTION"
    DUPLICATE = "DUPLICATE"
    GOODWILL = "GOODWILL"
    OTHER = "OTHER"


@strawberry.enum(description="How a credit note is settled.")
class CreditNoteSettlement(Enum):
    OFFSET_AGAINST_INVOICE = "OFFSET_AGAINST_INVOICE"
    REFUND = "REFUND"
    CUSTOMER_CREDIT = "CUSTOMER_CREDIT"


@strawberry.enum(description="The kind of payment reference on an invoice (Swiss QR-bill).")
class ReferenceType(Enum):
    QRR = "QRR"
    SCOR = "SCOR"
    NON = "NON"


@strawberry.enum(description="A payment attempt's state at the payment provider.")
class PaymentStatus(Enum):
    PENDING = "PENDING"
    REQUIRES_ACTION = "REQUIRES_ACTION"
    PROCESSING = "PROCESSING"
    AUTHORIZED = "AUTHORIZED"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"
    REFUNDED = "REFUNDED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    DISPUTED = "DISPUTED"


@strawberry.enum(description="How a payment is made.")
class PaymentMethod(Enum):
    CARD = "CARD"
    TWINT = "TWINT"
    POSTFINANCE = "POSTFINANCE"
    BANK_TRANSFER_QR = "BANK_TRANSFER_QR"
    EBILL = "EBILL"
    SEPA_DD = "SEPA_DD"
    OTHER = "OTHER"


@strawberry.enum(description="A refund's state.")
class RefundStatus(Enum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"


@strawberry.enum(description="A ticket's state; WAITING_ON_CUSTOMER pauses the SLA clock.")
class TicketStatus(Enum):
    NEW = "NEW"
    IN_PROGRESS = "IN_PROGRESS"
    WAITING_ON_CUSTOMER = "WAITING_ON_CUSTOMER"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"
    CANCELLED = "CANCELLED"


@strawberry.enum(description="A ticket's priority.")
class TicketPriority(Enum):
    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    URGENT = "URGENT"


@strawberry.enum(description="Why an invoice is disputed.")
class DisputeReason(Enum):
    WRONG_AMOUNT = "WRONG_AMOUNT"
    NOT_DELIVERED = "NOT_DELIVERED"
    DEFECTIVE = "DEFECTIVE"
    DUPLICATE = "DUPLICATE"
    OTHER = "OTHER"


@strawberry.enum(description="Where a ticket's SLA clock stands.")
class SlaStatus(Enum):
    ON_TRACK = "ON_TRACK"
    AT_RISK = "AT_RISK"
    PAUSED = "PAUSED"
    MET = "MET"
    BREACHED = "BREACHED"


@strawberry.enum(description="What a document is.")
class DocumentType(Enum):
    QUOTE = "QUOTE"
    ORDER_CONFIRMATION = "ORDER_CONFIRMATION"
    DELIVERY_NOTE = "DELIVERY_NOTE"
    INVOICE = "INVOICE"
    CREDIT_NOTE = "CREDIT_NOTE"
    REMINDER = "REMINDER"
    CONTRACT = "CONTRACT"
    TECHNICAL = "TECHNICAL"
    CERTIFICATE = "CERTIFICATE"
    OTHER = "OTHER"


@strawberry.enum(description="Who in the customer's organization a document is meant for.")
class DocumentAudience(Enum):
    COMMERCIAL = "COMMERCIAL"
    FINANCIAL = "FINANCIAL"
    TECHNICAL = "TECHNICAL"
    CONTRACT = "CONTRACT"


@strawberry.enum(description="Which side uploaded a document.")
class UploadedBy(Enum):
    CUSTOMER = "CUSTOMER"
    PROVIDER = "PROVIDER"


@strawberry.enum(description="A derived view of a document version.")
class RenditionKind(Enum):
    THUMBNAIL = "THUMBNAIL"
    PREVIEW_PDF = "PREVIEW_PDF"
    PREVIEW_IMAGE = "PREVIEW_IMAGE"


@strawberry.enum(description="Whether a rendition can be shown.")
class RenditionStatus(Enum):
    READY = "READY"
    PENDING = "PENDING"
    UNAVAILABLE = "UNAVAILABLE"


@strawberry.enum(description="A member's role in the organization (what it permits: README).")
class MemberRole(Enum):
    ADMIN = "ADMIN"
    PURCHASING = "PURCHASING"
    SPECIALIST = "SPECIALIST"
    ACCOUNTING = "ACCOUNTING"
    VIEWER = "VIEWER"


@strawberry.enum(description="Where a membership stands.")
class MembershipStatus(Enum):
    INVITED = "INVITED"
    ACTIVE = "ACTIVE"
    DEACTIVATED = "DEACTIVATED"


@strawberry.enum(description="Where a service takes place.")
class ServiceLocation(Enum):
    ONSITE = "ONSITE"
    REMOTE = "REMOTE"
    PROVIDER_SITE = "PROVIDER_SITE"


@strawberry.enum(description="A booking's state.")
class BookingStatus(Enum):
    REQUESTED = "REQUESTED"
    CONFIRMED = "CONFIRMED"
    RESCHEDULED = "RESCHEDULED"
    CANCELLED = "CANCELLED"
    COMPLETED = "COMPLETED"
    NO_SHOW = "NO_SHOW"
