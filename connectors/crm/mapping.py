"""CRM payloads (Odoo-helpdesk-like JSON) to records and records to write bodies; pure
functions.

Stages map as Odoo's default helpdesk stages do (domain.md §4); the SLA clock keeps the CRM's
own `helpdesk.sla.status` state, from which the resolvers derive ON_TRACK / AT_RISK. Messages
belong to a subject, like Odoo's `mail.message` (`model`, `res_id`): a ticket or an ERP record.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from connectors.base.errors import Refusal, UpstreamRefused
from connectors.base.instants import comparable
from connectors.base.payload import (
    Payload,
    PayloadError,
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
    Consent,
    ConsentDecision,
    Contact,
    ContactFields,
    CustomerSegment,
    DataSubject,
    ErasureOutcome,
    LegalHold,
    Message,
    NewMessage,
    NewPrivacyRequest,
    NewTicket,
    PersonalRecord,
    PrivacyRequest,
    PrivacyRequestUpdate,
    ReadState,
    SlaClock,
    SourceStatus,
    System,
    SystemOutcome,
    Ticket,
    TicketChanges,
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
REFUSALS = {"required": "REQUIRED", "too_long": "TOO_LONG", "invalid": "INVALID"}
FIELD_REFUSALS = {
    ("email", "invalid"): "INVALID_EMAIL",
    ("email", "taken"): "EMAIL_TAKEN",
    ("phone", "invalid"): "INVALID_PHONE",
}
"""The CRM's validation codes → the portal's user-error codes (any other: REFUSED)."""


def contact_form(fields: ContactFields) -> dict[str, str | None]:
    """The fields a contact write sets, under the CRM's names; an empty optional one is null."""
    given = {crm_name: getattr(fields, name) for crm_name, name in CONTACT_FIELDS.items()}
    return {crm_name: value or None for crm_name, value in given.items() if value is not None}


@dataclass(frozen=True)
class Refusals:
    """Reads the CRM's refusal of one kind of write (a `RefusalReader`) in the portal's terms:
    422 with the reasons per field (`error.details[{field, code, message}]`, `fields` naming
    the CRM's fields as the portal does); and, for a write to a `record` (the portal's name for
    its ID), 404 for an unknown one and, where a record has states, 409 for one that does not
    allow the write (as `conflict`, in the CRM's words). None for any other answer."""

    fields: Mapping[str, str]
    record: str | None = None
    noun: str = "record"
    conflict: str | None = None

    def __call__(self, status: int, body: Any) -> UpstreamRefused | None:
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        details = error.get("details")
        if status == 422 and isinstance(details, list) and details:
            return UpstreamRefused(System.CRM, tuple(self.refusal(item) for item in details))
        if self.record is None:
            return None
        if status == 404:
            missing = f"No {self.noun} with this ID exists."
            return UpstreamRefused(System.CRM, (Refusal(self.record, "NOT_FOUND", missing),))
        message = error.get("message")
        if status == 409 and self.conflict and isinstance(message, str) and message:
            return UpstreamRefused(System.CRM, (Refusal(self.record, self.conflict, message),))
        return None

    @crm
    def refusal(self, payload: object) -> Refusal:
        item = as_object(payload, "validation detail")
        name, code = text(item, "field"), text(item, "code")
        return Refusal(
            field=self.fields.get(name),
            code=FIELD_REFUSALS.get((name, code)) or REFUSALS.get(code, "REFUSED"),
            message=text(item, "message"),
        )


CONTACT_WRITE = Refusals(CONTACT_FIELDS)
CONTACT_CHANGE = Refusals(CONTACT_FIELDS, "contact_id", "contact person")
TICKET_FIELDS = {
    "subject": "subject",
    "description": "description",
    "category": "category",
    "priority": "priority",
    "related": "related_case_id",
    "rating": "rating",
    "comment": "comment",
}
NEW_TICKET = Refusals(TICKET_FIELDS, "related_case_id", "case")
TICKET_CHANGE = Refusals(TICKET_FIELDS, "ticket_id", "ticket", "TICKET_STATE_CONFLICT")
ON_SUBJECT = Refusals(
    {"subject": "subject_id", "body": "body", "attachment_ids": "attachment_ids"},
    "subject_id",
    "case",
    "SUBJECT_STATE_CONFLICT",
)
"""How the CRM's refusals of each write read: a contact's, opening a ticket (404: the case it
is about), changing one, and a message or read state on a case."""


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


def new_ticket(ticket: NewTicket) -> dict[str, object]:
    """The CRM's body for opening `ticket` from the portal."""
    return {
        "company_id": ticket.customer,
        "subject": ticket.subject,
        "description": ticket.description,
        "category": ticket.category,
        "priority": PRIORITY_CODES[ticket.priority],
        "channel": "portal",
        "created_by": ticket.created_by,
        "related": subject_body(ticket.related_case) if ticket.related_case else None,
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
def public_messages(body: object) -> list[Message]:
    """The public comments, oldest first. Internal notes are dropped here, and a comment
    that does not say whether it is internal fails the whole answer rather than leak."""
    comments = as_objects(body)
    public = [message(item) for item in comments if not boolean(item, "internal")]
    return sorted(public, key=lambda m: (comparable(m.created_at), m.id))


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


PURPOSES = {
    name: name.upper()
    for name in ("marketing_email", "analytics", "personalization", "ebill_data_sharing")
}


@crm
def consents(body: object) -> list[Consent]:
    return [consent(entry) for entry in as_objects(body)]


@crm
def consent(payload: object) -> Consent:
    entry = as_object(payload)
    return Consent(
        id=text(entry, "id"),
        customer=text(entry, "company_id"),
        email=text(entry, "email"),
        purpose=choice(entry, "purpose", PURPOSES),
        granted=boolean(entry, "granted"),
        text_version=text(entry, "text_version"),
        decided_at=timestamp(entry, "decided_at"),
    )


@crm
def consent_texts(body: object) -> dict[str, str]:
    return {
        choice(entry, "purpose", PURPOSES): text(entry, "version") for entry in as_objects(body)
    }


def consent_form(decision: ConsentDecision) -> dict[str, str]:
    purposes = {unified: name for name, unified in PURPOSES.items()}
    return {
        "company_id": decision.customer,
        "email": decision.email,
        "purpose": purposes[decision.purpose],
        "granted": "true" if decision.granted else "false",
        "text_version": decision.text_version,
    }


# -- privacy requests and the privacy lookup -------------------------------------------------

CATEGORIES = {
    name.lower(): name
    for name in ("PROFILE", "SALES", "INVOICES", "PAYMENTS", "SUPPORT", "DOCUMENTS", "CONSENTS",
                 "ACCOUNT")
}  # fmt: skip
CRM_CATEGORIES = frozenset({"PROFILE", "SUPPORT", "CONSENTS"})
"""What the CRM holds of the privacy categories."""
REQUEST_TYPES = {name.lower(): name for name in ("EXPORT", "ERASURE", "RECTIFICATION")}
REQUEST_STATUSES = {
    name.lower(): name
    for name in ("RECEIVED", "IN_PROGRESS", "COMPLETED", "PARTIALLY_COMPLETED", "REJECTED")
}
OUTCOMES = {name.lower(): name for name in ("DONE", "HELD", "PENDING", "FAILED")}
SYSTEMS = {system.value: system for system in System}
OBJECT_KINDS = {"comment": "MESSAGE"}
"""The CRM's object types whose portal name is not simply the upper-case one."""
CRM_OBJECTS = {kind: name for name, kind in OBJECT_KINDS.items()}
PRIVACY_REQUESTS = "PRIVACY_REQUESTS"
"""The export category of a person's privacy requests: exported whatever the scope."""


def object_kind(name: str) -> str:
    return OBJECT_KINDS.get(name, name.upper())


def opt_date(payload: Payload, key: str) -> date | None:
    raw = opt_text(payload, key)
    try:
        return date.fromisoformat(raw) if raw is not None else None
    except ValueError:
        raise PayloadError(f"'{key}' is not a date: {raw!r}") from None


def hold(payload: Payload) -> LegalHold:
    """A hold as the privacy request records it."""
    return LegalHold(
        system=choice(payload, "system", SYSTEMS),
        kind=object_kind(text(payload, "object_type")),
        record_id=text(payload, "object_id"),
        reason=text(payload, "reason"),
        retain_until=opt_date(payload, "retain_until"),
    )


@crm
def privacy_requests(body: object) -> list[PrivacyRequest]:
    return [privacy_request(item) for item in as_objects(body)]


@crm
def privacy_request(payload: object) -> PrivacyRequest:
    entry = as_object(payload)
    return PrivacyRequest(
        id=text(entry, "id"),
        customer=text(entry, "company_id"),
        email=text(entry, "email"),
        type=choice(entry, "type", REQUEST_TYPES),
        status=choice(entry, "status", REQUEST_STATUSES),
        scope=tuple(CATEGORIES[name] for name in texts(entry, "scope") if name in CATEGORIES),
        requested_at=timestamp(entry, "requested_at"),
        updated_at=timestamp(entry, "updated_at"),
        completed_at=opt_timestamp(entry, "completed_at"),
        expires_at=opt_timestamp(entry, "expires_at"),
        outcomes=tuple(
            SystemOutcome(choice(item, "system", SYSTEMS), choice(item, "status", OUTCOMES))
            for item in children(entry, "outcomes")
        ),
        holds=tuple(hold(item) for item in children(entry, "holds")),
    )


def new_privacy_request(new: NewPrivacyRequest) -> dict[str, object]:
    return {
        "company_id": new.customer,
        "email": new.email,
        "user_id": new.user_id,
        "type": new.type.lower(),
        "scope": [category.lower() for category in new.scope],
    }


def privacy_update(update: PrivacyRequestUpdate) -> dict[str, object]:
    return {
        "status": update.status.lower(),
        "outcomes": [
            {"system": o.system.value, "status": o.status.lower()} for o in update.outcomes
        ],
        "holds": [
            {
                "system": h.system.value,
                "object_type": CRM_OBJECTS.get(h.kind, h.kind.lower()),
                "object_id": h.record_id,
                "reason": h.reason,
                "retain_until": h.retain_until.isoformat() if h.retain_until else None,
            }
            for h in update.holds
        ],
        "expires_at": update.expires_at.isoformat() if update.expires_at else None,
    }


def person_params(subject: DataSubject) -> dict[str, str]:
    """The person as the privacy lookup and erasure find them."""
    return {
        "company_id": subject.customer,
        "email": subject.email,
        "name": subject.name,
        "user_id": subject.user_id,
        "whole": "true" if subject.whole_customer else "false",
    }


@crm
def lookup(body: object) -> list[PersonalRecord]:
    """The privacy lookup's answer as records; internal notes are no one's to see here either."""
    found = as_object(body)
    tickets = [ticket(item) for item in children(found, "tickets")]
    return [
        *(
            PersonalRecord("PROFILE", "CONTACT", c.id, c)
            for c in contacts(children(found, "contacts"))
        ),
        *(
            PersonalRecord("CONSENTS", "CONSENT", c.id, c)
            for c in consents(children(found, "consents"))
        ),
        *(PersonalRecord("SUPPORT", "TICKET", t.id, t) for t in tickets),
        *(
            PersonalRecord("SUPPORT", "MESSAGE", m.id, m)
            for m in public_messages(children(found, "comments"))
        ),
        *(
            PersonalRecord("SUPPORT", "READ_STATE", subject_key(s.subject), s)
            for s in read_states(children(found, "read_states"))
        ),
        *(
            PersonalRecord(PRIVACY_REQUESTS, "PRIVACY_REQUEST", r.id, r)
            for r in privacy_requests(children(found, "privacy_requests"))
        ),
    ]


@crm
def erasure(body: object) -> ErasureOutcome:
    answer = as_object(body)
    erased = tuple(
        CaseRef(object_kind(text(item, "type")), text(item, "id"))
        for item in children(answer, "erased")
    )
    holds = tuple(
        LegalHold(
            System.CRM,
            object_kind(text(item, "type")),
            text(item, "id"),
            text(item, "reason"),
            opt_date(item, "retain_until"),
        )
        for item in children(answer, "held")
    )
    return ErasureOutcome(System.CRM, "HELD" if holds else "DONE", erased, holds)


@crm
def segments(body: object) -> list[CustomerSegment]:
    """Companies as segments: the segment is the CRM's own tag (`key_account`, `sme`…)."""
    return [CustomerSegment(text(e, "id"), opt_text(e, "segment")) for e in as_objects(body)]
