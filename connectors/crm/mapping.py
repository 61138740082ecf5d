"""CRM payloads (Odoo-helpdesk-like JSON) to records and records to write bodies; pure
functions.

Stages map as Odoo's default helpdesk stages do (domain.md §4); the SLA clock keeps the CRM's
own `helpdesk.sla.status` state, from which the resolvers derive ON_TRACK / AT_RISK. Messages
belong to a subject, like Odoo's `mail.message` (`model`, `res_id`): a ticket or an ERP record.
"""

from typing import Any

import httpx

from connectors.base.errors import UpstreamRefused
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
    texts,
    timestamp,
)
from connectors.base.records import (
    CaseRef,
    Contact,
    Message,
    NewMessage,
    ReadState,
    SlaClock,
    SourceStatus,
    System,
    Ticket,
    TicketChanges,
    TicketDraft,
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
PRIORITY_CODES = {name: code for code, name in PRIORITIES.items()}
RELATED_TYPES = {"order": "ORDER", "invoice": "INVOICE", "quote": "QUOTE", "booking": "BOOKING"}
SUBJECT_TYPES = {**RELATED_TYPES, "ticket": "TICKET"}
CRM_TYPES = {name: code for code, name in SUBJECT_TYPES.items()}
REFUSALS = {404: "NOT_FOUND", 409: "CONFLICT", 422: "INVALID"}
FIELDS = {"related": "related_case", "attachment_ids": "attachment_ids"}
"""The CRM's field names where they differ from the records' (the rest are the same)."""
SLA_STATES = {state: state for state in ("ongoing", "reached", "failed", "paused")}

crm = mapper(System.CRM)


@crm
def contacts(body: object) -> list[Contact]:
    return [contact(item) for item in as_objects(body)]


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
        satisfaction_comment=opt_text(payload, "rating_comment"),
    )


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
def public_messages(body: object) -> list[Message]:
    """The public comments, oldest first. Internal notes are dropped here, and a comment
    that does not say whether it is internal fails the whole answer rather than leak."""
    comments = as_objects(body)
    public = [message(item) for item in comments if not boolean(item, "internal")]
    return sorted(public, key=lambda m: (m.created_at, m.id))


@crm
def message(payload: Payload) -> Message:
    author = child(payload, "author")
    return Message(
        id=text(payload, "id"),
        subject=subject(child(payload, "subject")),
        author_name=text(author, "name"),
        author_is_provider=boolean(author, "is_staff"),
        author_id=opt_text(author, "user_id"),
        body=text(payload, "body"),
        created_at=timestamp(payload, "created_at"),
        attachment_ids=texts(payload, "attachment_ids"),
    )


def subject(payload: Payload) -> CaseRef:
    return CaseRef(choice(payload, "type", SUBJECT_TYPES), text(payload, "id"))


@crm
def read_states(body: object) -> list[ReadState]:
    return [read_state(item) for item in as_objects(body)]


@crm
def read_state(payload: Payload) -> ReadState:
    return ReadState(subject(child(payload, "subject")), opt_text(payload, "seen_message_id"))


def subject_key(ref: CaseRef) -> str:
    """A subject as the CRM's `subjects=` parameter names it: `order:10000002`."""
    return f"{CRM_TYPES[ref.type]}:{ref.id}"


def subject_body(ref: CaseRef) -> dict[str, str]:
    return {"type": CRM_TYPES[ref.type], "id": ref.id}


def ticket_body(draft: TicketDraft) -> dict[str, Any]:
    return {
        "company_id": draft.customer,
        "subject": draft.subject,
        "description": draft.description,
        "category": draft.category,
        "priority": PRIORITY_CODES[draft.priority],
        "related": subject_body(draft.related_case) if draft.related_case else None,
        "created_by": {"name": draft.created_by},
        "channel": "portal",
    }


def changes_body(changes: TicketChanges) -> dict[str, str]:
    given = {
        "subject": changes.subject,
        "description": changes.description,
        "category": changes.category,
        "priority": PRIORITY_CODES[changes.priority] if changes.priority else None,
    }
    return {name: value for name, value in given.items() if value is not None}


def message_body(new: NewMessage) -> dict[str, Any]:
    return {
        "subject": subject_body(new.subject),
        "company_id": new.customer,
        "author": {"name": new.author_name, "user_id": new.author_id},
        "body": new.body,
        "attachment_ids": list(new.attachment_ids),
    }


def refusal(response: httpx.Response) -> UpstreamRefused | None:
    """A refused write's reason and the CRM's own words (`{"error": {"message", "field"}}`);
    None for an answer that says nothing usable (then it is a plain rejection)."""
    reason = REFUSALS.get(response.status_code)
    try:
        error = as_object(as_object(response.json()).get("error"))
        message = text(error, "message")
        field = opt_text(error, "field")
    except ValueError:  # not JSON, or not the CRM's error shape
        return None
    if reason is None:
        return None
    detail = (
        f"HTTP {response.status_code} from {response.request.method} {response.request.url.path}"
    )
    return UpstreamRefused(
        System.CRM, f"{detail}: {message}", reason, message, FIELDS.get(field or "", field)
    )
