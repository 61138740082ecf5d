"""CRM payloads (Odoo-helpdesk-like JSON) to records; pure functions.

Stages map as Odoo's default helpdesk stages do (domain.md §4); the SLA clock keeps the CRM's
own `helpdesk.sla.status` state, from which the resolvers derive ON_TRACK / AT_RISK.
"""

from typing import Any

from connectors.base.errors import Refusal, UpstreamRefused
from connectors.base.payload import (
    Payload,
    as_object,
    as_objects,
    boolean,
    child,
    children,
    choice,
    integer,
    mapper,
    opt_child,
    opt_text,
    opt_timestamp,
    text,
    timestamp,
)
from connectors.base.records import (
    CaseRef,
    Contact,
    ContactFields,
    NewTicket,
    SlaClock,
    SourceStatus,
    System,
    Ticket,
    TicketMessage,
)

STAGES = {
    "new": ("NEW", "New"),
    "in_progress": ("IN_PROGRESS", "In Progress"),
    "on_hold": ("WAITING_ON_CUSTOMER", "On Hold"),
    "solved": ("RESOLVED", "Solved"),
    "closed": ("CLOSED", "Closed"),
    "cancelled": ("CANCELLED", "Cancelled"),
}
PRIORITIES = {"0": "LOW", "1": "NORMAL", "2": "HIGH", "3": "URGENT"}
RELATED_TYPES = {"order": "ORDER", "invoice": "INVOICE", "quote": "QUOTE"}
PRIORITY_CODES = {name: code for code, name in PRIORITIES.items()}
RELATED_CODES = {name: code for code, name in RELATED_TYPES.items()}
SLA_STATES = {state: state for state in ("ongoing", "reached", "failed", "paused")}

crm = mapper(System.CRM)


@crm
def contacts(body: object) -> list[Contact]:
    return [contact(item) for item in as_objects(body)]


@crm
def written_contact(body: object) -> Contact:
    """The contact a write answers."""
    return contact(as_object(body))


def contact(payload: Payload) -> Contact:
    return Contact(
        id=text(payload, "id"),
        customer=text(payload, "company_id"),
        first_name=text(payload, "first_name"),
        last_name=text(payload, "last_name"),
        email=text(payload, "email"),
        phone=opt_text(payload, "phone"),
        job_title=opt_text(payload, "function"),
    )


CONTACT_FIELDS = {
    "first_name": "first_name",
    "last_name": "last_name",
    "email": "email",
    "phone": "phone",
    "function": "job_title",
}
"""The CRM's contact fields → the portal's."""
REFUSALS = {"required": "REQUIRED", "too_long": "TOO_LONG"}
FIELD_REFUSALS = {
    ("email", "invalid"): "INVALID_EMAIL",
    ("email", "taken"): "EMAIL_TAKEN",
    ("phone", "invalid"): "INVALID_PHONE",
}
"""The CRM's validation codes → the portal's user-error codes (any other: REFUSED)."""
MISSING_CONTACT = Refusal("contact_id", "NOT_FOUND", "No contact person with this ID exists.")


def contact_form(fields: ContactFields) -> dict[str, str | None]:
    """The fields a contact write sets, under the CRM's names; an empty optional one is null."""
    given = {crm_name: getattr(fields, name) for crm_name, name in CONTACT_FIELDS.items()}
    return {crm_name: value or None for crm_name, value in given.items() if value is not None}


def invalid_contact(status: int, body: Any) -> UpstreamRefused | None:
    """A contact write refused with 422 and the reasons per field; None for other answers."""
    error = body.get("error") if status == 422 and isinstance(body, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    if not isinstance(details, list) or not details:
        return None
    return UpstreamRefused(System.CRM, tuple(refusal(item) for item in details))


def invalid_or_unknown_contact(status: int, body: Any) -> UpstreamRefused | None:
    """As `invalid_contact`, and 404 for a write to a contact the CRM does not know."""
    if status == 404:
        return UpstreamRefused(System.CRM, (MISSING_CONTACT,))
    return invalid_contact(status, body)


@crm
def refusal(payload: object) -> Refusal:
    item = as_object(payload, "validation detail")
    field, code = text(item, "field"), text(item, "code")
    return Refusal(
        field=CONTACT_FIELDS.get(field),
        code=FIELD_REFUSALS.get((field, code)) or REFUSALS.get(code, "REFUSED"),
        message=text(item, "message"),
    )


@crm
def tickets(body: object) -> list[Ticket]:
    return [ticket(item) for item in as_objects(body)]


@crm
def ticket_page(body: object) -> tuple[list[Ticket], int]:
    """One page of a ticket search and the total number of matches."""
    page = as_object(body)
    return [ticket(item) for item in children(page, "items")], integer(page, "total")


@crm
def ticket(payload: Payload) -> Ticket:
    status, label = choice(payload, "stage", STAGES)
    return Ticket(
        id=text(payload, "id"),
        number=text(payload, "number"),
        customer=text(payload, "company_id"),
        subject=text(payload, "subject"),
        description=text(payload, "description"),
        category=text(payload, "category"),
        priority=choice(payload, "priority", PRIORITIES),
        status=status,
        source_status=SourceStatus(text(payload, "stage"), label),
        channel=text(payload, "channel"),
        created_by=text(payload, "created_by"),
        assignee=opt_text(payload, "assignee"),
        created_at=timestamp(payload, "created_at"),
        updated_at=timestamp(payload, "updated_at"),
        satisfaction_rating=rating(payload),
        related_case=related_case(opt_child(payload, "related")),
        sla=sla_clock(child(payload, "sla")),
    )


def new_ticket(ticket: NewTicket) -> dict[str, object]:
    """The CRM's body for opening `ticket` from the portal."""
    related = ticket.related_case
    return {
        "company_id": ticket.customer,
        "subject": ticket.subject,
        "description": ticket.description,
        "category": ticket.category,
        "priority": PRIORITY_CODES[ticket.priority],
        "channel": "portal",
        "created_by": ticket.created_by,
        "related": None
        if related is None
        else {"type": RELATED_CODES[related.type], "id": related.id},
    }


def rating(payload: Payload) -> int | None:
    return None if payload.get("rating") is None else integer(payload, "rating")


def related_case(related: Payload | None) -> CaseRef | None:
    if related is None:
        return None
    return CaseRef(choice(related, "type", RELATED_TYPES), text(related, "id"))


def sla_clock(sla: Payload) -> SlaClock:
    return SlaClock(
        first_response_due_at=timestamp(sla, "response_due"),
        resolution_due_at=timestamp(sla, "resolution_due"),
        first_responded_at=opt_timestamp(sla, "first_response_at"),
        resolved_at=opt_timestamp(sla, "resolved_at"),
        paused_since=opt_timestamp(sla, "paused_since"),
        source_status=choice(sla, "status", SLA_STATES),
    )


@crm
def public_messages(body: object) -> list[TicketMessage]:
    """The public comments, oldest first. Internal notes are dropped here, and a comment
    that does not say whether it is internal fails the whole answer rather than leak."""
    comments = as_objects(body)
    public = [message(item) for item in comments if not boolean(item, "internal")]
    return sorted(public, key=lambda m: (m.created_at, m.id))


def message(payload: Payload) -> TicketMessage:
    author = child(payload, "author")
    return TicketMessage(
        id=text(payload, "id"),
        ticket_id=text(payload, "ticket_id"),
        author_name=text(author, "name"),
        author_is_provider=boolean(author, "is_staff"),
        body=text(payload, "body"),
        created_at=timestamp(payload, "created_at"),
    )
