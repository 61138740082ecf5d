"""`/_advance` for the CRM: a ticket changes stage, someone writes on a ticket, the provider
publishes a system notice; each sends the CRM's webhook."""

from datetime import timedelta
from typing import Any

from sandbox.advance import Advance, AdvanceError, find, target
from sandbox.crm.changes import comment_event, crm_event, move, record_comment, ticket_event
from sandbox.model import Comment, Seed
from sandbox.rest import Clock
from sandbox.webhooks import Webhooks, event_id

STAGES = {
    "NEW": "new",
    "IN_PROGRESS": "in_progress",
    "WAITING_ON_CUSTOMER": "on_hold",
    "RESOLVED": "solved",
    "CLOSED": "closed",
    "CANCELLED": "cancelled",
}
FLOW = ["NEW", "IN_PROGRESS", "RESOLVED", "CLOSED"]
SEVERITIES = ("info", "maintenance", "incident")


def _text(body: dict[str, Any], name: str, default: str | None = None) -> str:
    value = body.get(name, default)
    if not isinstance(value, str) or not value:
        raise AdvanceError(f"'{name}' must be a non-empty string")
    return value


def crm_advances(seed: Seed, clock: Clock, webhooks: Webhooks) -> dict[str, Advance]:
    async def ticket(body: dict[str, Any]) -> dict[str, Any]:
        record = find(seed.tickets, body.get("id"), "ticket")
        current = next((k for k, v in STAGES.items() if v == record.stage), "NEW")
        state = target(body, FLOW, current, STAGES)
        move(record, STAGES[state], clock())
        delivery = await webhooks.deliver("crm", ticket_event(record, clock()))
        return {"ticket": record.id, "status": state, "webhook": delivery}

    async def message(body: dict[str, Any]) -> dict[str, Any]:
        record = find(seed.tickets, body.get("ticket_id"), "ticket")
        comment = record_comment(
            seed,
            Comment(
                "",
                record.id,
                _text(body, "author", "Support Team"),
                body.get("staff", True) is not False,
                _text(body, "body"),
                clock(),
                body.get("internal") is True,
            ),
        )
        record.updated_at = comment.created_at
        delivery = await webhooks.deliver("crm", comment_event(comment, record.customer))
        return {"message": comment.id, "webhook": delivery}

    async def notice(body: dict[str, Any]) -> dict[str, Any]:
        severity = _text(body, "severity", "maintenance").lower()
        if severity not in SEVERITIES:
            raise AdvanceError(f"'severity' must be one of {list(SEVERITIES)}")
        start = clock() + timedelta(days=1)
        data = {
            "id": body.get("id") or event_id("notice"),
            "severity": severity,
            "title": _text(body, "title", "Planned maintenance"),
            "body": _text(body, "body", "The ERP is unavailable during the maintenance."),
            "active_from": start.isoformat(),
            "active_to": (start + timedelta(hours=2)).isoformat(),
            "affected_systems": list(body.get("affected_systems") or ["erp"]),
        }
        delivery = await webhooks.deliver("crm", crm_event("notice.published", clock(), data))
        return {"notice": data["id"], "webhook": delivery}

    return {"ticket": ticket, "message": message, "notice": notice}
