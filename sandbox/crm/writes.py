"""Opening a helpdesk ticket (`POST /api/v1/tickets`), as the CRM's API takes it: a JSON body
with the company, subject, description, category, priority (Odoo's "0" to "3"), channel, who
opened it and, optionally, the ERP record it is about. A malformed or incomplete body is a 400
naming the field. The new ticket starts in stage `new` with a running SLA clock, and the CRM
sends its `ticket.updated` webhook, as after any stage change.
"""

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.crm.advance import crm_event
from sandbox.model import Seed, Ticket
from sandbox.rest import BadRequest, Clock, json_object
from sandbox.seed import SLA_RESOLUTION, SLA_RESPONSE
from sandbox.webhooks import Webhooks

CATEGORIES = frozenset({"general", "technical", "billing", "order"})
PRIORITIES = frozenset({"0", "1", "2", "3"})
CHANNELS = frozenset({"portal", "email", "phone"})
RELATED_TYPES = frozenset({"order", "invoice", "quote"})
LIMITS = {"subject": 200, "description": 10_000, "created_by": 100, "id": 64}

TicketRenderer = Callable[[Ticket], dict[str, Any]]


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"'{name}' must be a non-empty string")
    if len(value) > LIMITS[name]:
        raise BadRequest(f"'{name}' has {len(value)} characters; at most {LIMITS[name]}")
    return value.strip()


def _choice(body: dict[str, Any], name: str, allowed: frozenset[str], default: str) -> str:
    value = body.get(name, default)
    if value not in allowed:
        raise BadRequest(f"'{name}' must be one of {sorted(allowed)}")
    return str(value)


def _related(body: dict[str, Any]) -> tuple[str | None, str | None]:
    related = body.get("related")
    if related is None:
        return None, None
    if not isinstance(related, dict):
        raise BadRequest("'related' must be an object with 'type' and 'id'")
    return _choice(related, "type", RELATED_TYPES, ""), _text(related, "id")


class TicketWrites:
    def __init__(
        self, seed: Seed, clock: Clock, webhooks: Webhooks, render: TicketRenderer
    ) -> None:
        self.seed = seed
        self.clock = clock
        self.webhooks = webhooks
        self.render = render

    async def create_ticket(self, request: Request) -> Response:
        body = await json_object(request)
        company = body.get("company_id")
        if not any(customer.number == company for customer in self.seed.customers):
            raise BadRequest(f"'company_id' {company!r} is no known company")
        ticket = self._new_ticket(body, str(company))
        self.seed.tickets.append(ticket)
        data = {"ticket_id": ticket.id, "company_id": ticket.customer, "stage": ticket.stage}
        await self.webhooks.deliver("crm", crm_event("ticket.updated", ticket.created_at, data))
        return JSONResponse(self.render(ticket), status_code=201)

    def _new_ticket(self, body: dict[str, Any], company: str) -> Ticket:
        related_type, related_id = _related(body)
        now = self.clock().replace(microsecond=0)
        index = max(int(t.number.rsplit("-", 1)[1]) for t in self.seed.tickets) + 1
        return Ticket(
            id=f"TCK-{1000 + index}",
            number=f"T-{now.year}-{index:04d}",
            customer=company,
            subject=_text(body, "subject"),
            description=_text(body, "description"),
            category=_choice(body, "category", CATEGORIES, "general"),
            priority=_choice(body, "priority", PRIORITIES, "1"),
            stage="new",
            channel=_choice(body, "channel", CHANNELS, "portal"),
            created_by=_text(body, "created_by"),
            assignee=None,
            created_at=now,
            updated_at=now,
            sla_response_due=now + SLA_RESPONSE,
            sla_resolution_due=now + SLA_RESOLUTION,
            first_response_at=None,
            resolved_at=None,
            related_type=related_type,
            related_id=related_id,
        )
