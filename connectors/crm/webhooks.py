"""CRM webhook events to changes: ticket stage changes, new comments, system notices.

Envelope: `{"id", "event", "occurred_at", "object": {...}}`. A comment names its `subject`
(a ticket or an ERP record; older events only a `ticket_id`). Internal notes are dropped here,
as the adapter drops them from reads: they never become an event.
"""

from datetime import datetime
from functools import partial

from connectors.base.changes import Change, Notice, json_event
from connectors.base.payload import (
    Payload,
    boolean,
    child,
    opt_child,
    opt_timestamp,
    text,
    texts,
    timestamp,
)
from connectors.base.records import CaseRef, System
from connectors.crm.mapping import subject

EVENTS = frozenset({"ticket.updated", "comment.created", "notice.published"})


def parse_event(body: bytes, received_at: datetime) -> Change | None:
    """The change a verified event reports; None for events the gateway does not use.
    Raises PayloadError for a body that is not a well-formed event."""
    event = json_event(body)
    kind = text(event, "event")
    if kind not in EVENTS:
        return None
    data = child(event, "object")
    change = partial(
        Change,
        source=System.CRM,
        event_id=text(event, "id"),
        occurred_at=timestamp(event, "occurred_at"),
        received_at=received_at,
    )
    if kind == "ticket.updated":
        return change(
            kind="ticket.status_changed",
            entity="TICKET",
            entity_id=text(data, "ticket_id"),
            customer=text(data, "company_id"),
            status=text(data, "stage"),
        )
    if kind == "comment.created":
        if boolean(data, "internal"):
            return None
        named = opt_child(data, "subject")
        on = subject(named) if named is not None else CaseRef("TICKET", text(data, "ticket_id"))
        return change(
            kind="message.created",
            entity="MESSAGE",
            entity_id=text(data, "comment_id"),
            customer=text(data, "company_id"),
            related=(on,),
        )
    return change(
        kind="notice.published", entity="NOTICE", entity_id=text(data, "id"), notice=notice(data)
    )


def notice(data: Payload) -> Notice:
    return Notice(
        id=text(data, "id"),
        severity=text(data, "severity").upper(),
        title=text(data, "title"),
        body=text(data, "body"),
        active_from=timestamp(data, "active_from"),
        active_to=opt_timestamp(data, "active_to"),
        affected_systems=texts(data, "affected_systems"),
    )
