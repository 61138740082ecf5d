"""What every change in the CRM does, whoever makes it (a portal write, `/_advance`): a ticket
moves its stage and SLA clock, a message is recorded, and the CRM's webhook event describes it.

Events: `ticket.updated` (`ticket_id`, `company_id`, `stage`) after any write to a ticket, and
`comment.created` (`comment_id`, `subject`, `ticket_id` for a ticket's, `company_id`,
`internal`) after a message.
"""

from datetime import datetime
from typing import Any

from sandbox.model import Comment, Seed, Ticket
from sandbox.webhooks import event_id


def crm_event(kind: str, at: datetime, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": event_id("crm"), "event": kind, "occurred_at": at.isoformat(), "object": data}


def ticket_event(ticket: Ticket, at: datetime) -> dict[str, Any]:
    data = {"ticket_id": ticket.id, "company_id": ticket.customer, "stage": ticket.stage}
    return crm_event("ticket.updated", at, data)


def comment_event(comment: Comment, company: str) -> dict[str, Any]:
    data = {
        "comment_id": comment.id,
        "subject": {"type": comment.subject_type, "id": comment.subject_id},
        "ticket_id": comment.subject_id if comment.subject_type == "ticket" else None,
        "company_id": company,
        "internal": comment.internal,
    }
    return crm_event("comment.created", comment.created_at, data)


def move(ticket: Ticket, stage: str, now: datetime) -> None:
    """Move `ticket` to `stage`: a pause (on hold) shifts the SLA due dates by its length, the
    first move away from new is the first response, solved or closed is the resolution and
    leaving them reopens it."""
    if ticket.stage == "on_hold" and ticket.sla_paused_since is not None:
        paused = now - ticket.sla_paused_since
        ticket.sla_response_due += paused
        ticket.sla_resolution_due += paused
        ticket.sla_paused_since = None
    ticket.stage = stage
    if stage == "on_hold":
        ticket.sla_paused_since = now
    if stage != "new" and ticket.first_response_at is None:
        ticket.first_response_at = now
    if stage in {"solved", "closed"}:
        ticket.resolved_at = ticket.resolved_at or now
    elif stage != "cancelled":
        ticket.resolved_at = None
    ticket.updated_at = now


def record_comment(seed: Seed, comment: Comment) -> Comment:
    """Store `comment` under the next id of its subject (`<subject>-C<n>`)."""
    prefix = (
        comment.subject_id
        if comment.subject_type == "ticket"
        else (f"{comment.subject_type.upper()}-{comment.subject_id}")
    )
    count = sum(
        c.subject_type == comment.subject_type and c.subject_id == comment.subject_id
        for c in seed.comments
    )
    comment.id = f"{prefix}-C{count + 1}"
    seed.comments.append(comment)
    return comment
